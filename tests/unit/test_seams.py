"""The shared seams: layout, balancer-manager XML, the member watch's files, waiting, workload events."""

from __future__ import annotations

import itertools

import pytest

from harness.backends.docker.access import config_files
from harness.backends.docker.configs import render_node
from harness.checks.history import History, Operation
from harness.clients.balancer import parse_manager_xml
from harness.load.events import LiveStats, WorkloadEvents
from harness.models.layout import from_topology
from harness.models.loader import load
from harness.wait import WaitTimeout, last_value, wait_for

MANAGER_XML = """<?xml version='1.0' encoding='UTF-8' ?>
<httpd:manager xmlns:httpd='http://httpd.apache.org'>
  <httpd:balancers>
    <httpd:balancer>
      <httpd:name>balancer://oxcluster</httpd:name>
      <httpd:workers>
        <httpd:worker><httpd:name>http://172.30.0.31:8009</httpd:name><httpd:timeout>100</httpd:timeout>
          <httpd:status>Init Ok </httpd:status><httpd:route>OX1</httpd:route></httpd:worker>
        <httpd:worker><httpd:name>http://172.30.0.32:8009</httpd:name><httpd:timeout>100</httpd:timeout>
          <httpd:status>Init HcFl </httpd:status><httpd:route>OX2</httpd:route></httpd:worker>
      </httpd:workers>
    </httpd:balancer>
    <httpd:balancer><httpd:name>balancer://oxcluster_sync</httpd:name><httpd:workers/></httpd:balancer>
  </httpd:balancers>
</httpd:manager>"""


def test_the_layout_of_a_topology_names_nodes_pools_and_preferred_vip_holders():
    layout = from_topology(load("ci-small"), config_files())
    assert layout.names("middleware") == ["ox-1", "ox-2", "ox-3"]
    assert [n.route for n in layout.pool_members("oxcluster")] == ["OX1", "OX2"]
    assert layout.vip_of("database").preferred == "db-1" and layout.vip_of("balancer").preferred == "lb-1"
    assert layout.read_node == "db-2" and layout.pool_paths["oxcluster"][0] == "/appsuite/api"
    assert "/etc/oxh/init.sql" not in layout.config_files["database"]
    assert layout.by_route("OX3").name == "ox-3" and layout.by_route("OX9") is None


def test_the_balancer_managers_xml_gives_members_status_and_timeouts():
    pools = parse_manager_xml(MANAGER_XML)
    assert [(m.route, m.up, m.timeout) for m in pools["oxcluster"]] == [("OX1", True, 100), ("OX2", False, 100)]
    assert pools["oxcluster_sync"] == []


def test_the_member_watch_lists_every_pool_member_and_can_be_left_out():
    topology = load("ci-small")
    files = render_node(topology, "balancer", topology.balancer.nodes[0], {})
    members = files["/etc/oxh/member-watch.conf"].split("\n")
    assert "oxcluster http://172.30.0.31:8009" in members and "oxcluster_sync http://172.30.0.33:8009" in members
    assert "TIMEOUT=2.0" in files["/etc/oxh/member-watch.env"] and "CHECK_PATH=/live" in files["/etc/oxh/member-watch.env"]
    assert topology.balancer.member_watch.detection_seconds == 6
    vendor = topology.model_copy(update={"balancer": topology.balancer.model_copy(update={"member_watch": None})})
    assert render_node(vendor, "balancer", vendor.balancer.nodes[0], {})["/etc/oxh/member-watch.conf"].strip() == ""


def test_waiting_returns_the_first_truthy_value_or_names_what_it_waited_for():
    counter = itertools.count()
    assert wait_for(lambda: next(counter) >= 2 and "done", timeout=5, interval=0, waiting_for="x") == "done"
    with pytest.raises(WaitTimeout, match="still waiting for the VIP after 0.05 s"):
        wait_for(lambda: False, timeout=0.05, interval=0.01, waiting_for="the VIP")
    assert last_value(lambda: 3, lambda value: value > 3, timeout=0.05, interval=0.01) == 3


def test_a_workloads_operations_reach_every_listener():
    events, history, stats = WorkloadEvents(), History(), LiveStats()
    events.operation.add_listener(history.record)
    events.operation.add_listener(stats.record)
    events.operation.fire(operation=Operation("probe", "probe", 0, 1, "ok"))
    events.operation.fire(operation=Operation("write", "user0", 0, 1, "unknown"))
    assert len(history.of("probe", "write")) == 2
    assert stats.line() == "probe 1 ok, write 0 ok / 1 failed"
