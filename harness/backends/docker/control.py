"""Process and network control of the reference topology's containers (the capabilities faults use).

A node's *service* is what keepalived's health check watches where the node
holds a VIP: Apache on a balancer, MariaDB on a database master. They run
beside keepalived in their container, so killing one leaves the container
and keepalived alive, as on a real host. On the other roles the service is
the container's only process: acting on it acts on the container. A *whole
node* is its container: lost (killed), shut down (stopped), frozen (paused).
Network tools run from the host in the container's network namespace
(nsenter), so containers need no extra capabilities for network faults.
"""

from __future__ import annotations

import select
import shlex
import subprocess
import sys
from dataclasses import dataclass

from harness.backends.access import NodeUnreachable
from harness.backends.capabilities import NodeAction, ServiceAction, ServiceState
from harness.backends.docker.node import NodeHandle

AGENT_READY_WITHIN = 10.0


@dataclass(frozen=True)
class InnerService:
    """A service that runs beside keepalived in its container."""

    process: str  # its process name, as pgrep -x knows it
    start: tuple[str, ...]  # how to start it inside the container
    stop: str  # how to stop it gracefully
    detach: bool  # whether `start` stays in the foreground (so it is started detached)

    def script(self, action: str) -> str:
        """The shell command that carries out a service action inside the container."""
        start = shlex.join(self.start)
        return {"kill": f"pkill -KILL -x {self.process}", "stop": self.stop, "start": start,
                "pause": f"pkill -STOP -x {self.process}", "resume": f"pkill -CONT -x {self.process}",
                "restart": f"{self.stop}; {start}"}[action]


INNER_SERVICES = {
    "balancer": InnerService("apache2", ("apache2ctl", "start"), "apache2ctl stop", detach=False),
    "database": InnerService("mariadbd", ("mariadbd", "--user=mysql"), "mariadb-admin --protocol=socket shutdown",
                             detach=True),
}
CONTAINER_ACTIONS = {"kill": "kill", "stop": "stop", "start": "start", "pause": "pause", "resume": "unpause",
                     "restart": "restart", "lose": "kill", "shutdown": "stop", "freeze": "pause", "thaw": "unpause",
                     "boot": "start"}


class DockerControl:
    """ProcessControl, NetworkControl and DelayAgents over node handles; `role_of(node)` names a node's role."""

    def __init__(self, handle_of, role_of):
        self._handle, self._role = handle_of, role_of
        self._netem: bool | None = None  # containers share the host's kernel

    # -- ProcessControl -------------------------------------------------------

    def service(self, node: str, action: ServiceAction) -> None:
        handle = self._handle(node)
        inner = INNER_SERVICES.get(self._role(node))
        if inner is None:
            _container(handle, action)
            return
        if action == "restart":
            self.service(node, "stop")
            self.service(node, "start")
            return
        if action == "start":
            if self.service_state(node) == "running":
                return
            if inner.detach:
                handle.container.exec_run(list(inner.start), detach=True)
            else:
                _checked(handle, list(inner.start), f"starting {inner.process}")
            return
        handle.exec(inner.script(action), timeout=30)

    def service_state(self, node: str) -> ServiceState:
        handle = self._handle(node)
        status = handle.status
        if status == "paused":
            return "paused"
        if status != "running":
            return "gone"
        inner = INNER_SERVICES.get(self._role(node))
        if inner is None:
            return "running"
        states = handle.exec(f"ps -o stat= -C {inner.process}", timeout=10).output.split()
        if not states:
            return "stopped"
        return "paused" if all(state.startswith("T") for state in states) else "running"

    def whole_node(self, node: str, action: NodeAction) -> None:
        _container(self._handle(node), action)

    def how(self, node: str, action: str) -> str:
        handle = self._handle(node)
        inner = INNER_SERVICES.get(self._role(node))
        if inner is not None and action in ("kill", "stop", "start", "pause", "resume", "restart"):
            return f"docker exec {handle.container_name} sh -c {shlex.quote(inner.script(action))}"
        return f"docker {CONTAINER_ACTIONS[action]} {handle.container_name}"

    # -- NetworkControl -------------------------------------------------------

    def net(self, node: str, argv: list[str], check: bool = True) -> None:
        self._handle(node).in_netns(argv, check=check)

    def has_netem(self, node: str) -> bool:
        if self._netem is None:
            handle = self._handle(node)
            try:
                handle.in_netns(["tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"])
                handle.in_netns(["tc", "qdisc", "del", "dev", "lo", "root"], check=False)
                self._netem = True
            except RuntimeError:
                self._netem = False
        return self._netem

    def how_net(self, node: str, argv: list[str]) -> str:
        return f"nsenter -n -t <pid of {self._handle(node).container_name}> {shlex.join(argv)}"

    # -- DelayAgents ----------------------------------------------------------

    def start_delay_agent(self, node: str, queue: int, delay_ms: int, seconds: float) -> "Agent":
        handle = self._handle(node)
        process = handle.spawn_in_netns([sys.executable, "-m", "harness.backends.docker.delay_agent", "--queue",
                                         str(queue), "--delay-ms", str(delay_ms), "--seconds", f"{seconds:g}"])
        if select.select([process.stdout], [], [], AGENT_READY_WITHIN)[0] and process.stdout.readline().strip() == "ready":
            return Agent(process)
        process.kill()
        raise RuntimeError(f"{node}: the latency agent did not start: {process.stderr.read()[-300:]}")


class Agent:
    def __init__(self, process: subprocess.Popen):
        self.process = process

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def alive(self) -> bool:
        return self.process.poll() is None


def _container(handle: NodeHandle, action: str) -> None:
    """A service or node action carried out on the whole container; undoing ones are idempotent."""
    verb = CONTAINER_ACTIONS[action]
    status = handle.status
    if verb == "start" and status == "running":
        return
    if verb == "unpause":
        if status == "paused":
            handle.unpause()
        return
    getattr(handle, verb)()


def _checked(handle: NodeHandle, argv: list[str], what: str) -> None:
    result = handle.exec(argv, timeout=30)
    if not result.ok:
        raise NodeUnreachable(handle.name, f"{what} failed: {result.output.strip()[-300:]}")
