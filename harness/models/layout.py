"""The layout of a cluster as the checks need it, whatever describes it.

A topology file (the reference in Docker) and a staging target's drill
section both say which nodes exist, their roles, the pools the middleware
nodes serve with their routes, the VIPs with the node the design prefers
for each, and the configuration files that must agree between nodes of a
role. Node-level checks, fault drivers and reports read this one shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# OX's default proxy_http.conf: the paths each pool serves (the first one is where a check knocks).
VENDOR_POOL_PATHS: dict[str, tuple[str, ...]] = {
    "oxcluster": ("/appsuite/api", "/ajax", "/infostore", "/realtime", "/servlet", "/webservices", "/drive"),
    "oxcluster_docs": ("/appsuite/api/oxodocumentconverter", "/appsuite/api/oxodocumentfilter"),
    "oxcluster_sync": ("/usm-json", "/Microsoft-Server-ActiveSync", "/servlet/dav"),
}


@dataclass(frozen=True)
class NodeInfo:
    name: str
    role: str
    address: str = ""  # where the node is reached: its fixed address, or the host a target names
    route: str | None = None  # JSESSIONID route of a middleware node
    pools: tuple[str, ...] = ()
    priority: int | None = None  # keepalived priority of a node that can hold a VIP


@dataclass(frozen=True)
class VipInfo:
    address: str
    role: str
    preferred: str | None = None  # the node the design wants holding it (the highest priority)


@dataclass(frozen=True)
class Layout:
    nodes: tuple[NodeInfo, ...]
    vips: tuple[VipInfo, ...] = ()
    pool_paths: dict[str, tuple[str, ...]] = field(default_factory=dict)
    config_files: dict[str, tuple[str, ...]] = field(default_factory=dict)  # role -> files equal on its nodes
    read_node: str | None = None  # the database node the middleware reads from, where the design says
    balancer_port: int = 80  # where Apache listens on a balancer node
    middleware_port: int = 8009  # where a middleware node serves HTTP (OX's default)

    def of_role(self, role: str) -> list[NodeInfo]:
        return [node for node in self.nodes if node.role == role]

    def names(self, role: str | None = None) -> list[str]:
        return [node.name for node in self.nodes if role is None or node.role == role]

    def node(self, name: str) -> NodeInfo:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(f"no node {name!r} in the layout (known: {', '.join(self.names())})")

    @property
    def pools(self) -> list[str]:
        found = list(self.pool_paths)
        for node in self.of_role("middleware"):
            found += [pool for pool in node.pools if pool not in found]
        return found

    def pool_members(self, pool: str) -> list[NodeInfo]:
        return [node for node in self.of_role("middleware") if pool in node.pools]

    def by_route(self, route: str) -> NodeInfo | None:
        return next((node for node in self.of_role("middleware") if node.route == route), None)

    def vip_of(self, role: str) -> VipInfo | None:
        return next((vip for vip in self.vips if vip.role == role), None)

    def vip_roles(self) -> dict[str, str]:
        """VIP address -> the role whose nodes take it over."""
        return {vip.address: vip.role for vip in self.vips}


def preferred(nodes: list[NodeInfo]) -> str | None:
    """The node keepalived makes master when all are up: the highest priority, else the first listed."""
    if not nodes:
        return None
    ranked = [node for node in nodes if node.priority is not None]
    return max(ranked, key=lambda node: node.priority).name if ranked else nodes[0].name


def from_topology(topology, config_files: dict[str, tuple[str, ...]] | None = None) -> Layout:
    """The layout of a topology file (harness.models.topology.Topology)."""
    nodes: list[NodeInfo] = []
    for role, node in topology.nodes():
        nodes.append(NodeInfo(
            name=node.name, role=role, address=str(node.address), route=getattr(node, "route", None),
            pools=tuple(getattr(node, "pools", ())), priority=getattr(node, "priority", None)))
    vips = []
    for address, role in topology.vips().items():
        vips.append(VipInfo(address, role, preferred([n for n in nodes if n.role == role])))
    paths = {name: tuple(pool.paths) or tuple(route.path for route in pool.query_routes)
             for name, pool in topology.pools.items()}
    return Layout(tuple(nodes), tuple(vips), paths, dict(config_files or {}), topology.db_read_node.name,
                  topology.balancer.http_port, topology.middleware.port)


def from_drill(drill) -> Layout:
    """The layout a staging target's drill section (harness.models.target_file.DrillSettings) gives."""
    nodes = tuple(NodeInfo(name=node.name, role=node.role, address=node.host, route=node.route,
                           pools=tuple(node.pools), priority=node.priority) for node in drill.nodes)
    vips = tuple(VipInfo(address, role, preferred([n for n in nodes if n.role == role]))
                 for role, address in drill.vips.items())
    paths = {pool: VENDOR_POOL_PATHS.get(pool, ()) for node in nodes for pool in node.pools}
    paths.update({pool: tuple(values) for pool, values in drill.pool_paths.items()})
    return Layout(nodes, vips, paths, {role: tuple(files) for role, files in drill.config_files.items()})
