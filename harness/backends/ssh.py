"""Node access to a staging cluster's hosts over SSH: the NodeAccess protocol for a drill section, with
process control (systemd units) and network control (iptables, tc on the host).

Commands run as the drill's SSH user (root unless the target says
otherwise) with BatchMode, so a missing key fails at once instead of
prompting. ssh's own exit status 255 means it could not connect or log in:
that is `NodeUnreachable`, every other status is the command's. A node's
service is the systemd unit its drill entry names; a node that holds a VIP
also runs keepalived, which a whole-node fault takes down with it. A host
cannot be crashed over SSH: "lose" cuts it off the network but for SSH and
kills its services, which is what its peers and users see of a crash.
"""

from __future__ import annotations

import shlex
import subprocess
from typing import Callable

from harness.backends.access import HOST_USAGE_COMMAND, ExecResult, NodeUnreachable, Usage, holders_in, host_usage
from harness.backends.capabilities import CUT_OFF_RULES, NodeAction, ServiceAction, ServiceState, rule
from harness.models.layout import Layout, from_drill

SSH_FAILED = 255
SERVICE_COMMANDS = {"kill": "systemctl kill --signal=SIGKILL {unit}", "stop": "systemctl stop {unit}",
                    "start": "systemctl start {unit}", "pause": "systemctl kill --signal=SIGSTOP {unit}",
                    "resume": "systemctl kill --signal=SIGCONT {unit}", "restart": "systemctl restart {unit}"}
NODE_SERVICE_ACTION = {"lose": "kill", "shutdown": "stop", "freeze": "pause", "thaw": "resume", "boot": "start"}
Runner = Callable[[list[str], float], tuple[int, str]]  # (argv, timeout) -> (exit code, output)


def run_local(argv: list[str], timeout: float) -> tuple[int, str]:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 124, f"did not finish within {timeout:g} s"
    return result.returncode, result.stdout + result.stderr


