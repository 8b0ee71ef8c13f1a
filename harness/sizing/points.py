"""Measured capacity: points of throughput at SLO per tier, per-request costs on other tiers, and how a
stepped load run gives the throughput at SLO.

A `CapacityPoint` is one run of the sweep: a tier with `nodes` nodes in its
pool, each limited to `cpu_per_node` cores, and the highest throughput that
met the profile's SLOs. A `TierCost` is what one request of a class costs
the tiers that are not measured as a curve (database, filestore, IMAP).
Both go to JSON and back with `to_dict` / `from_dict`. A point whose host
ran above `HOST_BOUND` of its cores up to the knee measured the host; one
whose swept nodes never reached `SWEPT_SATURATED` of their CPU quota up to
the knee met its SLO limit somewhere else (another tier, a wait), and
measured that, not the tier.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, Mapping

from harness.load.load_result import StepResult
from harness.load.profile import Slo
from harness.load.step_verdict import MIN_REQUESTS, judge_step
from harness.sizing.errors import SizingError

# The groupware pool, Dovecot, and the sync pool (one node in the sizing topology, under the sync clients' mix).
MEASURED_TIERS = ("middleware", "imap", "sync")
# MariaDB status counters (SHOW GLOBAL STATUS) that count statements changing data.
WRITE_COUNTERS = ("Com_insert", "Com_insert_select", "Com_update", "Com_update_multi", "Com_delete",
                  "Com_delete_multi", "Com_replace", "Com_replace_select")
MIX = "*"  # TierCost.request of a cost measured per request of the whole profile mix
HOST_BOUND = 0.75  # above this share of the host's cores (every container and the generator), the host was measured
# Below this share of their CPU quota up to the knee, the swept nodes were not what ran out: the point is bound
# elsewhere. A tier at its quota shows 90–100 % over a step; a p95 knee comes at 80 % and more.
SWEPT_SATURATED = 0.75


def mix_of(protocol: str) -> str:
    """TierCost.request of a cost measured per request of a whole mix of `protocol` (the groupware mix: MIX)."""
    return MIX if protocol == "http" else f"{MIX}{protocol}"


def _from_dict(cls: type, data: Mapping[str, Any], what: str) -> Any:
    known = {field.name for field in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise SizingError(f"{what}: unknown key(s) {', '.join(unknown)}", f"allowed: {', '.join(sorted(known))}")
    try:
        return cls(**data)
    except TypeError as exc:
        raise SizingError(f"{what}: {exc}", "give every required key") from None


@dataclass(frozen=True)
class CapacityPoint:
    tier: str
    nodes: int
    cpu_per_node: float  # cores of CPU quota per node, measured on a 2-core machine
    throughput: float  # req/s (middleware) or IMAP ops/s (imap) at SLO
    run: str
    generator_bound: bool = False
    held_out: bool = False
    memory_per_session_mib: float | None = None
    host_share: float | None = None  # the host's CPU up to the knee, as a share of its cores; None: not known
    repeats: tuple[float, ...] = ()  # a median point's runs' throughputs (harness.sizing.repeats); () for one run
    swept_share: float | None = None  # the swept nodes' highest CPU up to the knee, as a share of their quota
    busiest_other: str = ""  # the busiest node outside the swept tier at the knee, e.g. "imap-1 at 41 % of a core"

    @property
    def host_bound(self) -> bool:
        return self.host_share is not None and self.host_share > HOST_BOUND

    @property
    def host_bound_reason(self) -> str:
        return (f"the host ran at {self.host_share:.0%} of its cores up to the knee (above {HOST_BOUND:.0%}): the host "
                f"was measured, not the tier")

    @property
    def bound_elsewhere(self) -> bool:
        """The swept nodes never reached their quota up to the knee: something else set the SLO limit."""
        return self.swept_share is not None and self.swept_share < SWEPT_SATURATED

    @property
    def bound_elsewhere_reason(self) -> str:
        busiest = f"; the busiest other node: {self.busiest_other}" if self.busiest_other else ""
        return (f"the swept nodes ran at most {self.swept_share:.0%} of their CPU quota up to the knee (below "
                f"{SWEPT_SATURATED:.0%}): the SLO limit was met elsewhere{busiest}, not in the tier's CPU")

    @property
    def spread(self) -> float | None:
        """Run-to-run spread of a median point: (highest − lowest) / median; None for one run."""
        return (max(self.repeats) - min(self.repeats)) / self.throughput if len(self.repeats) > 1 else None

    def __post_init__(self) -> None:
        object.__setattr__(self, "repeats", tuple(self.repeats))  # JSON gives a list
        problems = []
        if self.tier not in MEASURED_TIERS:
            problems.append(f"tier {self.tier!r} is not one of {', '.join(MEASURED_TIERS)}")
        if self.nodes < 1:
            problems.append(f"nodes must be at least 1 (got {self.nodes})")
        if not self.cpu_per_node > 0:
            problems.append(f"cpu_per_node must be positive (got {self.cpu_per_node})")
        if not self.throughput > 0:
            problems.append(f"throughput must be positive (got {self.throughput}); a run that met no SLO is no point")
        if problems:
            raise SizingError(f"capacity point of run {self.run!r}: " + "; ".join(problems),
                              "correct the point or leave the run out")

    @property
    def units(self) -> str:
        return "IMAP ops/s" if self.tier == "imap" else "req/s"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "CapacityPoint":
        return _from_dict(cls, data, "capacity point")


@dataclass(frozen=True)
class TierCost:
    """Work one request of a class (or of the whole mix, `request: "*"`) causes on the unmeasured tiers;
    None where it was not measured."""

    request: str
    run: str
    db_queries_per_request: float | None = None
    db_writes_per_request: float | None = None
    filestore_ops_per_request: float | None = None
    imap_ops_per_request: float | None = None

    @classmethod
    def from_counters(cls, request: str, run: str, requests: float, database: Mapping[str, float] | None = None,
                      filestore_ops: float | None = None, imap_ops: float | None = None) -> "TierCost":
        """The cost from counter growth during a run that made `requests` requests of `request`.

        `database` holds the growth of MariaDB status counters (`Questions`, or `Queries`, and the
        `Com_*` write counters) summed over the nodes the middleware talks to.
        """
        if requests <= 0:
            raise SizingError(f"cost of {request!r} in run {run!r}: no requests counted",
                              "measure a run that made some")
        per = (lambda value: None if value is None else value / requests)
        queries = writes = None
        if database is not None:
            queries = database.get("Questions", database.get("Queries"))
            writes = sum(database.get(name, 0) for name in WRITE_COUNTERS)
        return cls(request, run, per(queries), per(writes), per(filestore_ops), per(imap_ops))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "TierCost":
        return _from_dict(cls, data, "tier cost")


def points_from_json(items: list[Mapping[str, Any]]) -> list[CapacityPoint]:
    return [CapacityPoint.from_dict(item) for item in items]


def costs_from_json(items: list[Mapping[str, Any]]) -> list[TierCost]:
    return [TierCost.from_dict(item) for item in items]


@dataclass(frozen=True)
class SloCapacity:
    """Throughput at SLO of a stepped run, and how it was found."""

    status: Literal["at_slo", "lower_bound", "first_step_fails"]
    throughput: float | None
    note: str
    last_passing_users: int | None = None
    first_failing_users: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def capacity_at_slo(steps: list[StepResult], slos: Mapping[str, Slo],
                    min_requests: int = MIN_REQUESTS) -> SloCapacity:
    """The throughput (sum of rps) a stepped run sustained within its SLOs.

    A step meets the SLOs as harness.load.step_verdict judges it. The capacity is the throughput of the last
    step that meets them, moved toward the first step that fails as far
    as the worst p95 ratio (p95 / SLO p95, highest over the classes) allows: with ratios r_pass <= 1 at
    throughput X_pass and r_fail > 1 at X_fail, the linear interpolation X_pass + (X_fail - X_pass) *
    (1 - r_pass) / (r_fail - r_pass) is where the ratio reaches 1. When the failing step failed on
    errors only (r_fail <= 1), or its throughput is not higher than X_pass (an overload collapse),
    X_pass itself is the capacity.
    """
    if "default" not in slos:
        raise SizingError("the SLOs have no `default` class", "pass the load profile's slos (they always have one)")
    verdicts = [judge_step(step, slos, min_requests) for step in steps]
    if not verdicts:
        raise SizingError("the run has no steps", "run the profile with a stepped shape (`--steps`)")
    failing = next((i for i, verdict in enumerate(verdicts) if verdict.problems), None)
    if failing is None:
        last = verdicts[-1]
        return SloCapacity("lower_bound", last.throughput,
                           f"lower bound, SLO not reached: every step met the SLOs, up to {last.users} users "
                           f"at {last.throughput:.1f}/s; add larger steps", last.users, None)
    failed = verdicts[failing]
    if failing == 0:
        return SloCapacity("first_step_fails", None,
                           f"the first step ({failed.users} users) already misses the SLOs "
                           f"({'; '.join(failed.problems)}); start with fewer users", None, failed.users)
    passed = verdicts[failing - 1]
    throughput, how = passed.throughput, "the last step within the SLOs"
    if failed.worst_p95_ratio > 1 and failed.throughput > passed.throughput:
        share = (1 - passed.worst_p95_ratio) / (failed.worst_p95_ratio - passed.worst_p95_ratio)
        throughput = passed.throughput + (failed.throughput - passed.throughput) * share
        how = f"interpolated {share:.0%} of the way to the failing step by the worst p95 ratio"
    return SloCapacity("at_slo", throughput,
                       f"{throughput:.1f}/s: {how} ({passed.users} users pass, {failed.users} users fail: "
                       f"{'; '.join(failed.problems)})", passed.users, failed.users)
