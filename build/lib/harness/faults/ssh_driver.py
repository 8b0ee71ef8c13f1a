"""Fault driver for a real staging cluster: service and network commands run over SSH.

Each kind of fault has an inject and a heal command template (systemctl,
tc, iptables), which a target file may override; `{service}`, `{interface}`,
`{peer}`, `{delay_ms}` are filled in per node. `plan` shows every command
without running anything, for `oxh drill --dry-run`. Commands run through
the target's node access (harness.backends.ssh).
"""

from __future__ import annotations

from harness.backends.access import NodeUnreachable
from harness.backends.ssh import SshAccess
from harness.faults.catalogue import Fault, Injected
from harness.faults.driver import inject_each, pick

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


class SshFaults:
    def __init__(self, access: SshAccess):
        self.access = access
        self.settings = access.settings
        self.description = access.description

    def nodes(self, fault: Fault) -> list[str]:
        return pick(fault, self.access)

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
            candidates = self.access.layout.names(fault.selector.role)
            lines.append(f"(whichever of {', '.join(candidates)} holds the {fault.selector.role} VIP; shown: the first)")
            selected = candidates[:1]
        for node in selected:
            inject, heal = self.commands(fault, node, selected)
            lines += [f"{node}: inject: {self.access.command_line(node, c)}" for c in inject]
            lines += [f"{node}: heal:   {self.access.command_line(node, c)}" for c in heal]
        return lines

    def unsupported(self, fault: Fault) -> str | None:
        return None  # a command that fails on the host is reported when the drill injects it

    def inject(self, fault: Fault) -> Injected:
        selected = self.nodes(fault)

        def step(node: str, injected: Injected) -> None:
            inject, heal = self.commands(fault, node, selected)
            injected.undo += [(node, command) for command in heal]
            for command in inject:
                result = self.access.exec(node, command)
                if not result.ok:
                    raise RuntimeError(f"{node}: {command} failed: {result.output.strip()[-300:]}")

        return inject_each(self, fault, selected, step)

    def heal(self, injected: Injected) -> None:
        if injected.healed:
            return
        for node, command in reversed(injected.undo):
            try:
                result = self.access.exec(node, command)
                failure = None if result.ok else f"exited with {result.exit_code}"
            except NodeUnreachable as exc:
                failure = f"could not be run: {exc.reason}"
            if failure:
                injected.heal_failures.append(f"{node}: `{command}` {failure} while healing")
        injected.healed = True
