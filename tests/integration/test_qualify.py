"""`oxh qualify --suites functional` passes on the healthy reference topology (as a PARTIAL run, since
it is narrowed), and each way of breaking the HA design is reported as the failing requirement it is.

The breakages are made on a project of this module's own, one at a time,
and healed before the next: stickiness off in both balancers, one direction
of replication stopped, node-local sessions, a middleware node that lost the
shared filestore, both balancers holding the VIP, the administrative
endpoints open to every client, a table that exists on one master only, an
IMAP server that lost the shared mail storage, a middleware node that hangs
(with the balancers' member watch off, as OX ships them), and the write VIP
left on the master the design does not prefer. More break what a check
judged too little before it was mended: the balancer unreachable from the
admin check's client, sync pool members that answer but not as App Suite, a
configdb table on one master only, a binary log that cannot be replayed, an
MTA relaying for its whole network, a middleware node on another release, a
database master open to the balancers, and middleware releases that answer a
batch out of order or whose request metrics count nothing. A run narrowed with pytest's `-k` is PARTIAL and judges only what ran.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.clients.balancer import drain_command
from harness.report.requirement_catalogue import load_catalogue
from harness.report.run_folder import verdict_of
from harness.models.loader import load
from vip_moves import fail_over_writes_to

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def qualify(project: str, reports: Path, *extra: str) -> tuple[int, dict[str, str], str]:
    """Run `oxh qualify --suites functional`; returns its exit code, the verdict per requirement (with the
    failure's first line), and its output."""
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", "qualify", "--project", project, "--suites", "functional", *extra],
        capture_output=True, text=True, cwd=REPO, timeout=600,
        env={**os.environ, "OXH_REPORTS_DIR": str(reports)},
    )
    match = re.search(r"report: (\S+)/report\.html", result.stdout)
    assert match, result.stdout + result.stderr
    folder = Path(match.group(1))
    found = {v.id: v.status + (f": {v.reason}" if v.status == "failed" else "") for v in verdict_of(folder).requirements}
    assert (folder / "junit.xml").exists() and (folder / "report.html").exists()
    return result.returncode, found, result.stdout


@pytest.fixture(scope="module")
def breakable(start_topology):
    with start_topology(load("ci-small"), "oxh-break") as (cluster, topology):
        yield cluster, topology


def sh(cluster, node: str, script: str) -> str:
    result = cluster.node(node).exec(script)
    assert result.ok, f"{node}: {script}: {result.output}"
    return result.output


def restart(cluster, nodes: list[str]) -> None:
    for node in nodes:
        cluster.node(node).restart(timeout=2)
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


def admin_open(cluster, topology):
    for lb in ("lb-1", "lb-2"):
        sh(cluster, lb, f"sed -i '/<Location \\/balancer-manager>/,/<\\/Location>/ s/Require local/Require all granted/' "
                        f"{PROXY_CONF} && apache2ctl graceful")
    time.sleep(1)


def admin_local(cluster, topology):
    for lb in ("lb-1", "lb-2"):
        sh(cluster, lb, f"sed -i '/<Location \\/balancer-manager>/,/<\\/Location>/ s/Require all granted/Require local/' "
                        f"{PROXY_CONF} && apache2ctl graceful")
    time.sleep(1)


def on_db2_alone(statements: str):
    """A change made on db-2 only, kept out of its binary log so that db-1 never hears of it."""
    def change(cluster, topology):
        sh(cluster, "db-2", f'mariadb -e "SET sql_log_bin=0; {statements}"')

    return change


table_on_one_master = on_db2_alone("CREATE DATABASE IF NOT EXISTS oxh_stray; "
                                   "CREATE TABLE oxh_stray.only_here (id INT PRIMARY KEY)")
table_gone = on_db2_alone("DROP DATABASE oxh_stray")


def mail_storage_lost_on_imap2(cluster, topology):
    # Its own empty local storage, as a Dovecot never given the shared mount would have.
    sh(cluster, "imap-2", "umount -l /var/vmail && chown vmail:vmail /var/vmail")


def mail_storage_back_on_imap2(cluster, topology):
    # What Dovecot wrote locally meanwhile goes: FUSE mounts only on an empty folder.
    sh(cluster, "imap-2", "rm -rf /var/vmail/* /var/vmail/.[!.]*; oxh-nfs-mount nfs://${OXH_NFS_SERVER}${OXH_NFS_EXPORT} "
                          "/var/vmail && chown vmail:vmail /var/vmail")
    cluster.wait_healthy(["imap-2"], 30)


