"""Node access to a reference project in Docker: the NodeAccess protocol over its containers, with every
capability of harness.backends.capabilities (process, network and CPU control, delay agents)."""

from __future__ import annotations

from harness.backends.access import ExecResult, NodeUnreachable, Usage
from harness.backends.docker.cluster import DockerCluster
from harness.backends.docker.configs import FILES
from harness.backends.docker.control import DockerControl
from harness.backends.docker.engine import LABEL_NODE
from harness.backends.docker.node import set_cpu_quota
from harness.backends.docker.ports import published_ports
from harness.backends.docker.usage import container_usage
from harness.models.layout import Layout, from_topology

# Files rendered per node that hold secrets or seed data rather than configuration, or that differ per node by
# design (a master's firewall admits the other master): those are judged by what they do (ADMIN-CLOSED).
NOT_CONFIGURATION = ("init.sql", "master-users", "firewall.rules")


def config_files() -> dict[str, tuple[str, ...]]:
    """Per role, the configuration files the harness renders: equal on every node once per-node values
    are masked."""
    return {role: tuple(dest for _, dest in files if not dest.endswith(NOT_CONFIGURATION))
            for role, files in FILES.items()}


class DockerAccess(DockerControl):
    def __init__(self, cluster: DockerCluster):
        topology = cluster.state.topology()
        if topology is None:
            raise NodeUnreachable(cluster.project, "the project has no topology (is it up?)")
        self.cluster = cluster
        self.topology = topology
        self.layout: Layout = from_topology(topology, config_files())
        self.description = f"docker project {cluster.project}"
        super().__init__(cluster.node, lambda node: self.layout.node(node).role)

    def exec(self, node: str, script: str, timeout: float = 30.0) -> ExecResult:
        return self.cluster.node(node).exec(script, timeout)

    def read_file(self, node: str, path: str) -> str | None:
        result = self.cluster.node(node).exec(["cat", path], timeout=10)
        return result.output if result.ok else None

    def logs(self, node: str, lines: int = 50) -> str:
        return self.cluster.node(node).logs(lines)

    def health(self) -> dict[str, str]:
        return {status.node: status.health for status in self.cluster.status()}

    def vip_holders(self) -> dict[str, list[str]]:
        return self.cluster.vip_holders(self.topology)

    def published(self, node: str, port: int) -> tuple[str, int] | None:
        """The loopback address `port` of `node` is published on: one container's settings, not every node's
        status (whose health checks take a second)."""
        try:
            number = published_ports(self.cluster.node(node).container).get(str(port))
        except NodeUnreachable:
            return None
        return ("127.0.0.1", number) if number else None

    def usage(self) -> dict[str, Usage]:
        found: dict[str, Usage] = {}
        for container in self.cluster.containers():
            node = container.labels.get(LABEL_NODE)
            usage = container_usage(container) if node else None
            if usage:
                found[node] = usage
        return found

    def limit_cpu(self, node: str, cores: float | None) -> None:
        """Give the node at most `cores` CPUs, claimed ahead of the others (None: no limit); capacity sweeps use it."""
        set_cpu_quota(self.cluster.node(node), cores)
