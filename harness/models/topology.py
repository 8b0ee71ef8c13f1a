"""Typed model of a topology file (topologies/*.yaml).

A topology names every node of the HA design with its fixed address, the
virtual addresses keepalived moves between nodes, and the balancer pools with
their members. The model checks everything that can be checked without
starting anything: unknown keys, duplicate names/routes/addresses, addresses
outside the subnet, pools without members, tiers that the design needs but
that have no node.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv4Network
from typing import Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NAME_PATTERN = r"^[a-z][a-z0-9-]{0,30}$"
ROLES = ("balancer", "middleware", "database", "filestore", "imap", "mta")


class Strict(BaseModel):
    """Base of every model: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Network(Strict):
    subnet: IPv4Network
    dynamic_range: IPv4Network = Field(
        description="Part of the subnet Docker may hand out; fixed addresses and VIPs must lie outside it."
    )
    edge: IPv4Address = Field(
        description="Address of the edge container that publishes the VIPs on the host's loopback."
    )

    @model_validator(mode="after")
    def _range_inside_subnet(self) -> "Network":
        if not self.dynamic_range.subnet_of(self.subnet):
            raise ValueError(
                f"dynamic_range {self.dynamic_range} is not inside subnet {self.subnet}; "
                "choose a range within the subnet"
            )
        return self

    @property
    def gateway(self) -> IPv4Address:
        return next(self.subnet.hosts())


class Vip(Strict):
    address: IPv4Address
    vrid: int = Field(ge=1, le=255, description="VRRP virtual router id, unique per network")


class Node(Strict):
    name: str = Field(pattern=NAME_PATTERN)
    address: IPv4Address


class BalancerNode(Node):
    priority: int = Field(ge=1, le=254)


class MiddlewareNode(Node):
    route: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$", description="JSESSIONID route of this node")
    pools: list[str] = Field(min_length=1)


class DatabaseNode(Node):
    server_id: int = Field(ge=1, le=4294967295)
    priority: int = Field(ge=1, le=254)


class Member(Strict):
    """mod_proxy_balancer member parameters (OX defaults, tuned for quick failover)."""

    timeout: int = Field(default=100, ge=1)
    connectiontimeout: int = Field(default=1, ge=1)
    retry: int = Field(default=5, ge=0)
    ttl: int = Field(default=60, ge=1)
    smax: int = Field(default=0, ge=0)
    loadfactor: int = Field(default=50, ge=1, le=100)


class QueryRoute(Strict):
    """Requests to `path` whose query string matches `query` go to this pool."""

    path: str = Field(pattern=r"^/")
    query: str

    @field_validator("query")
    @classmethod
    def _valid_regex(cls, value: str) -> str:
        re.compile(value)
        return value


class Pool(Strict):
    paths: list[str] = Field(default_factory=list)
    query_routes: list[QueryRoute] = Field(default_factory=list)
    member: Member = Member()
    ha: bool = Field(default=True, description="false: one member on purpose, a single point of failure of the "
                                               "pool that validation warns about instead of refusing")

    @field_validator("paths")
    @classmethod
    def _absolute(cls, paths: list[str]) -> list[str]:
        for path in paths:
            if not path.startswith("/"):
                raise ValueError(f"path {path!r} must start with '/'")
        return paths


class MemberWatch(Strict):
    """The balancer's watch over its pool members: a member that leaves `fails` checks of `timeout`
    seconds in a row unanswered is taken out, and back in after `passes` answered ones."""

    interval: float = Field(default=1.0, gt=0, description="seconds between two rounds of checks")
    timeout: float = Field(default=2.0, gt=0, description="seconds a member has to answer /health")
    fails: int = Field(default=2, ge=1)
    passes: int = Field(default=1, ge=1)
    path: str = Field(default="/live", pattern=r"^/",
                      description="what the watch asks: a liveness URL that consults no backend")

    @property
    def detection_seconds(self) -> float:
        """The longest time a member that stopped answering stays in its pools."""
        return self.fails * (self.interval + self.timeout)


class BalancerTier(Strict):
    vip: Vip
    http_port: int = 80
    admin_networks: list[IPv4Network] = Field(
        default_factory=list,
        description="Besides loopback, who may reach /webservices and /balancer-manager.",
    )
    member_watch: MemberWatch | None = Field(
        default_factory=MemberWatch,
        description="Take a member that stops answering out of its pools; null: none, as OX ships it.")
    ha: bool = Field(default=True, description="false: one balancer on purpose, a single point of failure "
                                               "that validation warns about instead of refusing")
    nodes: list[BalancerNode]


