"""A full `oxh qualify` (every suite) on the healthy reference topology: every requirement this
machine can check passes, and the verdict names what it could not check; and the failover engine
catches a cluster that is misconfigured: node-local sessions are lost with their node, with
replication broken the writes acknowledged by the old master are missing after the write VIP
moved, and two VRRP masters are named before any fault is injected.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.checks.cluster_state import cluster_checks
from harness.clients.provisioning import Credentials, Provisioning, temporary_context
from harness.faults.catalogue import Fault, Selector
from harness.backends.docker.access import DockerAccess
from harness.faults.driver import Faults
from harness.load.workload import Account
from harness.report.run_folder import verdict_of
from harness.scenario.failover import run_scenario
from harness.scenario.named import SCENARIOS, NamedScenario, Thresholds
from harness.models.loader import load
from harness.wait import wait_for

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def test_a_full_qualification_judges_every_requirement_and_names_what_it_could_not_check(ci_small, tmp_path):
    cluster, _ = ci_small
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", "qualify", "--project", cluster.project],
        capture_output=True, text=True, cwd=REPO, timeout=1800, env={**os.environ, "OXH_REPORTS_DIR": str(tmp_path)},
    )
    folder = Path(re.search(r"report: (\S+)/report\.html", result.stdout).group(1))
    verdict = verdict_of(folder)
    output = result.stdout[-4000:] + result.stderr[-2000:]
    assert not verdict.having("failed"), output
    assert not verdict.narrowed and set(verdict.suites) >= {"functional", "failover"}
    # What this machine cannot inject is named as not run, and then the run cannot qualify.
    missing = {v.id: v.reason for v in verdict.missing}
    assert set(missing) <= {"FAILOVER-DATABASE-LATENCY-200MS"}, missing
    if missing:
        assert "tc netem" in missing["FAILOVER-DATABASE-LATENCY-200MS"]
        assert result.returncode == 1 and "NOT QUALIFIED" in result.stdout
        assert "FAILOVER-DATABASE-LATENCY-200MS not run: this kernel cannot add latency with tc netem" in result.stdout
    else:
        assert result.returncode == 0 and "QUALIFIED" in result.stdout
    scenarios = [json.loads(p.read_text()) for p in folder.glob("failover-*.json")]
    assert len(scenarios) == len(SCENARIOS) - len(missing) and all(s["passed"] for s in scenarios)
    # Every fault proved from inside the cluster that it took effect before users were judged.
    assert all(s["took_effect"] and not s["not_in_effect"] for s in scenarios), \
        [(s["name"], s["not_in_effect"]) for s in scenarios if s["not_in_effect"] or not s["took_effect"]]
    paused = next(s for s in scenarios if s["name"] == "middleware-node-paused")
    assert paused["route"] and paused["nodes"] == ["ox-1"], "the paused node is the one every session sticks to"
    html = (folder / "report.html").read_text()
    assert "balancer-vip-holder-killed" in html and "<svg" in html and verdict.status in html


@pytest.fixture(scope="module")
def misconfigured(start_topology):
    base = load("ci-small")
    topology = base.model_copy(update={"middleware": base.middleware.model_copy(update={"sessions": "local"})})
    with start_topology(topology, "oxh-fo") as (cluster, placed):
        provisioning = Provisioning(cluster.endpoints()["http"],
                                    Credentials("oxadminmaster", cluster.state.secrets()["admin_master"]))
        with temporary_context(provisioning, "fo", ["fay", "finn"], placed.mail_domain) as context:
            yield cluster, [Account(user.login, user.password) for user in context.users.values()]


def test_node_local_sessions_fail_the_middleware_scenario_and_say_why(misconfigured):
    cluster, accounts = misconfigured
    driver = Faults(DockerAccess(cluster))
    # Every session on the node that dies: they existed only there.
    scenario = NamedScenario(Fault("lose", Selector("middleware", "one")), 5, Thresholds(), sessions_on_faulted_node=True)
    result = run_scenario("local-sessions", scenario, driver, checks(driver), cluster.endpoints()["http"], accounts * 2,
                          thresholds=Thresholds(max_probe_downtime=4.0, max_write_downtime=1.0))
    assert not result.passed
    assert any("SES-0203" in violation for violation in result.violations), result.violations


def test_broken_replication_loses_acknowledged_writes_when_the_master_dies(misconfigured):
    cluster, accounts = misconfigured
    driver = Faults(DockerAccess(cluster))
    topology = cluster.state.topology()
    holder = cluster.vip_holders(topology)[str(topology.database.write_vip.address)][0]
    peer = next(node.name for node in topology.database.nodes if node.name != holder)
    container = cluster.node(peer).container
    assert container.exec_run(["mariadb", "-e", "STOP SLAVE"]).exit_code == 0
    try:
        scenario = NamedScenario(Fault("lose", Selector("database", "write_master")), 8, Thresholds())
        result = run_scenario("broken-replication", scenario, driver, checks(driver), cluster.endpoints()["http"],
                              accounts, thresholds=Thresholds(max_probe_downtime=10.0, max_write_downtime=10.0),
                              require_healthy=False)
    finally:
        container.exec_run(["mariadb", "-e", "START SLAVE"])
    assert not result.passed
    assert any("acknowledged writes lost" in violation for violation in result.violations), result.violations


def test_keepalived_with_two_masters_fails_the_balancer_scenario_and_says_why(misconfigured):
    cluster, accounts = misconfigured
    topology = cluster.state.topology()
    vip, vrid = str(topology.balancer.vip.address), topology.balancer.vip.vrid
    second = cluster.node(topology.balancer.nodes[1].name).container
    config = "/etc/keepalived/keepalived.conf"

    def set_router_id(old: int, new: int) -> None:
        command = f"sed -i 's/virtual_router_id {old}$/virtual_router_id {new}/' {config} && pkill -HUP -x keepalived"
        assert second.exec_run(["sh", "-c", command]).exit_code == 0

    # A router id of its own: neither balancer hears the other, so both claim the VIP.
    own = next(n for n in range(254, 1, -1) if n not in (vrid, topology.database.write_vip.vrid))
    set_router_id(vrid, own)
    try:
        wait_for(lambda: len(cluster.vip_holders(topology).get(vip, [])) == 2, timeout=20, waiting_for="the VIP doubled")
        driver = Faults(DockerAccess(cluster))
        scenario = NamedScenario(Fault("lose", Selector("balancer", "vip_holder")), 4, Thresholds())
        result = run_scenario("two-vrrp-masters", scenario, driver, checks(driver), cluster.endpoints()["http"],
                              accounts, thresholds=Thresholds(), require_healthy=False)
    finally:
        set_router_id(own, vrid)
        wait_for(lambda: len(cluster.vip_holders(topology).get(vip, [])) == 1, timeout=30,
                 waiting_for="the VIP back on one balancer after the router ids were made equal again")
    assert not result.passed
    assert any(v.startswith("before the fault:") and "split brain" in v for v in result.violations), result.violations


def checks(driver):
    return cluster_checks(driver.access, [])  # the misconfigured cluster's masters are judged by the writes