def ox2_hangs_without_member_watch(cluster, topology):
    for lb in ("lb-1", "lb-2"):
        sh(cluster, lb, "pkill -f '[o]xh-member-watch'")  # the pattern must not match this shell
    cluster.node("ox-2").pause()


def ox2_answers_with_member_watch(cluster, topology):
    cluster.node("ox-2").unpause()
    for lb in ("lb-1", "lb-2"):
        cluster.client.api.exec_start(cluster.client.api.exec_create(cluster.container_name(lb),
                                                                     ["/usr/local/sbin/oxh-member-watch"]), detach=True)
    cluster.wait_healthy(["ox-2"], 30)


def balancer_unreachable_from_ox1(cluster, topology):
    # What the admin check asks from cannot reach the VIP at all: a refusal cannot be told from that.
    vip = str(topology.balancer.vip.address)
    cluster.node("ox-1").in_netns(["iptables", "-I", "OUTPUT", "-d", vip, "-p", "tcp", "-m", "comment", "--comment",
                                   "oxh-test", "-j", "REJECT", "--reject-with", "tcp-reset"])


def balancer_reachable_from_ox1(cluster, topology):
    vip = str(topology.balancer.vip.address)
    cluster.node("ox-1").in_netns(["iptables", "-D", "OUTPUT", "-d", vip, "-p", "tcp", "-m", "comment", "--comment",
                                   "oxh-test", "-j", "REJECT", "--reject-with", "tcp-reset"])


def sync_pool_members_on_a_wrong_path(cluster, topology):
    # The sync pool's members answer (a 404 of the middleware, with its route), but not as App Suite's EAS.
    port = topology.middleware.port
    for lb in ("lb-1", "lb-2"):
        sh(cluster, lb, f"sed -i '/oxcluster_sync/,/<\\/Proxy>/ s#:{port} timeout#:{port}/not-app-suite timeout#' "
                        f"{PROXY_CONF} && apache2ctl graceful")
    time.sleep(1)


def sync_pool_members_on_their_path(cluster, topology):
    port = topology.middleware.port
    for lb in ("lb-1", "lb-2"):
        sh(cluster, lb, f"sed -i 's#:{port}/not-app-suite timeout#:{port} timeout#' {PROXY_CONF} && apache2ctl graceful")
    time.sleep(1)


configdb_table_on_the_second_master_only = on_db2_alone("CREATE TABLE configdb.oxh_stray_checksum (id INT PRIMARY KEY)")
configdb_table_gone = on_db2_alone("DROP TABLE IF EXISTS configdb.oxh_stray_checksum")


def mta_relays_for_its_whole_network(cluster, topology):
    sh(cluster, "mta-1", f"postconf -e 'mynetworks = 127.0.0.0/8 {topology.network.subnet}' && postfix reload")


def mta_relays_for_its_submitters(cluster, topology):
    submitters = " ".join(f"{node.address}/32" for node in topology.middleware.nodes)
    sh(cluster, "mta-1", f"postconf -e 'mynetworks = 127.0.0.0/8 {submitters}' && postfix reload")


def binlog_replay_tool_gone(cluster, topology):
    # The settings a backup needs are all in place; a restore to a point in time still cannot be made.
    sh(cluster, "db-1", "mv /usr/bin/mariadb-binlog /usr/bin/mariadb-binlog.away")


def binlog_replay_tool_back(cluster, topology):
    sh(cluster, "db-1", "mv /usr/bin/mariadb-binlog.away /usr/bin/mariadb-binlog")


def odd_release_on_ox3(cluster, topology):
    # A node left behind by an upgrade: a packaged middleware that reports another release.
    sh(cluster, "ox-3", "mkdir -p /opt/open-xchange && printf '#!/bin/sh\\necho open-xchange 7.10.5-old\\n' "
                        "> /usr/local/bin/dpkg-query && chmod +x /usr/local/bin/dpkg-query")


def same_release_on_ox3(cluster, topology):
    sh(cluster, "ox-3", "rm -rf /opt/open-xchange /usr/local/bin/dpkg-query")


