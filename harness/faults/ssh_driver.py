"""Fault driver for a real staging cluster: service and network commands run over SSH.

Each kind of fault has an inject and a heal command template (systemctl,
tc, iptables), which a target file may override; `{service}`, `{interface}`,
`{peer}`, `{delay_ms}` are filled in per node. `plan` shows every command
without running anything, for `oxh drill --dry-run`.
"""

from __future__ import annotations

import shlex
import subprocess

from harness.checks.cluster_state import replication_converged, vip_problems
from harness.clients.mysql import MySQLEndpoint
from harness.faults.catalogue import Fault, Injected, select
from harness.topology.target import DrillSettings

DEFAULT_COMMANDS: dict[str, tuple[list[str], list[str]]] = {
    "kill": (["systemctl kill --signal=SIGKILL {service}"], ["systemctl start {service}"]),
    "stop": (["systemctl stop {service}"], ["systemctl start {service}"]),
    "pause": (["systemctl kill --signal=SIGSTOP {service}"], ["systemctl kill --signal=SIGCONT {service}"]),
    "restart": (["systemctl restart {service}"], []),
    "netem": (["tc qdisc add dev {interface} root netem delay {delay_ms}ms"], ["tc qdisc del dev {interface} root"]),
    "partition": (["iptables -I INPUT -s {peer} -m comment --comment oxh-fault -j DROP",
                   "iptables -I OUTPUT -d {peer} -m comment --comment oxh-fault -j DROP"],
                  ["iptables -D INPUT -s {peer} -m comment --comment oxh-fault -j DROP",
                   "iptables -D OUTPUT -d {peer} -m comment --comment oxh-fault -j DROP"]),
    "isolate": (["iptables -I INPUT -p tcp ! --dport 22 -m comment --comment oxh-fault -j DROP"],
                ["iptables -D INPUT -p tcp ! --dport 22 -m comment --comment oxh-fault -j DROP"]),
}


SSH_FAILED = 255  # ssh's own exit status when it cannot connect or log in



