"""Node access to a staging cluster's hosts over SSH: the NodeAccess protocol for a drill section.

Commands run as the drill's SSH user (root unless the target says
otherwise) with BatchMode, so a missing key fails at once instead of
prompting. ssh's own exit status 255 means it could not connect or log in:
that is `NodeUnreachable`, every other status is the command's.
"""

from __future__ import annotations

import shlex
import subprocess
from typing import Callable

from harness.backends.access import HOST_USAGE_COMMAND, ExecResult, NodeUnreachable, Usage, holders_in, host_usage
from harness.topology.layout import Layout, from_drill

SSH_FAILED = 255
Runner = Callable[[list[str], float], tuple[int, str]]  # (argv, timeout) -> (exit code, output)


def run_local(argv: list[str], timeout: float) -> tuple[int, str]:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 124, f"did not finish within {timeout:g} s"
    return result.returncode, result.stdout + result.stderr


class SshAccess:
    def __init__(self, settings, target_name: str = "", runner: Runner = run_local):
        self.settings = settings  # harness.topology.target.DrillSettings
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