def database_open_on_db2(cluster, topology):
    sh(cluster, "db-2", "iptables -F INPUT")


def database_closed_on_db2(cluster, topology):
    sh(cluster, "db-2", "iptables-restore < /etc/oxh/firewall.rules")


def middleware_release_with(file: str, changes: dict[str, str], nodes: tuple[str, ...]):
    """A middleware release with a defect in it: in the code of the nodes, which restart, each key replaced by
    its value; healed by putting the release back. The defect is one a check judging too little would miss."""
    path = f"/opt/oxref/oxref/{file}"

    patch = (f"import pathlib, shutil\n"
             f"p = pathlib.Path({path!r})\n"
             f"shutil.copy(p, {path + '.released'!r})\n"
             f"s = p.read_text()\n"
             f"for old, new in {changes!r}.items():\n"
             f"    assert old in s, f'no such code: {{old!r}}'\n"
             f"    s = s.replace(old, new)\n"
             f"p.write_text(s)\n")

    def breaks(cluster, topology):
        for node in nodes:
            result = cluster.node(node).exec(["python3", "-c", patch])
            assert result.ok, f"{node}: {result.output}"
        restart(cluster, list(nodes))

    def heals(cluster, topology):
        for node in nodes:
            sh(cluster, node, f"mv {path}.released {path}")
        restart(cluster, list(nodes))

    return breaks, heals


# Successful calls answered in the order they completed, errors in their place: each answer still looks right.
batch_out_of_order = middleware_release_with("modules/multiple.py", {
    "    return web.json_response(results)\n":
        "    done = [r for r in results if 'error' not in r]\n"
        "    return web.json_response([r if 'error' in r else done.pop() for r in results])\n",
}, ("ox-1", "ox-2", "ox-3"))
# The request metrics are registered and exported, but count nothing.
metrics_counting_nothing = middleware_release_with("metrics.py", {
    '.labels(module, action, "OK" if status == "ok" else status).observe(seconds)':
        '.labels(module, action, "OK" if status == "ok" else status)',
    "self.requests.labels(self.node, module, action, status).inc()":
        "self.requests.labels(self.node, module, action, status).inc(0)",
}, ("ox-1",))

def set_drain(cluster, topology, member: str, on: bool) -> None:
    """Drain mode of a groupware member on both balancers: it keeps its sticky sessions and gets no new client."""
    node = next(n for n in topology.middleware.nodes if n.name == member)
    command = drain_command("oxcluster", f"http://{node.address}:{topology.middleware.port}", on,
                            topology.balancer.http_port, flag="N")
    for lb in ("lb-1", "lb-2"):
        assert sh(cluster, lb, command).strip().endswith("200"), f"{lb}: the balancer-manager refused the change"


def new_clients_only_for_the_hung_ox2(cluster, topology):
    # ox-1 takes no new client (drain), ox-2 hangs, no member watch: a client the balancer places lands on ox-2.
    # A client pinned to the member that answers, as the check's client was when a member was silent, never sees it.
    ox2_hangs_without_member_watch(cluster, topology)
    set_drain(cluster, topology, "ox-1", True)


def new_clients_for_every_member(cluster, topology):
    set_drain(cluster, topology, "ox-1", False)
    ox2_answers_with_member_watch(cluster, topology)


# One member of the sync pool whose DAV fails: the pool's other member answers, so an unpinned client may not see it.
dav_broken_on_ox3 = middleware_release_with("dav.py", {
    "        return await handle(request)\n": "        raise web.HTTPInternalServerError(text='DAV broken on this node')\n",
}, ("ox-3",))


