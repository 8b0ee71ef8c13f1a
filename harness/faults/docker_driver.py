"""Fault driver for the reference topology in Docker.

Process faults go through the engine (kill, stop, pause, restart the
node's container); network faults run `ip`, `iptables` and `tc` from the
host inside the container's network namespace (nsenter), so containers need
no extra capabilities. Healing undoes exactly what was done; waiting until
the nodes are healthy again is the scenario's, through node access.
"""

from __future__ import annotations

from harness.backends.docker.access import DockerAccess
from harness.backends.docker.cluster import DockerCluster
from harness.faults.catalogue import Fault, Injected
from harness.faults.driver import inject_each, pick

COMMENT = "oxh-fault"
PROCESS_FAULTS = ("kill", "stop", "pause", "restart")


class DockerFaults:
    def __init__(self, cluster: DockerCluster):
        self.cluster = cluster
        self.access = DockerAccess(cluster)
        self.description = f"the Docker engine ({self.access.description})"

    def nodes(self, fault: Fault) -> list[str]:
        return pick(fault, self.access)

    def unsupported(self, fault: Fault) -> str | None:
        if fault.kind != "netem":
            return None
        handle = self.cluster.node(self.nodes(fault)[0])
        try:
            handle.in_netns(["tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"])
        except RuntimeError as exc:
            return f"this kernel cannot add latency with tc netem ({exc})"
        handle.in_netns(["tc", "qdisc", "del", "dev", "lo", "root"], check=False)
        return None

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
                if step == "pause":
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