class MiddlewareTier(Strict):
    port: int = 8009
    sessions: Literal["shared", "local"] = "shared"
    workers: int | Literal["auto"] = Field(
        default="auto", description="Worker processes per reference node, sharing its port: a number from 1, or "
        "auto: its CPU quota rounded up, followed while it runs (one without a quota).")
    nodes: list[MiddlewareNode]

    @model_validator(mode="after")
    def _workers(self) -> "MiddlewareTier":
        if self.workers != "auto" and self.workers < 1:
            raise ValueError(f"workers must be 1 or more, or auto, not {self.workers}")
        if self.sessions == "local" and self.workers not in (1, "auto"):
            raise ValueError("sessions: local keeps sessions in one process's memory, so it needs workers: 1")
        return self


class DatabaseTier(Strict):
    write_vip: Vip
    read_node: str | None = Field(default=None, description="Node the middleware reads from; default the last one.")
    nodes: list[DatabaseNode]


class FilestoreTier(Strict):
    nodes: list[Node]


class ImapTier(Strict):
    nodes: list[Node]


class MtaTier(Strict):
    nodes: list[Node]


class FailoverThresholds(Strict):
    """What one failover scenario may cost users on this target; unset values keep the scenario's own."""

    max_probe_downtime: float | None = Field(default=None, ge=0)
    max_write_downtime: float | None = Field(default=None, ge=0)
    max_upload_downtime: float | None = Field(default=None, ge=0)
    max_mail_downtime: float | None = Field(default=None, ge=0)
    max_recovery: float | None = Field(default=None, ge=0)
    max_lost_writes: int | None = Field(default=None, ge=0)
    max_lost_sessions: int | None = Field(default=None, ge=0)

    @field_validator("max_lost_writes")
    @classmethod
    def _no_data_loss(cls, value: int | None) -> int | None:
        if value:
            raise ValueError("cannot be loosened: an acknowledged write, a sent mail or an uploaded file lost is "
                             "lost data, and the HA design allows none (limit 0); remove the key")
        return value

    def overrides(self) -> dict[str, float | int]:
        return {key: value for key, value in self.model_dump().items() if value is not None}


# Minimum and maximum node count per tier: what the HA design can be built from.
TIER_COUNTS: dict[str, tuple[int, int]] = {
    "balancer": (1, 2),
    "middleware": (1, 32),
    "database": (2, 2),
    "filestore": (1, 1),
    "imap": (1, 8),
    "mta": (1, 8),
}


