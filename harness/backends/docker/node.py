"""A handle on one node of a reference project: its container, by node name.

What tests, node access and the Docker fault driver do to a node goes
through here: run a command, read its logs, kill, stop, pause or restart it,
and run network tools inside its network namespace from the host (nsenter),
so containers need no extra capabilities for network faults.
"""

from __future__ import annotations

import subprocess

from docker.errors import APIError, NotFound
from docker.models.containers import Container

from harness.backends.access import ExecResult, NodeUnreachable


class NodeHandle:
    def __init__(self, client, container_name: str, node: str):
        self.client, self.container_name, self.name = client, container_name, node

    @property
    def container(self) -> Container:
        try:
            return self.client.containers.get(self.container_name)
        except NotFound:
            raise NodeUnreachable(self.name, f"no container {self.container_name}") from None

    @property
    def status(self) -> str:
        """running, paused, exited, ... as the engine says."""
        return self.container.status

    def exec(self, script: str | list[str], timeout: float = 30.0) -> ExecResult:
        """A shell script (or an argv) run inside the container, stopped after `timeout` seconds."""
        argv = ["sh", "-c", script] if isinstance(script, str) else list(script)
        try:
            result = self.container.exec_run(["timeout", str(max(1, round(timeout))), *argv])
        except APIError as exc:  # stopped or paused meanwhile
            raise NodeUnreachable(self.name, exc.explanation or str(exc)) from None
        return ExecResult(self.name, result.exit_code, result.output.decode(errors="replace"))

    def logs(self, lines: int = 50) -> str:
        return self.container.logs(tail=lines).decode(errors="replace")

    def kill(self) -> None:
        self.container.kill()

    def stop(self, timeout: int = 10) -> None:
        self.container.stop(timeout=timeout)

    def start(self) -> None:
        self.container.start()

    def pause(self) -> None:
        self.container.pause()

    def unpause(self) -> None:
        self.container.unpause()

    def restart(self, timeout: int = 10) -> None:
        self.container.restart(timeout=timeout)

    def in_netns(self, argv: list[str], check: bool = True) -> subprocess.CompletedProcess:
        """Run a host tool (ip, iptables, tc) inside the node's network namespace."""
        pid = self._pid()
        if not pid:
            if check:
                raise NodeUnreachable(self.name, "not running, so its network cannot be changed")
            return subprocess.CompletedProcess(argv, 0, "", "")
        result = subprocess.run(["nsenter", "-t", str(pid), "-n", *argv], capture_output=True, text=True)
        if check and result.returncode != 0:
            raise RuntimeError(f"{self.name}: {' '.join(argv)} failed: {result.stderr.strip()}")
        return result

    def spawn_in_netns(self, argv: list[str]) -> subprocess.Popen:
        """Start a host program inside the node's network namespace; it runs until it ends or is stopped."""
        pid = self._pid()
        if not pid:
            raise NodeUnreachable(self.name, "not running, so nothing can run in its network")
        return subprocess.Popen(["nsenter", "-t", str(pid), "-n", *argv], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def _pid(self) -> int:
        return self.container.attrs["State"]["Pid"]


CPU_PERIOD_US = 100_000
DEFAULT_CPU_SHARES = 1024
LIMITED_CPU_SHARES = 10 * DEFAULT_CPU_SHARES


def set_cpu_quota(handle: NodeHandle, cores: float | None) -> None:
    """Limit the container to `cores` CPUs (CFS quota over a 100 ms period) and let it claim them first;
    None lifts both.

    A quota only caps a node. On a host whose cores the other containers and the load generator share, a
    node under a small quota is often runnable but not running, and loses what it had left of its period,
    so that it never reaches its quota. Ten times the default CPU weight lets it take its quota ahead of
    the others; they keep whatever it leaves.
    """
    handle.container.update(cpu_period=CPU_PERIOD_US, cpu_quota=int(cores * CPU_PERIOD_US) if cores else -1,
                            cpu_shares=LIMITED_CPU_SHARES if cores else DEFAULT_CPU_SHARES)
