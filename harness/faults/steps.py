"""The steps of each fault kind, written once: what is done to a node, and what undoes it.

Every backend runs the same steps: a service or node step through its
process control, a network step (`ip`, `iptables`, `tc` argv) through its
network control, the latency agent where the kernel has no netem. A target
file may replace a kind's steps with its own shell commands (a staging
cluster whose units or firewall differ); those run through node access.
`describe()` of a step reads the same on every backend, so that a drill's
dry run shows the steps a Docker run executes, with the node names changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from harness.backends.capabilities import CUT_OFF_RULES, NodeAction, ServiceAction, rule
from harness.faults.catalogue import Fault

QUEUE_BASE = 7300  # NFQUEUE numbers of the latency agent, one per node of a fault

SERVICE_TEXT = {"kill": "kill the service (SIGKILL)", "stop": "stop the service", "start": "start the service",
                "pause": "freeze the service (SIGSTOP)", "resume": "let the service go on (SIGCONT)",
                "restart": "restart the service"}
NODE_TEXT = {"lose": "lose the whole node (every process killed at once)", "shutdown": "shut the whole node down",
             "freeze": "freeze the whole node", "thaw": "let the whole node go on", "boot": "bring the node back"}


@dataclass(frozen=True)
class ServiceStep:
    action: ServiceAction

    def describe(self) -> str:
        return SERVICE_TEXT[self.action]


@dataclass(frozen=True)
class NodeStep:
    action: NodeAction

    def describe(self) -> str:
        return NODE_TEXT[self.action]


@dataclass(frozen=True)
class NetStep:
    argv: tuple[str, ...]

    def describe(self) -> str:
        return " ".join(self.argv)


@dataclass(frozen=True)
class AgentStep:
    """Start (or, as an undo, stop) the agent that holds each packet of one NFQUEUE for `delay_ms`."""

    queue: int
    delay_ms: int
    start: bool = True

    def describe(self) -> str:
        if not self.start:
            return f"stop the latency agent of queue {self.queue}"
        return f"start the latency agent: each packet of NFQUEUE {self.queue} held {self.delay_ms} ms"


@dataclass(frozen=True)
class ShellStep:
    """A target file's own command for this kind, run through node access."""

    script: str

    def describe(self) -> str:
        return self.script


Step = Union[ServiceStep, NodeStep, NetStep, AgentStep, ShellStep]


@dataclass(frozen=True)
class Pair:
    """One step on one node and the step that undoes it (None: nothing to undo)."""

    node: str
    do: Step
    undo: Step | None


def steps(fault: Fault, node: str, selected: list[str], addresses: dict[str, str], netem: bool = True,
          own: tuple[list[str], list[str]] | None = None, values: dict[str, str] | None = None) -> list[Pair]:
    """The steps that inject `fault` on `node` (one of `selected`), each with its undo.

    `addresses`: node -> address, for a partition's peers. `netem`: whether the node's kernel has tc netem
    (else latency goes through the NFQUEUE agent). `own`: a target's (inject, heal) shell templates for
    this kind, filled with `values` and `{peer}`."""
    if own is not None:
        return _own_steps(node, selected, addresses, own, values or {})
    kind = fault.kind
    if kind in ("kill", "stop", "pause"):
        undo = {"kill": "start", "stop": "start", "pause": "resume"}[kind]
        return [Pair(node, ServiceStep(kind), ServiceStep(undo))]
    if kind == "restart":
        return [Pair(node, ServiceStep("restart"), None)]
    if kind in ("lose", "shutdown", "freeze"):
        return [Pair(node, NodeStep(kind), NodeStep("thaw" if kind == "freeze" else "boot"))]
    if kind == "isolate":
        return _rules(node, [rule(body) for body in CUT_OFF_RULES])
    if kind == "partition":
        bodies = []
        for peer in selected:
            if peer != node:
                bodies += [rule(("INPUT", "-s", addresses[peer], "-j", "DROP")),
                           rule(("OUTPUT", "-d", addresses[peer], "-j", "DROP"))]
        return _rules(node, bodies)
    if kind == "netem":
        return _latency(fault, node, selected, netem)
    raise ValueError(f"unknown fault kind {kind!r}")


def _rules(node: str, bodies: list[list[str]]) -> list[Pair]:
    """Insert each rule (the first listed ends up first in its chain); each undo deletes it again."""
    return [Pair(node, NetStep(("iptables", "-I", *body)), NetStep(("iptables", "-D", *body)))
            for body in reversed(bodies)]


def _latency(fault: Fault, node: str, selected: list[str], netem: bool) -> list[Pair]:
    if netem:
        command = ["tc", "qdisc", "add", "dev", "eth0", "root", "netem", "delay", f"{fault.delay_ms}ms"]
        if fault.loss_percent:
            command += ["loss", f"{fault.loss_percent:g}%"]
        return [Pair(node, NetStep(tuple(command)), NetStep(("tc", "qdisc", "del", "dev", "eth0", "root")))]
    queue = QUEUE_BASE + selected.index(node)
    # No --queue-bypass: while the agent is gone, the node's packets are dropped, never sent undelayed.
    bodies = [rule(("OUTPUT", "-o", "eth0", "-j", "NFQUEUE", "--queue-num", str(queue)))]
    if fault.loss_percent:
        bodies.insert(0, rule(("OUTPUT", "-o", "eth0", "-m", "statistic", "--mode", "random", "--probability",
                               f"{fault.loss_percent / 100:g}", "-j", "DROP")))
    return [Pair(node, AgentStep(queue, fault.delay_ms), AgentStep(queue, fault.delay_ms, start=False)),
            *_rules(node, bodies)]


def _own_steps(node: str, selected: list[str], addresses: dict[str, str], own: tuple[list[str], list[str]],
               values: dict[str, str]) -> list[Pair]:
    """A target's own (inject, heal) templates: one command per template, or per peer where it names `{peer}`."""
    peers = [addresses[other] for other in selected if other != node] or [""]

    def expand(templates: list[str]) -> list[str]:
        return [t.format(**values, peer=peer) for t in templates for peer in (peers if "{peer}" in t else [""])]

    inject, heal = expand(own[0]), expand(own[1])
    pairs = [Pair(node, ShellStep(command), None) for command in inject]
    return pairs + [Pair(node, ShellStep("true"), ShellStep(command)) for command in heal]
