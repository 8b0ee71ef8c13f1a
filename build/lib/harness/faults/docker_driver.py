"""Fault driver for the reference topology in Docker.

Process faults go through the engine (kill, stop, pause, restart the
node's container); network faults run `ip`, `iptables` and `tc` from the
host inside the container's network namespace (nsenter), so containers need
no extra capabilities. Latency is `tc netem` where the kernel has it, and
else the NFQUEUE agent (harness.faults.nfqueue_delay) that each packet
leaving the node waits in. Healing undoes exactly what was done; waiting
until the nodes are healthy again is the scenario's, through node access.
"""

from __future__ import annotations

import select
import subprocess
import sys

from harness.backends.docker.access import DockerAccess
from harness.backends.docker.cluster import DockerCluster
from harness.faults.catalogue import Fault, Injected
from harness.faults.driver import inject_each, pick

COMMENT = "oxh-fault"
PROCESS_FAULTS = ("kill", "stop", "pause", "restart")
QUEUE_BASE = 7300  # NFQUEUE numbers of the latency agent, one per node of a fault
AGENT_READY_WITHIN = 10.0
AGENT_LIFETIME = 900  # the agent ends by itself after this long, whatever happens to the harness


class DockerFaults:
    def __init__(self, cluster: DockerCluster):
        self.cluster = cluster
        self.access = DockerAccess(cluster)
        self.description = f"the Docker engine ({self.access.description})"
        self._netem: bool | None = None  # whether the host's kernel has sch_netem (containers share it)

    def nodes(self, fault: Fault) -> list[str]:
        return pick(fault, self.access)

    def unsupported(self, fault: Fault) -> str | None:
        return None  # latency without sch_netem goes through NFQUEUE

    def has_netem(self, node: str) -> bool:
        if self._netem is None:
            handle = self.cluster.node(node)
            try:
                handle.in_netns(["tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"])
                handle.in_netns(["tc", "qdisc", "del", "dev", "lo", "root"], check=False)
                self._netem = True
            except RuntimeError:
                self._netem = False
        return self._netem

    def plan(self, fault: Fault) -> list[str]:
        nodes = self.nodes(fault)
        if fault.kind in PROCESS_FAULTS:
            return [f"{node}: docker {fault.kind} {self.cluster.container_name(node)}" for node in nodes]
        return [f"{node}: nsenter -n {' '.join(command)}"
                for node in nodes for command in self._commands(fault, node, nodes)[0]]

    def inject(self, fault: Fault) -> Injected:
        nodes = self.nodes(fault)

        def step(node: str, injected: Injected) -> None:
            handle = self.cluster.node(node)
            if fault.kind in PROCESS_FAULTS:
                injected.undo.append((node, fault.kind))
                getattr(handle, fault.kind)()
                return
            if fault.kind == "netem" and not self.has_netem(node):
                injected.note = "latency through NFQUEUE, as this kernel has no sch_netem"
                injected.undo.append((node, self._start_agent(handle, fault, nodes.index(node))))
            run, undo = self._commands(fault, node, nodes)
            injected.undo += [(node, command) for command in undo]  # undoing a rule never added is harmless
            for command in run:
                handle.in_netns(command)

        return inject_each(self, fault, nodes, step)

    def heal(self, injected: Injected) -> None:
        if injected.healed:
            return
        for node, step in reversed(injected.undo):
            handle = self.cluster.node(node)
            try:
                if isinstance(step, subprocess.Popen):
                    step.terminate()
                    step.wait(timeout=10)
                elif step == "pause":
                    if handle.status == "paused":
                        handle.unpause()
                elif step in PROCESS_FAULTS:
                    if handle.status != "running":
                        handle.start()
                else:
                    handle.in_netns(step, check=False)
            except Exception as exc:  # every other step is still undone; the failure is reported
                injected.heal_failures.append(f"{node}: undoing {step} failed: {exc}")
        injected.healed = True

    def _commands(self, fault: Fault, node: str, selected: list[str]) -> tuple[list[list[str]], list[list[str]]]:
        """(commands that inject, commands that undo) for one node."""
        if fault.kind == "isolate":
            gateway = str(self.access.topology.network.gateway)
            return ([["ip", "link", "set", "eth0", "down"]],
                    [["ip", "route", "replace", "default", "via", gateway], ["ip", "link", "set", "eth0", "up"]])
        if fault.kind == "netem" and not self.has_netem(node):
            rules = [["OUTPUT", "-o", "eth0", "-m", "comment", "--comment", COMMENT, "-j", "NFQUEUE",
                      "--queue-num", str(QUEUE_BASE + selected.index(node)), "--queue-bypass"]]
            if fault.loss_percent:
                rules.insert(0, ["OUTPUT", "-o", "eth0", "-m", "statistic", "--mode", "random", "--probability",
                                 f"{fault.loss_percent / 100:g}", "-m", "comment", "--comment", COMMENT, "-j", "DROP"])
            return [["iptables", "-I", *rule] for rule in reversed(rules)], [["iptables", "-D", *rule] for rule in rules]
        if fault.kind == "netem":
            netem = ["tc", "qdisc", "add", "dev", "eth0", "root", "netem", "delay", f"{fault.delay_ms}ms"]
            if fault.loss_percent:
                netem += ["loss", f"{fault.loss_percent}%"]
            return [netem], [["tc", "qdisc", "del", "dev", "eth0", "root"]]
        if fault.kind == "partition":
            run, undo = [], []
            for peer in selected:
                if peer == node:
                    continue
                address = self.access.layout.node(peer).address
                for chain, flag in (("INPUT", "-s"), ("OUTPUT", "-d")):
                    rule = [chain, flag, address, "-m", "comment", "--comment", COMMENT, "-j", "DROP"]
                    run.append(["iptables", "-I", *rule])
                    undo.append(["iptables", "-D", *rule])
            return run, undo
        return [], []

    def _start_agent(self, handle, fault: Fault, index: int) -> subprocess.Popen:
        """The NFQUEUE latency agent in the node's network namespace, once it says it is ready."""
        agent = handle.spawn_in_netns([sys.executable, "-m", "harness.faults.nfqueue_delay", "--queue",
                                       str(QUEUE_BASE + index), "--delay-ms", str(fault.delay_ms),
                                       "--seconds", str(AGENT_LIFETIME)])
        if select.select([agent.stdout], [], [], AGENT_READY_WITHIN)[0] and agent.stdout.readline().strip() == "ready":
            return agent
        agent.kill()
        raise RuntimeError(f"{handle.name}: the latency agent did not start: {agent.stderr.read()[-300:]}")
