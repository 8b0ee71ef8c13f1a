"""Fault driver for the reference topology in Docker.

Process faults use the engine (kill, stop, pause, restart); network faults
run `ip`, `iptables` and `tc` from the host inside the container's network
namespace (nsenter), so containers need no extra capabilities. Healing
undoes exactly what was done and waits until the nodes are healthy again.
"""

from __future__ import annotations

import subprocess

from harness.backends.docker.cluster import DockerCluster
from harness.checks.cluster_state import replication_converged, vip_problems
from harness.clients.mysql import MySQLEndpoint
from harness.faults.catalogue import Fault, Injected, select

HEAL_TIMEOUT = 120.0
COMMENT = "oxh-fault"
MARKERS = "oxh_drill.markers"


class DockerFaults:
    def __init__(self, cluster: DockerCluster, databases: list[MySQLEndpoint] = ()):
        self.cluster = cluster
        self.topology = cluster.state.topology()
        self.databases = list(databases)

    # -- selection ------------------------------------------------------------------

    def all_nodes(self) -> list[str]:
        return [node.name for _, node in self.topology.nodes()]

    def nodes(self, fault: Fault) -> list[str]:
        role = fault.selector.role
        names = [node.name for node in self.topology.tier(role).nodes]
        holder = None
        if fault.selector.pick in ("vip_holder", "write_master"):
            vip = next(address for address, holder_role in self.topology.vips().items() if holder_role == role)
            holders = self.cluster.vip_holders(self.topology).get(vip, [])
            holder = holders[0] if holders else None
        pools = {pool: [member.name for member in self.topology.pool_members(pool)] for pool in self.topology.pools}
        return select(fault.selector, names, holder, pools)

    def unsupported(self, fault: Fault) -> str | None:
        """Why this machine cannot inject the fault, or None when it can."""
        if fault.kind != "netem":
            return None
        node = self.nodes(fault)[0]
        try:
            self._netns(node, ["tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"])
        except RuntimeError as exc:
            return f"this kernel cannot add latency with tc netem ({exc})"
        self._netns(node, ["tc", "qdisc", "del", "dev", "lo", "root"], check=False)
        return None

    def plan(self, fault: Fault) -> list[str]:
        """What inject would do, one line per action, touching nothing."""
        nodes = self.nodes(fault)
        return [f"{node}: {' '.join(command)}" for node in nodes for command in self._commands(fault, node, nodes)[0]] or [
            f"{node}: docker {fault.kind}" for node in nodes
        ]

    # -- inject and heal --------------------------------------------------------------

    def inject(self, fault: Fault) -> Injected:
        """Inject on every selected node; if one step fails, what was done is healed before raising."""
        nodes = self.nodes(fault)
        injected = Injected(fault, nodes)
        try:
            for node in nodes:
                container = self._container(node)
                if fault.kind == "kill":
                    container.kill()
                elif fault.kind == "stop":
                    container.stop(timeout=10)
                elif fault.kind == "pause":
                    container.pause()
                elif fault.kind == "restart":
                    container.restart(timeout=10)
                else:
                    run, undo = self._commands(fault, node, nodes)
                    injected.undo += [(node, command) for command in undo]  # undoing a rule never added is harmless
                    for command in run:
                        self._netns(node, command)
        except BaseException:
            self.heal(injected)
            raise
        return injected

    def heal(self, injected: Injected) -> None:
        if injected.healed:
            return
        kind = injected.fault.kind
        for node in injected.nodes:
            container = self._container(node)
            container.reload()
            if kind in ("kill", "stop", "restart") and container.status != "running":
                container.start()
            elif kind == "pause" and container.status == "paused":
                container.unpause()
        for node, command in reversed(injected.undo):
            self._netns(node, command, check=False)
        injected.healed = True
        self.wait_healthy(injected.nodes)

    def wait_healthy(self, nodes: list[str], timeout: float = HEAL_TIMEOUT) -> float:
        return self.cluster.wait_healthy(nodes, timeout)

    # -- the cluster around a fault --------------------------------------------------------

    def problems(self) -> list[str]:
        """What is broken now: unhealthy nodes, VIPs held by no node or by two, masters not converged."""
        problems = [f"{status.node} is {status.health}" for status in self.cluster.status() if status.health != "healthy"]
        problems += vip_problems(self.cluster.vip_holders(self.topology), self.topology.vips())
        return problems + replication_converged(self.databases)

    def write_markers(self, nodes: list[str], tag: str) -> list[str]:
        """Write one row on each database node directly, as root on the node; the rows written."""
        written = []
        for node in nodes:
            marker = f"{tag}-{node}"
            sql = (f"CREATE DATABASE IF NOT EXISTS oxh_drill; CREATE TABLE IF NOT EXISTS {MARKERS} "
                   "(marker VARCHAR(64) PRIMARY KEY, written_on VARCHAR(64)) ENGINE=InnoDB; "
                   f"INSERT INTO {MARKERS} VALUES ('{marker}', '{node}')")
            result = self._container(node).exec_run(["mariadb", "-e", sql])
            if result.exit_code != 0:
                raise RuntimeError(f"{node}: cannot write a marker: {result.output.decode(errors='replace').strip()}")
            written.append(marker)
        return written

    def read_markers(self) -> dict[str, set[str] | None]:
        """Per database node, the markers it holds (None: it could not be read)."""
        held: dict[str, set[str] | None] = {}
        for node in (node.name for node in self.topology.database.nodes):
            result = self._container(node).exec_run(["mariadb", "-N", "-e", f"SELECT marker FROM {MARKERS}"])
            held[node] = set(result.output.decode(errors="replace").split()) if result.exit_code == 0 else None
        return held

    # -- network faults in a node's namespace -------------------------------------------

    def _commands(self, fault: Fault, node: str, selected: list[str]) -> tuple[list[list[str]], list[list[str]]]:
        """(commands that inject, commands that undo) for one node."""
        if fault.kind == "isolate":
            gateway = str(self.topology.network.gateway)
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
                address = str(self.topology.node(peer).address)
                for chain, flag in (("INPUT", "-s"), ("OUTPUT", "-d")):
                    rule = [chain, flag, address, "-m", "comment", "--comment", COMMENT, "-j", "DROP"]
                    run.append(["iptables", "-I", *rule])
                    undo.append(["iptables", "-D", *rule])
            return run, undo
        return [], []

    def _netns(self, node: str, command: list[str], check: bool = True) -> None:
        container = self._container(node)
        container.reload()
        pid = container.attrs["State"]["Pid"]
        if not pid:
            if check:
                raise RuntimeError(f"{node} is not running; cannot change its network")
            return
        result = subprocess.run(["nsenter", "-t", str(pid), "-n", *command], capture_output=True, text=True)
        if check and result.returncode != 0:
            raise RuntimeError(f"{node}: {' '.join(command)} failed: {result.stderr.strip()}")

    def _container(self, node: str):
        return self.cluster.client.containers.get(self.cluster.container_name(node))