class SshAccess:
    def __init__(self, settings, target_name: str = "", runner: Runner = run_local):
        self.settings = settings  # harness.models.target_file.DrillSettings
        self.layout: Layout = from_drill(settings)
        self.description = f"ssh to {target_name or 'the staging hosts'}"
        self.runner = runner

    def argv(self, node: str) -> list[str]:
        spec = self.settings.node(node)
        argv = ["ssh", "-p", str(self.settings.ssh_port), "-o", "BatchMode=yes", "-o", "ConnectTimeout=5"]
        if self.settings.ssh_identity:
            argv += ["-i", self.settings.ssh_identity]
        for option in self.settings.ssh_options:
            argv += ["-o", option]
        return argv + [f"{self.settings.ssh_user}@{spec.host}"]

    def command_line(self, node: str, command: str) -> str:
        """The ssh command line that runs `command` on the node, as a person would type it."""
        return " ".join(shlex.quote(part) for part in [*self.argv(node), command])

    def exec(self, node: str, script: str, timeout: float = 30.0) -> ExecResult:
        code, output = self.runner([*self.argv(node), script], timeout)
        if code == SSH_FAILED:
            raise NodeUnreachable(node, f"ssh to {self.settings.node(node).host} failed: {output.strip()[-200:]}")
        return ExecResult(node, code, output)

    def read_file(self, node: str, path: str) -> str | None:
        result = self.exec(node, f"cat {shlex.quote(path)}", timeout=10)
        return result.output if result.ok else None

    def logs(self, node: str, lines: int = 50) -> str:
        service = shlex.quote(self.settings.node(node).service)
        return self.exec(node, f"journalctl -u {service} -n {int(lines)} --no-pager", timeout=15).output

    def health(self) -> dict[str, str]:
        found = {}
        for node in self.settings.nodes:
            try:
                active = self.exec(node.name, f"systemctl is-active --quiet {shlex.quote(node.service)}", timeout=10)
            except NodeUnreachable as exc:
                found[node.name] = f"unreachable: {exc.reason}"
                continue
            found[node.name] = "healthy" if active.ok else f"unhealthy: {node.service} is not active"
        return found

    def vip_holders(self) -> dict[str, list[str]]:
        holders: dict[str, list[str]] = {}
        for vip in self.layout.vips:
            holders[vip.address] = []
            for name in self.layout.names(vip.role):
                try:
                    output = self.exec(name, "ip -o -4 addr show", timeout=10).output
                except NodeUnreachable:
                    continue  # health() names the node that cannot be reached
                if holders_in(output, vip.address):
                    holders[vip.address].append(name)
        return holders

    def published(self, node: str, port: int) -> tuple[str, int] | None:
        return self.settings.node(node).host, port

    def usage(self) -> dict[str, Usage]:
        found: dict[str, Usage] = {}
        for node in self.settings.nodes:
            try:
                result = self.exec(node.name, HOST_USAGE_COMMAND, timeout=5)
            except NodeUnreachable:
                continue
            usage = host_usage(result.output) if result.ok else None
            if usage:
                found[node.name] = usage
        return found

    # -- ProcessControl -------------------------------------------------------

    def service(self, node: str, action: ServiceAction) -> None:
        self._must(node, self._service_script(node, action, [self.settings.node(node).service]))

    def service_state(self, node: str) -> ServiceState:
        unit = shlex.quote(self.settings.node(node).service)
        script = (f"pid=$(systemctl show -p MainPID --value {unit}); "
                  "if [ -z \"$pid\" ] || [ \"$pid\" = 0 ]; then echo stopped; "
                  "elif ps -o stat= -p \"$pid\" | grep -q '^T'; then echo paused; else echo running; fi")
        state = self.exec(node, script, timeout=15).output.strip()
        return state if state in ("running", "stopped", "paused") else "stopped"

    def whole_node(self, node: str, action: NodeAction) -> None:
        self._must(node, self._node_script(node, action))

    def how(self, node: str, action: str) -> str:
        if action in SERVICE_COMMANDS:
            return self.command_line(node, self._service_script(node, action, [self.settings.node(node).service]))
        return self.command_line(node, self._node_script(node, action))

    def _node_script(self, node: str, action: str) -> str:
        """A whole-node action on a host: its services (the service first: keepalived's check watches it); a host
        lost is cut off the network but for SSH first, and let back on when it is brought back."""
        script = self._service_script(node, NODE_SERVICE_ACTION[action], self._units(node))
        if action == "lose":
            return f"{self._rules_script('-I')} && {script}"
        if action == "boot":
            return f"{self._rules_script('-D')}; {script}"
        return script

    def _units(self, node: str) -> list[str]:
        """The node's service, and keepalived where its role holds a VIP."""
        spec = self.settings.node(node)
        return [spec.service, *(["keepalived"] if self.layout.vip_of(spec.role) else [])]

    def _service_script(self, node: str, action: str, units: list[str]) -> str:
        return " && ".join(SERVICE_COMMANDS[action].format(unit=shlex.quote(unit)) for unit in units)

    @staticmethod
    def _rules_script(verb: str) -> str:
        bodies = [rule(body) for body in CUT_OFF_RULES]
        ordered = reversed(bodies) if verb == "-I" else bodies
        return " && ".join(shlex.join(["iptables", verb, *body]) for body in ordered)

    def _must(self, node: str, script: str) -> None:
        result = self.exec(node, script)
        if not result.ok:
            raise RuntimeError(f"{node}: `{script}` exited with {result.exit_code}: {result.output.strip()[-300:]}")

    # -- NetworkControl -------------------------------------------------------

    def net(self, node: str, argv: list[str], check: bool = True) -> None:
        result = self.exec(node, shlex.join(argv))
        if check and not result.ok:
            raise RuntimeError(f"{node}: {shlex.join(argv)} failed: {result.output.strip()[-300:]}")

    def has_netem(self, node: str) -> bool:
        return self.exec(node, "modinfo -n sch_netem >/dev/null 2>&1 || test -d /sys/module/sch_netem",
                         timeout=15).ok

    def how_net(self, node: str, argv: list[str]) -> str:
        return self.command_line(node, shlex.join(argv))
