"""Proof that a fault took effect, measured from inside the cluster before anyone judges users.

A scenario whose fault never took effect proves nothing about the cluster,
so each kind is checked where it acts: a killed or stopped service (or a
lost node) is gone from its node; a frozen one is frozen; an isolated node
reaches no peer; partitioned nodes do not reach each other; delayed packets
arrive at least 75 % of the asked delay late, measured by TCP handshakes from
a peer to the delayed node (a dropped handshake means the delay agent is not
passing packets: that is not latency either). What was measured goes to
`injected.took_effect`; what was not as asked, to `injected.not_in_effect`.
"""

from __future__ import annotations

import statistics

from harness.backends.access import NodeAccess, NodeUnreachable
from harness.backends.capabilities import ProcessControl
from harness.clients.handshakes import TIMED_OUT, handshake_script, handshakes
from harness.faults.catalogue import Injected
from harness.wait import last_value

MIN_DELAY_SHARE = 0.75
HANDSHAKES = 5
STATE_WITHIN = 10.0
EXPECTED_STATE = {"kill": ("stopped", "gone"), "stop": ("stopped", "gone"), "pause": ("paused",),
                  "lose": ("gone", "stopped"), "shutdown": ("gone", "stopped"), "freeze": ("paused",)}
# Where a node of each role listens, for a handshake across the network.
ROLE_PORTS = {"database": 3306, "imap": 143, "mta": 25, "filestore": 2049}


def prove(access: NodeAccess, injected: Injected) -> None:
    kind = injected.fault.kind
    if kind in EXPECTED_STATE and isinstance(access, ProcessControl):
        for node in injected.nodes:
            _state(access, node, EXPECTED_STATE[kind], injected)
    elif kind == "isolate":
        for node in injected.nodes:
            _unreachable_from(access, node, [p for p in access.layout.names() if p != node][:2], injected)
    elif kind == "partition":
        for node in injected.nodes:
            _unreachable_from(access, node, [p for p in injected.nodes if p != node], injected)
    elif kind == "netem":
        for node in injected.nodes:
            _delayed(access, node, injected.fault.delay_ms, injected)
    elif kind == "restart":
        injected.took_effect.append(f"{', '.join(injected.nodes)}: restarted (the heal waits until healthy again)")


def port_of(access: NodeAccess, node: str) -> int:
    role = access.layout.node(node).role
    if role == "balancer":
        return access.layout.balancer_port
    if role == "middleware":
        return access.layout.middleware_port
    return ROLE_PORTS[role]


def judge_delay(measured: list[tuple[float, int]], baseline_ms: float, delay_ms: int) -> tuple[bool, str]:
    """Whether handshakes show the delay: every one answered, their median at least 75 % of the delay above
    the undelayed median."""
    if not measured:
        return False, "no handshake could be timed"
    failed = [ms for ms, code in measured if code == TIMED_OUT]
    if failed:
        return False, (f"{len(failed)} of {len(measured)} handshakes got no answer: packets are dropped, not "
                       f"delayed (a latency agent that died drops what it held)")
    added = statistics.median(ms for ms, _ in measured) - baseline_ms
    shown = f"handshakes {added:.0f} ms slower than undelayed (median of {len(measured)}), asked {delay_ms} ms"
    return added >= MIN_DELAY_SHARE * delay_ms, shown


def _state(access: ProcessControl, node: str, expected: tuple[str, ...], injected: Injected) -> None:
    def read() -> str:
        try:
            return access.service_state(node)
        except NodeUnreachable:
            return "gone"

    state = last_value(read, lambda value: value in expected, timeout=STATE_WITHIN, interval=0.25)
    if state in expected:
        injected.took_effect.append(f"{node}: its service is {state}")
    else:
        injected.not_in_effect.append(f"{node}: its service is still {state} {STATE_WITHIN:g} s after the fault, "
                                      f"expected {' or '.join(expected)}")


def _unreachable_from(access: NodeAccess, node: str, peers: list[str], injected: Injected) -> None:
    for peer in peers:
        address, port = access.layout.node(peer).address, port_of(access, peer)
        try:
            result = access.exec(node, handshake_script(address, port, 1, timeout=2), timeout=10)
        except NodeUnreachable as exc:
            injected.not_in_effect.append(f"{node}: could not be asked whether it reaches {peer}: {exc.reason}")
            continue
        tried = handshakes(result.output)
        answered = [code for _, code in tried if code != TIMED_OUT]
        if not tried:
            injected.not_in_effect.append(f"{node}: whether it reaches {peer} could not be measured: "
                                          f"{result.output.strip()[-200:] or 'no output'}")
        elif answered:
            injected.not_in_effect.append(f"{node} still reaches {peer} ({address}:{port})")
        else:
            injected.took_effect.append(f"{node} no longer reaches {peer} ({address}:{port})")


def _delayed(access: NodeAccess, node: str, delay_ms: int, injected: Injected) -> None:
    """Handshakes from an undelayed peer to the node, against handshakes from the node to itself (loopback is
    not delayed) as the undelayed baseline of the same commands."""
    # A middleware node first: it is a client of every other tier, so no firewall of the design refuses it.
    candidates = access.layout.names("middleware") + access.layout.names()
    peer = next((name for name in candidates if name not in injected.nodes), None)
    address, port = access.layout.node(node).address, port_of(access, node)
    if peer is None:
        injected.not_in_effect.append(f"{node}: no undelayed node to measure its latency from")
        return
    try:
        baseline = handshakes(access.exec(node, handshake_script("127.0.0.1", port, HANDSHAKES), timeout=30).output)
        measured = handshakes(access.exec(peer, handshake_script(address, port, HANDSHAKES), timeout=30).output)
    except NodeUnreachable as exc:
        injected.not_in_effect.append(f"{node}: its latency could not be measured: {exc.reason}")
        return
    undelayed = statistics.median(ms for ms, _ in baseline) if baseline else 0.0
    ok, shown = judge_delay(measured, undelayed, delay_ms)
    (injected.took_effect if ok else injected.not_in_effect).append(f"{node}: {shown} (measured from {peer})")