class Topology(Strict):
    name: str = Field(pattern=NAME_PATTERN)
    kind: Literal["docker"] = "docker"
    description: str = ""
    mail_domain: str = Field(pattern=r"^[a-z0-9.-]+\.[a-z]{2,}$")
    network: Network
    pools: dict[str, Pool]
    balancer: BalancerTier
    middleware: MiddlewareTier
    database: DatabaseTier
    filestore: FilestoreTier
    imap: ImapTier
    mta: MtaTier
    failover_thresholds: dict[str, FailoverThresholds] = Field(
        default_factory=dict, description="Per scenario name, the thresholds this topology must meet.")

    # -- queries -----------------------------------------------------------

    def tier(self, role: str) -> BalancerTier | MiddlewareTier | DatabaseTier | FilestoreTier | ImapTier | MtaTier:
        return getattr(self, role)

    def nodes(self) -> Iterator[tuple[str, Node]]:
        """Every node with its role, in start-up order."""
        for role, _, node in self.indexed_nodes():
            yield role, node

    def indexed_nodes(self) -> Iterator[tuple[str, int, Node]]:
        """Every node with its role and its index in the tier's list, in start-up order."""
        for role in ("database", "filestore", "imap", "mta", "middleware", "balancer"):
            for index, node in enumerate(self.tier(role).nodes):
                yield role, index, node

    def warnings(self) -> list[str]:
        """What the file accepts on purpose but an operator should know: single points of failure."""
        found = []
        if len(self.balancer.nodes) == 1 and not self.balancer.ha:
            found.append(f"balancer.ha: false: {self.balancer.nodes[0].name} is the only balancer, so the VIP has no "
                         "peer to move to; it is a single point of failure")
        for name, pool in self.pools.items():
            members = self.pool_members(name)
            if len(members) == 1 and not pool.ha:
                found.append(f"pools.{name}.ha: false: {members[0].name} is the pool's only member, so its clients "
                             "have no other node to go to; it is a single point of failure")
        return found

    def node(self, name: str) -> Node:
        for _, node in self.nodes():
            if node.name == name:
                return node
        raise KeyError(name)

    def vips(self) -> dict[str, str]:
        """Every VIP address and the role whose nodes take it over."""
        return {str(self.balancer.vip.address): "balancer", str(self.database.write_vip.address): "database"}

    def pool_members(self, pool: str) -> list[MiddlewareNode]:
        return [node for node in self.middleware.nodes if pool in node.pools]

    @property
    def db_read_node(self) -> DatabaseNode:
        wanted = self.database.read_node or self.database.nodes[-1].name
        return next(node for node in self.database.nodes if node.name == wanted)

    # -- cross-field validation ---------------------------------------------

    @model_validator(mode="after")
    def _consistent(self) -> "Topology":
        problems: list[str] = []
        problems += self._check_counts()
        problems += self._check_unique_names_and_routes()
        problems += self._check_addresses()
        problems += self._check_pools()
        if self.database.read_node and self.database.read_node not in {n.name for n in self.database.nodes}:
            problems.append(
                f"database.read_node: {self.database.read_node!r} is not a database node; "
                "name one of database.nodes or remove the key"
            )
        if self.balancer.vip.vrid == self.database.write_vip.vrid:
            problems.append(
                f"database.write_vip.vrid: {self.database.write_vip.vrid} is also balancer.vip.vrid; "
                "give each VIP its own VRRP id"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _check_counts(self) -> list[str]:
        problems = []
        for role, (low, high) in TIER_COUNTS.items():
            count = len(self.tier(role).nodes)
            if role == "database" and count != 2:
                problems.append(
                    f"database.nodes: the design's database tier is a MySQL master-master pair, exactly 2 nodes "
                    f"that replicate both ways and share the write VIP; found {count}; list two masters")
            elif count < low:
                problems.append(f"{role}.nodes: the design needs at least {low} {role} node(s); add one")
            elif count > high:
                problems.append(f"{role}.nodes: at most {high} {role} node(s) are supported, found {count}; remove some")
        if len(self.balancer.nodes) == 1 and self.balancer.ha:
            problems.append(
                f"balancer.nodes: {self.balancer.nodes[0].name} holds the VIP with no peer to take it over, a single "
                "point of failure; add a second balancer, or set balancer.ha: false to accept it on purpose")
        return problems

    def _check_unique_names_and_routes(self) -> list[str]:
        problems = []
        seen: dict[str, str] = {}
        for role, index, node in self.indexed_nodes():
            if node.name in seen:
                problems.append(
                    f"{role}.nodes[{index}].name: name {node.name!r} is used twice (also in {seen[node.name]}.nodes); "
                    "give every node a unique name"
                )
            seen[node.name] = role
        routes: dict[str, str] = {}
        for index, node in enumerate(self.middleware.nodes):
            if node.route in routes:
                problems.append(
                    f"middleware.nodes[{index}].route: route {node.route!r} of {node.name} is also the route of "
                    f"{routes[node.route]}; every node needs its own JSESSIONID route"
                )
            routes[node.route] = node.name
        return problems

    def _check_addresses(self) -> list[str]:
        problems = []
        net = self.network
        reserved = {net.subnet.network_address, net.subnet.broadcast_address, net.gateway}
        owners: dict[IPv4Address, str] = {}
        fixed = [(f"{role}.nodes[{index}].address", node.address) for role, index, node in self.indexed_nodes()]
        fixed += [
            ("network.edge", net.edge),
            ("balancer.vip.address", self.balancer.vip.address),
            ("database.write_vip.address", self.database.write_vip.address),
        ]
        for where, address in fixed:
            if address not in net.subnet:
                problems.append(f"{where}: {address} is outside network.subnet {net.subnet}; pick an address inside it")
            elif address in reserved:
                problems.append(
                    f"{where}: {address} is the network, broadcast or gateway address of {net.subnet}; pick another"
                )
            elif address in net.dynamic_range:
                problems.append(
                    f"{where}: {address} lies in network.dynamic_range {net.dynamic_range}, "
                    "where Docker hands out addresses; pick one outside it"
                )
            if address in owners:
                problems.append(f"{where}: {address} is also used by {owners[address]}; every address must be unique")
            owners.setdefault(address, where)
        return problems

    def _check_pools(self) -> list[str]:
        problems = []
        for index, node in enumerate(self.middleware.nodes):
            for pool in node.pools:
                if pool not in self.pools:
                    problems.append(
                        f"middleware.nodes[{index}].pools: unknown pool {pool!r} of {node.name}; "
                        f"define it under pools (known: {', '.join(sorted(self.pools))})"
                    )
        for name, pool in self.pools.items():
            members = self.pool_members(name)
            if not members:
                problems.append(f"pools.{name}: no middleware node is a member; add {name!r} to some node's pools")
            elif len(members) == 1 and pool.ha:
                problems.append(
                    f"pools.{name}: {members[0].name} is its only member, a single point of failure for the pool's "
                    f"clients; add {name!r} to a second node's pools, or set pools.{name}.ha: false to accept it "
                    "on purpose")
        return problems