BREAKAGES = {
    "stickiness off": (stickiness_off, stickiness_on, "BAL-STICKY"),
    "one replication direction stopped": (replication_one_way, replication_both_ways, "DB-REPL"),
    "node-local sessions": (set_session_storage("local"), set_session_storage("shared"), "SES-SHARED"),
    "filestore not shared": (filestore_lost_on_ox2, filestore_back_on_ox2, "FS-SHARED"),
    "both balancers hold the VIP": (vip_on_both_balancers, vip_on_one_balancer, "VIP-BAL"),
    "balancer-manager open to every client": (admin_open, admin_local, "BAL-ADMIN-LOCAL"),
    "a table on one master only": (table_on_one_master, table_gone, "DB-SCHEMAS"),
    "mail storage not shared": (mail_storage_lost_on_imap2, mail_storage_back_on_imap2, "MAIL-SHARED"),
    "a hung middleware node": (ox2_hangs_without_member_watch, ox2_answers_with_member_watch, "BAL-ANSWER"),
    "write VIP on the other master": (lambda c, t: fail_over_writes_to(c, t, "db-2"),
                                      lambda c, t: fail_over_writes_to(c, t, "db-1"), "VIP-DB-PREFERRED"),
    # Each of these passed the check as it was before it was mended: it judged what its text promises too little.
    "the balancer unreachable from the admin check's client": (balancer_unreachable_from_ox1,
                                                              balancer_reachable_from_ox1, "BAL-ADMIN-LOCAL"),
    "sync pool members answering, but not as App Suite": (sync_pool_members_on_a_wrong_path,
                                                          sync_pool_members_on_their_path, "BAL-REACH"),
    "a configdb table on the second master only": (configdb_table_on_the_second_master_only, configdb_table_gone,
                                                   "DB-CHECKSUM"),
    "a binary log that cannot be replayed": (binlog_replay_tool_gone, binlog_replay_tool_back, "BACKUP"),
    "an open relay for the whole network": (mta_relays_for_its_whole_network, mta_relays_for_its_submitters,
                                            "MTA-NO-RELAY"),
    "a middleware node left on an old release": (odd_release_on_ox3, same_release_on_ox3, "RELEASE-SAME"),
    "the database open to the balancers": (database_open_on_db2, database_closed_on_db2, "ADMIN-CLOSED"),
    "a release answering a batch out of order": (*batch_out_of_order, "API-BATCH"),
    "a release whose request metrics count nothing": (*metrics_counting_nothing, "MON"),
    "a sync pool member whose DAV answers 500": (*dav_broken_on_ox3, "DAV-CALDAV"),
    "new clients placed only on a hung member": (new_clients_only_for_the_hung_ox2, new_clients_for_every_member,
                                                 "BAL-STICKY"),
}
# Each breakage's requirement is checked by a run narrowed to its tests (a PARTIAL run that fails), to keep
# the suite's time: the requirement is judged on the broken topology all the same. The hung node alone runs the
# whole suite, so that every other test is seen kept off a member that does not answer.
NARROWED_TO = {
    "stickiness off": "jsessionid_route_sticks",
    "one replication direction stopped": "replication_runs_in_both_directions",
    "node-local sessions": "session_is_valid_on_every_node",
    "filestore not shared": "filestore_is_shared",
    "both balancers hold the VIP": "balancer_vip_is_held",
    "balancer-manager open to every client": "administrative_endpoints",
    "a table on one master only": "same_schemas_tables",
    "mail storage not shared": "delivered_through_one_imap_server",
    "write VIP on the other master": "write_vip_sits_on_the_preferred",
    "the balancer unreachable from the admin check's client": "administrative_endpoints",
    "sync pool members answering, but not as App Suite": "reachable_through",
    "a configdb table on the second master only": "checksums",
    "a binary log that cannot be replayed": "point_in_time",
    "an open relay for the whole network": "relay",
    "a middleware node left on an old release": "same_release",
    "the database open to the balancers": "public_facing",
    "a release answering a batch out of order": "batch",
    "a release whose request metrics count nothing": "health_and_metrics",
    "a sync pool member whose DAV answers 500": "sync_member",
    "new clients placed only on a hung member": "unpinned_client",
}
# What the failure must say, so that it names the component at fault.
NAMED = {
    "balancer-manager open to every client": "/balancer-manager answered HTTP 200",
    "a table on one master only": "only on db-2: oxh_stray.only_here",
    "mail storage not shared": "does not see the message delivered through imap-1",
    "a hung middleware node": "ox-2 (route OX2) did not answer within 3 s",
    "write VIP on the other master": "the write VIP moved to db-2; the design prefers db-1; the middleware reads "
                                     "from db-2 too",
    "the balancer unreachable from the admin check's client": "the balancer did not answer the public path /appsuite/ "
                                                              "(asked from ox-1: no answer)",
    "sync pool members answering, but not as App Suite": "ox-3 (route OX3): OPTIONS /Microsoft-Server-ActiveSync "
                                                         "answered HTTP 404 without MS-ASProtocolVersions",
    "a configdb table on the second master only": "configdb.oxh_stray_checksum: only on db-2, missing on db-1",
    "a binary log that cannot be replayed": "db-1: replay the binary log to the moment failed",
    "an open relay for the whole network": "is an open relay: it accepted oxh-relay-check@relay-check.ox-harness.invalid",
    "a middleware node left on an old release": "middleware: ox-3 runs open-xchange 7.10.5-old, while ox-1, ox-2 run oxref on Python",
    "the database open to the balancers": "lb-1, which users reach, connects to 1 of 7 administrative ports: db-2's "
                                          "database (",
    "a release answering a batch out of order": "answer 1 should be the INBOX folder, is",
    "a release whose request metrics count nothing": "ox-1: appsuite_httpapi_requests_seconds_count moved by 0 while "
                                                     "this check sent 5 API calls to the node",
    "a sync pool member whose DAV answers 500": "ox-3 (route OX3): find the calendar: ",
    "new clients placed only on a hung member": "the balancer placed a client without a route where its login got no "
                                                "answer within",
}


