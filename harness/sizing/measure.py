"""One point of a capacity sweep: a pool narrowed to some members, each held to a CPU quota, under step load.

The knobs are set through node access and undone when the point ends, also
on Ctrl-C: pool members are drained and enabled again through each
balancer's balancer-manager (as an operator would on a staging cluster), CPU
quotas are set through the engine (docker only). Beside the load, the
database's own status counters are read before and after, so that each
request class's database work can be costed.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from harness.backends.access import NodeAccess, NodeUnreachable
from harness.backends.capabilities import CpuLimits
from harness.backends.target import Target
from harness.clients.balancer import drain_command, manager_xml_command, parse_manager_xml
from harness.clients.mysql import MySQLEndpoint
from harness.errors import UserError
from harness.load.load_plan import LoadPlan
from harness.load.load_result import LoadResult
from harness.load.profile import LoadProfile
from harness.load.results import summarize
from harness.load.runner import run_locust
from harness.load.sampler import Samples
from harness.sizing.points import WRITE_COUNTERS

Progress = Callable[[str], None]
MIB = 1024 * 1024
DB_COUNTERS = ("Questions", "Com_select", *WRITE_COUNTERS)
# The balancer pool each swept middleware tier is, narrowed to the point's members; Dovecot has none.
POOLS = {"middleware": "oxcluster", "sync": "oxcluster_sync"}


@dataclass(frozen=True)
class PointPlan:
    """What one point of the sweep sets before it loads the cluster."""
    tier: str  # "middleware" (the groupware pool), "sync" (the sync pool) or "imap"
    members: tuple[str, ...]  # the nodes of the tier that carry the load
    cpu_per_node: float | None  # a CPU quota per node in cores; None leaves the node as it is
    steps: tuple[int, ...]  # users per step
    hold_seconds: float
    speedup: float
    spawn_rate: float = 4.0  # users started per second; too fast, their sign-ins leave a backlog the first step sees
    node_cores: float | None = None  # without a quota: the cores each node has

    @property
    def cores(self) -> float | None:
        return self.cpu_per_node or self.node_cores

    @property
    def label(self) -> str:
        quota = f"{self.cpu_per_node:g} core" if self.cpu_per_node else f"{self.node_cores or '?'} cores, no quota"
        return f"{self.tier} ×{len(self.members)}, {quota}"

    @property
    def folder_name(self) -> str:
        quota = f"{self.cpu_per_node:g}".replace(".", "p") if self.cpu_per_node else "free"
        return f"{self.tier}-{len(self.members)}n-{quota}"


def _balancers(access: NodeAccess) -> list[str]:
    return access.layout.names("balancer")


def _pool_urls(access: NodeAccess, balancer: str, pool: str) -> dict[str, str]:
    """member URL per node name, as the balancer lists the pool."""
    result = access.exec(balancer, manager_xml_command(access.layout.balancer_port), timeout=10)
    if not result.ok:
        raise NodeUnreachable(balancer, f"balancer-manager unreadable: {result.output.strip()[:200]}")
    by_address = {node.address: node.name for node in access.layout.of_role("middleware")}
    urls = {}
    for member in parse_manager_xml(result.output).get(pool, []):
        host = member.url.split("//", 1)[-1].rsplit(":", 1)[0]
        if host in by_address:
            urls[by_address[host]] = member.url
    return urls


def _drain(access: NodeAccess, pool: str, nodes: list[str], drained: bool) -> None:
    for balancer in _balancers(access):
        urls = _pool_urls(access, balancer, pool)
        for node in nodes:
            result = access.exec(balancer, drain_command(pool, urls[node], drained, access.layout.balancer_port))
            if result.output.strip() != "200":
                raise NodeUnreachable(balancer, f"balancer-manager refused to {'drain' if drained else 'enable'} "
                                                f"{node} in {pool}: {result.output.strip()[:200]}")


@contextlib.contextmanager
def pool_narrowed(access: NodeAccess, pool: str, members: tuple[str, ...]) -> Iterator[None]:
    """Only `members` of `pool` take requests on every balancer until the block ends."""
    pool_nodes = [node.name for node in access.layout.pool_members(pool)]
    unknown = [node for node in members if node not in pool_nodes]
    if unknown:
        raise UserError(f"{', '.join(unknown)} is not a member of {pool} (members: {', '.join(pool_nodes)})",
                        "measure with the nodes of the pool")
    others = [node for node in pool_nodes if node not in members]
    _drain(access, pool, others, True)
    try:
        yield
    finally:
        _drain(access, pool, others, False)


@contextlib.contextmanager
def cpu_limited(access: NodeAccess, nodes: tuple[str, ...], cores: float | None) -> Iterator[None]:
    """Each of `nodes` gets at most `cores` CPUs until the block ends."""
    if cores is None:
        yield
        return
    if not isinstance(access, CpuLimits):
        raise UserError(f"{access.description} cannot limit a node's CPU",
                        "measure without CPU quotas (drain pool members only) on this target")
    for node in nodes:
        access.limit_cpu(node, cores)
    try:
        yield
    finally:
        for node in nodes:
            access.limit_cpu(node, None)


def database_counters(databases: list[MySQLEndpoint]) -> dict[str, float]:
    """The database tier's status counters summed over the masters that answer."""
    totals = dict.fromkeys(DB_COUNTERS, 0.0)
    for endpoint in databases:
        try:
            with endpoint.connect() as connection, connection.cursor() as cursor:
                cursor.execute("SHOW GLOBAL STATUS WHERE Variable_name IN (%s)" % ",".join(["%s"] * len(DB_COUNTERS)),
                               DB_COUNTERS)
                for row in cursor.fetchall():
                    totals[row["Variable_name"]] += float(row["Value"])
        except Exception:  # a master that does not answer counts nothing; the point is still measured
            continue
    return totals


