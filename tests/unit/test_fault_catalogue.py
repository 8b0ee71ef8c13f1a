"""Faults written once: each kind's steps read the same on every backend, and each fault proves it took effect."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.backends.ssh import SshAccess
from harness.faults.catalogue import KINDS, Fault, Selector
from harness.faults.driver import Faults
from harness.clients.handshakes import handshakes
from harness.faults.proof import judge_delay
from harness.faults.steps import AgentStep, NetStep, NodeStep, ServiceStep, steps
from harness.scenario.named import SCENARIOS
from harness.models.layout import from_topology
from harness.models.loader import load
from harness.models.target_file import load_target_file

STAGING = Path(__file__).resolve().parents[2] / "topologies" / "examples" / "staging-drill.yaml"


class LayoutOnly:
    """Node access as far as planning a fault needs it: the layout of the reference topology."""

    description = "docker project plan"

    def __init__(self):
        self.layout = from_topology(load("ci-small"))


def normalised(lines: list[str], layout) -> list[str]:
    """Plan lines with each node's address and name replaced by its role and rank, so two clusters compare."""
    names = {}
    for role in {node.role for node in layout.nodes}:
        for rank, node in enumerate(layout.of_role(role)):
            names[node.name] = names[node.address] = f"<{role} {rank}>"
    pattern = re.compile("|".join(re.escape(key) for key in sorted(names, key=len, reverse=True)))
    return [pattern.sub(lambda match: names[match.group(0)], line) for line in lines]


def test_every_kind_has_a_description_saying_what_it_does_to_a_node():
    assert set(KINDS) == {"kill", "stop", "pause", "restart", "lose", "shutdown", "freeze", "isolate", "partition",
                          "netem"}
    assert "keepalived" in KINDS["kill"] and "Docker" in KINDS["lose"] and "SSH" in KINDS["lose"]


# The staging example has balancers, two middleware nodes, the database pair and a filestore: every scenario on
# those roles but the one that needs a third middleware node. A pool's first member has another rank on each
# (ox-1 serves every pool on staging, ox-2 is the first sync member of the reference): compared on its own.
PLANNED_ON_BOTH = [name for name, s in SCENARIOS.items()
                   if s.fault.selector.role in ("balancer", "middleware", "database", "filestore")
                   and name != "two-middleware-nodes-killed" and not s.fault.selector.pool]


@pytest.mark.parametrize("name", PLANNED_ON_BOTH)
def test_a_drill_plans_the_same_steps_as_a_run_on_the_reference_topology(name):
    fault = SCENARIOS[name].fault
    docker = Faults(LayoutOnly())
    ssh_access = SshAccess(load_target_file(STAGING).drill, "staging-acme", runner=lambda argv, timeout: (1, ""))
    ssh = Faults(ssh_access)
    assert normalised(ssh.plan(fault, probe=False), ssh_access.layout) == \
        normalised(docker.plan(fault, probe=False), docker.access.layout)


def test_a_pool_member_fault_hits_a_member_of_that_pool_on_both():
    fault = SCENARIOS["sync-member-killed"].fault
    ssh_access = SshAccess(load_target_file(STAGING).drill, "staging-acme", runner=lambda argv, timeout: (1, ""))
    assert Faults(LayoutOnly()).nodes(fault) == ["ox-2"]  # ox-1 serves no sync clients on the reference
    assert Faults(ssh_access).nodes(fault) == ["ox-1"]


def test_a_service_fault_and_a_node_fault_are_different_steps():
    kill = steps(Fault("kill", Selector("database", "write_master")), "db-1", ["db-1"], {})
    lose = steps(Fault("lose", Selector("database", "write_master")), "db-1", ["db-1"], {})
    assert [(p.do, p.undo) for p in kill] == [(ServiceStep("kill"), ServiceStep("start"))]
    assert [(p.do, p.undo) for p in lose] == [(NodeStep("lose"), NodeStep("boot"))]


def test_isolation_keeps_loopback_and_ssh_and_every_rule_is_undone():
    pairs = steps(Fault("isolate", Selector("middleware", "one")), "ox-1", ["ox-1"], {})
    inserted = [" ".join(p.do.argv) for p in pairs]
    assert all(isinstance(p.do, NetStep) and p.undo.argv[1] == "-D" and p.undo.argv[2:] == p.do.argv[2:]
               for p in pairs)
    # Inserted at the top one by one, so the last inserted of a chain is its first rule: ACCEPT before DROP.
    assert inserted[-1] == "iptables -I INPUT ! -i lo -p tcp --dport 22 -m comment --comment oxh-fault -j ACCEPT"
    assert inserted[-2] == "iptables -I INPUT ! -i lo -m comment --comment oxh-fault -j DROP"


def test_latency_without_netem_goes_through_an_agent_and_never_bypasses_it():
    pairs = steps(Fault("netem", Selector("database", "all"), delay_ms=200), "db-2", ["db-1", "db-2"], {}, netem=False)
    assert pairs[0].do == AgentStep(7301, 200) and pairs[0].undo == AgentStep(7301, 200, start=False)
    rule = " ".join(pairs[1].do.argv)
    assert "NFQUEUE --queue-num 7301" in rule and "--queue-bypass" not in rule
    with_netem = steps(Fault("netem", Selector("database", "all"), delay_ms=200), "db-2", ["db-1", "db-2"], {})
    assert [" ".join(p.do.argv) for p in with_netem] == ["tc qdisc add dev eth0 root netem delay 200ms"]


def test_a_partition_drops_traffic_to_and_from_each_peer():
    pairs = steps(Fault("partition", Selector("database", "all")), "db-1", ["db-1", "db-2"],
                  {"db-1": "10.0.0.1", "db-2": "10.0.0.2"})
    assert sorted(" ".join(p.do.argv) for p in pairs) == [
        "iptables -I INPUT -s 10.0.0.2 -m comment --comment oxh-fault -j DROP",
        "iptables -I OUTPUT -d 10.0.0.2 -m comment --comment oxh-fault -j DROP"]


def test_handshakes_are_read_from_the_measuring_script():
    assert handshakes("212 0\n208 1\nnoise\n3001 124\n") == [(212.0, 0), (208.0, 1), (3001.0, 124)]


@pytest.mark.parametrize("measured, baseline, ok, says", [
    ([(212, 0), (209, 1), (215, 0)], 5, True, "207 ms slower"),  # a refused handshake is delayed as well
    ([(140, 0), (150, 0), (145, 0)], 5, False, "140 ms slower"),  # under 75 % of 200 ms: not the asked delay
    ([(3001, 124), (210, 0)], 5, False, "1 of 2 handshakes got no answer: packets are dropped"),
    ([], 5, False, "no handshake could be timed"),
])
def test_latency_took_effect_only_at_three_quarters_of_the_asked_delay(measured, baseline, ok, says):
    verdict, text = judge_delay([(float(ms), code) for ms, code in measured], baseline, 200)
    assert verdict is ok and says in text