class SshFaults:
    def __init__(self, settings: DrillSettings, runner=None, databases: list[MySQLEndpoint] = ()):
        self.settings = settings
        self.runner = runner or self._ssh
        self.databases = list(databases)
        self.failed_heals: list[str] = []

    def nodes(self, fault: Fault) -> list[str]:
        names = [node.name for node in self.settings.nodes if node.role == fault.selector.role]
        holder = None
        if fault.selector.pick in ("vip_holder", "write_master"):
            holder = next((name for name in names if self._holds_vip(name, fault.selector.role)), None)
        pools: dict[str, list[str]] = {}
        for node in self.settings.nodes:
            for pool in node.pools:
                pools.setdefault(pool, []).append(node.name)
        return select(fault.selector, names, holder, pools or None)

    def commands(self, fault: Fault, node: str, selected: list[str]) -> tuple[list[str], list[str]]:
        inject, heal = self.settings.commands.get(fault.kind) or DEFAULT_COMMANDS[fault.kind]
        spec = self.settings.node(node)
        peers = [self.settings.node(other).host for other in selected if other != node] or [""]
        values = {"service": spec.service, "interface": spec.interface, "delay_ms": fault.delay_ms}

        def expand(templates: list[str]) -> list[str]:
            """One command per template, or one per peer for templates that name `{peer}`."""
            return [t.format(**values, peer=peer) for t in templates for peer in (peers if "{peer}" in t else [""])]

        return expand(inject), expand(heal)

    def plan(self, fault: Fault, probe: bool = True) -> list[str]:
        """Every command inject and heal would run. Without `probe`, nothing is asked of the nodes:
        a VIP holder is then shown as the first candidate."""
        lines = []
        if probe or fault.selector.pick not in ("vip_holder", "write_master"):
            selected = self.nodes(fault)
        else:
            candidates = [node.name for node in self.settings.nodes if node.role == fault.selector.role]
            lines.append(f"(whichever of {', '.join(candidates)} holds the {fault.selector.role} VIP; shown: the first)")
            selected = candidates[:1]
        for node in selected:
            inject, heal = self.commands(fault, node, selected)
            lines += [f"{node}: inject: {self._ssh_line(node, c)}" for c in inject]
            lines += [f"{node}: heal:   {self._ssh_line(node, c)}" for c in heal]
        return lines

    def inject(self, fault: Fault) -> Injected:
        """Inject on every selected node; if one command fails, what was done is healed before raising."""
        selected = self.nodes(fault)
        injected = Injected(fault, selected)
        try:
            for node in selected:
                inject, heal = self.commands(fault, node, selected)
                injected.undo += [(node, command) for command in heal]
                for command in inject:
                    self.runner(node, command)
        except BaseException:
            self.heal(injected)
            raise
        return injected

    def heal(self, injected: Injected) -> None:
        """Run every heal command; the ones that fail are reported by the next `problems()`."""
        if injected.healed:
            return
        for node, command in reversed(injected.undo):
            status = self.runner(node, command, check=False)
            if status != 0:
                self.failed_heals.append(f"{node}: `{command}` exited with {status} while healing")
        injected.healed = True

    def wait_healthy(self, nodes: list[str], timeout: float = 0) -> float:
        return 0.0  # a staging cluster is judged by the workload's recovery, not by node probes

    def all_nodes(self) -> list[str]:
        return [node.name for node in self.settings.nodes]

    def unsupported(self, fault: Fault) -> str | None:
        return None

    def problems(self) -> list[str]:
        """Heal commands that failed, nodes that do not answer, VIPs held by no node or by two, and
        masters that are not converged (read-only checks)."""
        problems, self.failed_heals = self.failed_heals, []
        holders: dict[str, list[str]] = {}
        for role, vip in self.settings.vips.items():
            holders[vip] = []
            for node in (node.name for node in self.settings.nodes if node.role == role):
                status = self._vip_status(node, role)
                if status == SSH_FAILED:
                    problems.append(f"cannot reach {node} over SSH to see whether it holds the {role} VIP")
                elif status == 0:
                    holders[vip].append(node)
        purposes = {vip: role for role, vip in self.settings.vips.items()}
        return problems + vip_problems(holders, purposes) + replication_converged(self.databases)

    def _holds_vip(self, node: str, role: str) -> bool:
        return self._vip_status(node, role) == 0

    def _vip_status(self, node: str, role: str) -> int:
        """0 when the node holds the role's VIP, 1 when not, SSH_FAILED when it could not be asked."""
        vip = self.settings.vips.get(role)
        if not vip:
            return 1
        return self.runner(node, f"ip -o -4 addr show | grep -q ' {vip}/'", check=False)

    def _ssh_argv(self, node: str) -> list[str]:
        spec = self.settings.node(node)
        argv = ["ssh", "-p", str(self.settings.ssh_port), "-o", "BatchMode=yes", "-o", "ConnectTimeout=5"]
        if self.settings.ssh_identity:
            argv += ["-i", self.settings.ssh_identity]
        for option in self.settings.ssh_options:
            argv += ["-o", option]
        return argv + [f"{self.settings.ssh_user}@{spec.host}"]

    def _ssh_line(self, node: str, command: str) -> str:
        return " ".join(shlex.quote(part) for part in [*self._ssh_argv(node), command])

    def _ssh(self, node: str, command: str, check: bool = True) -> int:
        try:
            result = subprocess.run([*self._ssh_argv(node), command], capture_output=True, text=True, timeout=30)
        except subprocess.TimeoutExpired:
            if check:
                raise RuntimeError(f"{node}: {command} did not finish within 30 s") from None
            return SSH_FAILED
        if check and result.returncode != 0:
            raise RuntimeError(f"{node}: {command} failed: {result.stderr.strip()}")
        return result.returncode
