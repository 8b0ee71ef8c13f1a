"""`oxh qualify` on the healthy reference topology passes, and five ways of breaking it are each
reported as the failing requirement they are.

The breakages are made on a project of this module's own, one at a time,
and healed before the next: stickiness off in both balancers, one direction
of replication stopped, node-local sessions, a middleware node that lost the
shared filestore, and both balancers holding the VIP.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.report.catalogue import load_catalogue
from harness.report.render import verdicts
from harness.topology.loader import load

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def qualify(project: str, reports: Path, *extra: str) -> tuple[int, dict[str, str], str]:
    """Run `oxh qualify`; returns its exit code, the verdict per requirement, and its output."""
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", "qualify", "--project", project, *extra],
        capture_output=True, text=True, cwd=REPO, timeout=600,
        env={**os.environ, "OXH_REPORTS_DIR": str(reports)},
    )
    match = re.search(r"report: (\S+)/report\.html", result.stdout)
    assert match, result.stdout + result.stderr
    folder = Path(match.group(1))
    results = json.loads((folder / "results.json").read_text())
    found = {v.id: v.status for v in verdicts(results, load_catalogue())}
    assert (folder / "junit.xml").exists() and (folder / "report.html").exists()
    return result.returncode, found, result.stdout


@pytest.fixture(scope="module")
def breakable(start_topology):
    with start_topology(load("ci-small"), "oxh-break") as (cluster, topology):
        yield cluster, topology


def sh(cluster, node: str, script: str) -> str:
    result = cluster.client.containers.get(cluster.container_name(node)).exec_run(["sh", "-c", script])
    assert result.exit_code == 0, f"{node}: {script}: {result.output.decode(errors='replace')}"
    return result.output.decode(errors="replace")


def restart(cluster, nodes: list[str]) -> None:
    for node in nodes:
        cluster.client.containers.get(cluster.container_name(node)).restart(timeout=2)
    cluster.wait_healthy(nodes, 90)


PROXY_CONF = "/etc/apache2/conf-enabled/proxy_http.conf"
STICKY = "ProxySet stickysession=JSESSIONID|jsessionid scolonpathdelim=On"


def stickiness_off(cluster, topology):
    for lb in ("lb-1", "lb-2"):
        sh(cluster, lb, f"sed -i 's/{STICKY}/ProxySet scolonpathdelim=On/' {PROXY_CONF} && apache2ctl graceful")
    time.sleep(1)


def stickiness_on(cluster, topology):
    for lb in ("lb-1", "lb-2"):
        sh(cluster, lb, f"sed -i 's/ProxySet scolonpathdelim=On/{STICKY}/' {PROXY_CONF} && apache2ctl graceful")
    time.sleep(1)


def replication_one_way(cluster, topology):
    sh(cluster, "db-2", "mariadb -e 'STOP SLAVE'")


def replication_both_ways(cluster, topology):
    sh(cluster, "db-2", "mariadb -e 'START SLAVE'")


def set_session_storage(value: str):
    def change(cluster, topology):
        nodes = [node.name for node in topology.middleware.nodes]
        for node in nodes:
            sh(cluster, node, f"sed -i 's/\"storage\": \"[a-z]*\"/\"storage\": \"{value}\"/' /etc/oxh/middleware.json")
        restart(cluster, nodes)

    return change


def filestore_lost_on_ox2(cluster, topology):
    sh(cluster, "ox-2", "umount -l /var/opt/filestore")


def filestore_back_on_ox2(cluster, topology):
    sh(cluster, "ox-2", "oxh-nfs-mount nfs://${OXH_NFS_SERVER}${OXH_NFS_EXPORT} /var/opt/filestore")


def vip_on_both_balancers(cluster, topology):
    vip = f"{topology.balancer.vip.address}/{topology.network.subnet.prefixlen}"
    holder = cluster.vip_holders(topology)[str(topology.balancer.vip.address)][0]
    other = "lb-2" if holder == "lb-1" else "lb-1"
    sh(cluster, other, f"ip addr add {vip} dev eth0")
    cluster.oxh_extra_vip = other


def vip_on_one_balancer(cluster, topology):
    vip = f"{topology.balancer.vip.address}/{topology.network.subnet.prefixlen}"
    sh(cluster, cluster.oxh_extra_vip, f"ip addr del {vip} dev eth0")


BREAKAGES = {
    "stickiness off": (stickiness_off, stickiness_on, "BAL-STICKY"),
    "one replication direction stopped": (replication_one_way, replication_both_ways, "DB-REPL"),
    "node-local sessions": (set_session_storage("local"), set_session_storage("shared"), "SES-SHARED"),
    "filestore not shared": (filestore_lost_on_ox2, filestore_back_on_ox2, "FS-SHARED"),
    "both balancers hold the VIP": (vip_on_both_balancers, vip_on_one_balancer, "VIP-BAL"),
}


def test_the_healthy_topology_qualifies(breakable, tmp_path):
    cluster, _ = breakable
    code, found, output = qualify(cluster.project, tmp_path)
    assert code == 0, output
    functional = {req: status for req, status in found.items() if req != "FAILOVER"}
    assert set(functional.values()) == {"passed"}, found
    assert found["FAILOVER"] == "not run"  # its suite was not asked for
    assert "QUALIFIED" in output


@pytest.mark.parametrize("breakage", list(BREAKAGES), ids=list(BREAKAGES))
def test_a_broken_topology_fails_the_requirement_it_breaks(breakable, tmp_path, breakage):
    cluster, topology = breakable
    breaks, heals, requirement = BREAKAGES[breakage]
    breaks(cluster, topology)
    try:
        code, found, output = qualify(cluster.project, tmp_path)
    finally:
        heals(cluster, topology)
    assert code == 1, output
    assert found[requirement] == "failed", f"{requirement} should fail when {breakage}: {found}"
    assert "NOT QUALIFIED" in output


def test_an_unknown_suite_is_refused_before_anything_runs(breakable, tmp_path):
    cluster, _ = breakable
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", "qualify", "--project", cluster.project, "--suites", "nosuch"],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )
    assert result.returncode == 2
    assert "unknown suite(s): nosuch" in result.stderr and "functional" in result.stderr
