"""The failover suite qualifies the healthy reference topology, and catches a cluster that is
misconfigured: node-local sessions are lost with their node, and with replication broken the
writes acknowledged by the old master are missing after the write VIP moved.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.clients.provisioning import Credentials, Provisioning
from harness.faults.catalogue import Fault, Selector
from harness.faults.docker_driver import DockerFaults
from harness.faults.scenario import Thresholds, run_scenario
from harness.load.workload import Account
from harness.topology.loader import load

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def test_the_failover_suite_qualifies_the_healthy_topology(ci_small, tmp_path):
    cluster, _ = ci_small
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", "qualify", "--project", cluster.project, "--suites", "failover"],
        capture_output=True, text=True, cwd=REPO, timeout=1200, env={**os.environ, "OXH_REPORTS_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    folder = Path(re.search(r"report: (\S+)/report\.html", result.stdout).group(1))
    scenarios = [json.loads(p.read_text()) for p in folder.glob("failover-*.json")]
    assert len(scenarios) >= 6 and all(s["passed"] for s in scenarios)
    assert all(s["lost_writes"] == [] for s in scenarios)
    html = (folder / "report.html").read_text()
    assert "balancer-vip-holder-killed" in html and "<svg" in html


@pytest.fixture(scope="module")
def misconfigured(start_topology):
    base = load("ci-small")
    topology = base.model_copy(update={"middleware": base.middleware.model_copy(update={"sessions": "local"})})
    with start_topology(topology, "oxh-fo") as (cluster, placed):
        provisioning = Provisioning(cluster.endpoints()["http"],
                                    Credentials("oxadminmaster", cluster.state.secrets()["admin_master"]))
        cid = 3_000_000 + secrets.randbelow(1_000_000)
        admin = Credentials("oxadmin", secrets.token_urlsafe(10))
        provisioning.create_context(cid, f"fo{cid}", admin)
        accounts = []
        for name in ("fay", "finn"):
            password = secrets.token_urlsafe(10)
            provisioning.create_user(cid, admin, name, password, f"{name}.{cid}@{placed.mail_domain}", name)
            accounts.append(Account(f"{name}@fo{cid}", password))
        yield cluster, accounts


def test_node_local_sessions_fail_the_middleware_scenario_and_say_why(misconfigured):
    cluster, accounts = misconfigured
    driver = DockerFaults(cluster)
    # Kill every node of the groupware pool but the last: its users' sessions existed only there.
    fault = Fault("kill", Selector("middleware", "one"))
    result = run_scenario("local-sessions", fault, driver, cluster.endpoints()["http"], accounts * 2, hold=5,
                          thresholds=Thresholds(max_probe_downtime=4.0, max_write_downtime=1.0))
    assert not result.passed
    assert any("SES-0203" in violation for violation in result.violations), result.violations


def test_broken_replication_loses_acknowledged_writes_when_the_master_dies(misconfigured):
    cluster, accounts = misconfigured
    driver = DockerFaults(cluster)
    topology = cluster.state.topology()
    holder = cluster.vip_holders(topology)[str(topology.database.write_vip.address)][0]
    peer = next(node.name for node in topology.database.nodes if node.name != holder)
    container = cluster.client.containers.get(cluster.container_name(peer))
    assert container.exec_run(["mariadb", "-e", "STOP SLAVE"]).exit_code == 0
    try:
        fault = Fault("kill", Selector("database", "write_master"))
        result = run_scenario("broken-replication", fault, driver, cluster.endpoints()["http"], accounts, hold=8,
                              thresholds=Thresholds(max_probe_downtime=10.0, max_write_downtime=10.0),
                              require_healthy=False)
    finally:
        container.exec_run(["mariadb", "-e", "START SLAVE"])
    assert not result.passed
    assert any("acknowledged write(s) lost" in violation for violation in result.violations), result.violations


def test_keepalived_with_two_masters_fails_the_balancer_scenario_and_says_why(misconfigured):
    cluster, accounts = misconfigured
    topology = cluster.state.topology()
    vip, vrid = str(topology.balancer.vip.address), topology.balancer.vip.vrid
    second = cluster.client.containers.get(cluster.container_name(topology.balancer.nodes[1].name))
    config = "/etc/keepalived/keepalived.conf"

    def set_router_id(old: int, new: int) -> None:
        command = f"sed -i 's/virtual_router_id {old}$/virtual_router_id {new}/' {config} && pkill -HUP -x keepalived"
        assert second.exec_run(["sh", "-c", command]).exit_code == 0

    # A router id of its own: neither balancer hears the other, so both claim the VIP.
    own = next(n for n in range(254, 1, -1) if n not in (vrid, topology.database.write_vip.vrid))
    set_router_id(vrid, own)
    try:
        assert wait_for(lambda: len(cluster.vip_holders(topology).get(vip, [])) == 2, 20), "the VIP never doubled"
        result = run_scenario("two-vrrp-masters", Fault("kill", Selector("balancer", "vip_holder")), DockerFaults(cluster),
                              cluster.endpoints()["http"], accounts, hold=4, thresholds=Thresholds(),
                              require_healthy=False)
    finally:
        set_router_id(own, vrid)
        restored = wait_for(lambda: len(cluster.vip_holders(topology).get(vip, [])) == 1, 30)
    assert restored, "the VIP stayed on two balancers after the router ids were made equal again"
    assert not result.passed
    assert any(v.startswith("before the fault:") and "split brain" in v for v in result.violations), result.violations


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False