def imap_commands(access: NodeAccess) -> float | None:
    """IMAP commands the Dovecot nodes have finished so far (their `imap_command` metric), None when unknown."""
    total, known = 0.0, False
    for node in access.layout.names("imap"):
        try:
            result = access.exec(node, "doveadm stats dump", timeout=10)
        except NodeUnreachable:
            continue
        for line in result.output.splitlines() if result.ok else []:
            fields = line.split("\t")
            if fields[0] == "imap_command" and len(fields) > 2 and fields[2].isdigit():
                total, known = total + int(fields[2]), True
    return total if known else None


@dataclass
class PointRun:
    """One measured point: its plan, the load run's result, and what the cluster counted meanwhile."""

    plan: PointPlan
    load: LoadResult
    database_work: dict[str, float] = field(default_factory=dict)  # growth of DB_COUNTERS over the run
    imap_commands: float | None = None
    memory_per_session_mib: float | None = None

    def to_json(self) -> str:
        """The point's results.json: the load run's figures with the point's settings and the work counted."""
        data = self.load.record()
        data["point"] = {"tier": self.plan.tier, "members": list(self.plan.members), "cpu_per_node": self.plan.cores,
                         "quota": self.plan.cpu_per_node is not None, "steps": list(self.plan.steps),
                         "speedup": self.plan.speedup}
        data.update(database_work=self.database_work, imap_commands=self.imap_commands,
                    memory_per_session_mib=self.memory_per_session_mib)
        return json.dumps(data, indent=2)


def measure_point(target: Target, profile: LoadProfile, accounts: list[dict[str, str]],
                  point: PointPlan, folder: Path, progress: Progress) -> PointRun:
    """Run the step load of `point`: its load result with the database and IMAP work counted meanwhile."""
    access, endpoints = target.access, target.endpoints
    folder.mkdir(parents=True, exist_ok=True)
    plan = LoadPlan(
        profile=profile, http_url=endpoints.http_url, verify_tls=endpoints.tls is not False,
        imap=_imap_of(target, point), smtp=endpoints.smtp, accounts=accounts, shape="steps",
        users=max(point.steps), spawn_rate=point.spawn_rate, duration=1, steps=list(point.steps),
        hold_seconds=point.hold_seconds, speedup=point.speedup, stop_after_slo_miss=True, output=str(folder))
    narrowed = pool_narrowed(access, POOLS[point.tier], point.members) if point.tier in POOLS \
        else contextlib.nullcontext()
    with narrowed, cpu_limited(access, point.members, point.cpu_per_node):
        before, imap_before = database_counters(endpoints.databases), imap_commands(access)
        run = run_locust(plan, folder, access, progress)
        after, imap_after = database_counters(endpoints.databases), imap_commands(access)
    load = summarize(run, plan, profile)
    measured = PointRun(
        point, load,
        database_work={name: after[name] - before[name] for name in DB_COUNTERS},
        imap_commands=imap_after - imap_before if imap_before is not None and imap_after is not None else None,
        memory_per_session_mib=memory_per_session(run.samples, point.tier, max(
            (step.users for step in load.steps), default=0)))
    run.samples.write_csv(folder / "resources.csv")
    (folder / "results.json").write_text(measured.to_json())
    return measured


def node_cores(access: NodeAccess, node: str) -> float:
    """The CPUs a node has (`nproc`), for a sweep that cannot set quotas."""
    result = access.exec(node, "nproc", timeout=10)
    if not result.ok or not result.output.strip().isdigit():
        raise NodeUnreachable(node, f"nproc failed: {result.output.strip()[:200]}")
    return float(result.output.strip())


def memory_per_session(samples: Samples, tier: str, sessions: int) -> float | None:
    """MiB the tier's memory grew per concurrent user session during the run (None when it did not grow)."""
    rows = samples.per_tier().get(tier, [])
    if len(rows) < 2 or sessions <= 0:
        return None
    grown = max(memory for _, _, memory in rows) - rows[0][2]
    return round(grown / sessions / MIB, 3) if grown > 0 else None


def _imap_of(target: Target, point: PointPlan) -> list[tuple[str, int]]:
    """The IMAP servers the load's IMAP users reach: for an imap point only its members."""
    endpoints, layout = target.endpoints, target.layout
    if point.tier != "imap":
        return endpoints.imap
    addresses = {layout.node(node).address for node in point.members}
    chosen = [(host, port) for host, port in endpoints.imap if host in addresses]
    if not chosen:  # published on loopback: keep the order of the layout's imap nodes
        names = layout.names("imap")
        chosen = [endpoints.imap[names.index(node)] for node in point.members
                  if names.index(node) < len(endpoints.imap)]
    return chosen