def test_the_healthy_topology_passes_every_functional_requirement(breakable, tmp_path):
    cluster, _ = breakable
    code, found, output = qualify(cluster.project, tmp_path)
    assert code == 3, output  # PARTIAL (only the functional suite) with nothing failed
    ids = {requirement.id for requirement in load_catalogue().of_suite("functional")}
    functional = {req: status for req, status in found.items() if req in ids}
    assert set(functional.values()) == {"passed"}, found
    assert found["FAILOVER-MIDDLEWARE-NODE-PAUSED"] == "not run"  # its suite was not asked for
    assert "PARTIAL" in output and "QUALIFIED:" not in output
    # The same run again, compared with the first: nothing regressed, and the report says so.
    first = re.search(r"report: (\S+)/report\.html", output).group(1)
    code, _, output = qualify(cluster.project, tmp_path, "--baseline", first)
    assert code == 3 and "0 regression(s)" in output, output
    second = re.search(r"report: (\S+)/report\.html", output).group(1)
    assert f"Compared with {Path(first).name}" in (Path(second) / "report.html").read_text()


@pytest.mark.parametrize("breakage", list(BREAKAGES), ids=list(BREAKAGES))
def test_a_broken_topology_fails_the_requirement_it_breaks(breakable, tmp_path, breakage):
    cluster, topology = breakable
    breaks, heals, requirement = BREAKAGES[breakage]
    breaks(cluster, topology)
    try:
        narrowed = ["--", "-k", NARROWED_TO[breakage]] if breakage in NARROWED_TO else []
        code, found, output = qualify(cluster.project, tmp_path, *narrowed)
    finally:
        heals(cluster, topology)
    assert code == 1, output
    assert found[requirement].startswith("failed"), f"{requirement} should fail when {breakage}: {found}"
    assert NAMED.get(breakage, "") in found[requirement], found[requirement]
    assert "PARTIAL" in output


def test_a_run_narrowed_by_pytest_selection_judges_only_what_ran(breakable, tmp_path):
    """`-knot calendar` (pytest's glued spelling) leaves PIM-CRUD's calendar test out: PIM-CRUD is not judged
    although its other tests passed, and the run is PARTIAL with exit code 3, not QUALIFIED."""
    cluster, _ = breakable
    code, found, output = qualify(cluster.project, tmp_path, "--", "-knot calendar and (create_read or batch)")
    assert code == 3, output
    assert found["PIM-CRUD"] == "not run" and found["API-BATCH"] == "passed", found
    folder = Path(re.search(r"report: (\S+)/report\.html", output).group(1))
    reason = next(v.reason for v in verdict_of(folder).requirements if v.id == "PIM-CRUD")
    assert reason == "deselected: 1 of its 3 test(s) did not run (test_calendar_event_create_read_update_delete)"
    assert "PARTIAL" in output and "deselected" in output


def test_an_unknown_suite_is_refused_before_anything_runs(breakable, tmp_path):
    cluster, _ = breakable
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", "qualify", "--project", cluster.project, "--suites", "nosuch"],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )
    assert result.returncode == 2
    assert "unknown suite(s): nosuch" in result.stderr and "functional" in result.stderr
