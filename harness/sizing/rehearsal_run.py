"""The rehearsal of one `oxh size --rehearse`: the demands it rests on, read from the sweep's steps, where its
search for the smallest design starts, and the groupware count over the demand's and the per-core factor's
intervals (the model itself: harness.sizing.rehearsal)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from harness.load.profile import LoadProfile, load_profile
from harness.models.sizing import SizingDesign
from harness.sizing.demand import peak_demand, sync_demand
from harness.sizing.errors import SizingError
from harness.sizing.rehearsal import (DEMAND_LEVEL, Floor, Flow, RoleDemand, Scenario, SmallestDesign,
                                      measured_demands, rehearse, smallest_design)
from harness.sizing.result import SizingResult
from harness.sizing.tier_plan import GROUPWARE, MEASURED
from harness.sizing.step_validation import PointCheck


@dataclass(frozen=True)
class Rehearsed:
    """The design rehearsed at its peak (harness.sizing.rehearsal), the smallest design that holds, the demands
    both rest on, and the groupware count over those demands' intervals (None where they have none)."""
    scenarios: list[Scenario]
    smallest: SmallestDesign
    demands: dict[str, RoleDemand]
    count_range: CountRange | None
    sync_demands: dict[str, RoleDemand] | None = None  # the sync clients' flow, measured on the sync points
    notes: tuple[str, ...] = ()  # what the rehearsal leaves out, and why

    def to_dict(self) -> dict[str, Any]:
        return {"design": [scenario.to_dict() for scenario in self.scenarios], "smallest": self.smallest.to_dict(),
                "demands": {role: asdict(found) for role, found in self.demands.items()},
                "sync_demands": {role: asdict(found) for role, found in (self.sync_demands or {}).items()} or None,
                "count_range": asdict(self.count_range) if self.count_range else None, "notes": list(self.notes)}


def rehearse_design(design: SizingDesign, users: int, profile: LoadProfile, checks: list[PointCheck],
                    result: SizingResult) -> Rehearsed:
    """The design at its peak in the queueing model (the peak of `profile`, the load profile the sweep ran),
    whole and with each single failure, with the demands measured on the steps of the sweep's groupware points
    that the host did not bound (`checks`: check_steps's), and the smallest design that holds, its search
    starting from `rehearsal_floors(result)` (harness.sizing.rehearsal)."""
    demands = rehearsal_demands(checks)
    synced = rehearsal_demands(checks, "sync", required=False)
    floors, keep = rehearsal_floors(result)
    inputs = _rehearsal_inputs(design, users, profile, demands, synced=synced)
    notes = ()
    if design.demand.sync_clients and not synced:
        notes = ("the design's sync clients are not rehearsed: the sweep measured no sync pool point, so their CPU "
                 "per request is not known",)
    return Rehearsed(rehearse(*inputs), smallest_design(*inputs, floors=floors, keep=keep), demands,
                     _count_range(design, users, profile, demands, floors, keep, synced), synced or None, notes)


def rehearsal_floors(result: SizingResult) -> tuple[dict[str, Floor], set[str]]:
    """Where the rehearsal's search starts per measured tier, and the tiers that keep the design's count. A tier
    starts from the nodes it needs whatever the throughput (sessions and their memory, with the spares), or from
    the capacity division's count where that is more: the USL's contention raises the count above what the CPU
    per request gives, and a curve that missed its own check still does (the run says NOT TRUSTED and exits 1).
    A tier a trusted curve refused keeps the design's count. An untrusted curve's refusal is not followed: it
    rests on the contention term that failed to predict the held-out points, and the search starts from the
    floor."""
    floors, keep = {}, set()
    for plan in (plan for plan in result.tiers if plan.basis == "extrapolated"):
        doubted = result.doubted(plan)
        if plan.least_nodes:
            floors[plan.name] = Floor(plan.least_nodes, plan.least_why or "one node and its spare")
        if plan.refused and not doubted:
            keep.add(plan.name)
        elif plan.nodes and plan.nodes > floors.get(plan.name, Floor(0, "")).nodes:
            model = {"usl": "USL", "amdahl": "Amdahl", "linear": "linear in nodes"}[
                result.fits[MEASURED[plan.name]].model]
            floors[plan.name] = Floor(plan.nodes, f"the capacity division ({model}"
                                                  f"{', its fit not trusted' if doubted else ''})")
    return floors, keep


def rehearsal_demands(checks: list[PointCheck], tier: str = "middleware",
                      required: bool = True) -> dict[str, RoleDemand]:
    """CPU-seconds per request per role, over the steps of the sweep's points of `tier` (the groupware pool's:
    the profile's mix; the sync pool's: the sync clients') that the host did not bound (`checks`:
    check_steps's); {} where there are none and they are not `required`."""
    steps = [step.step for check in checks if check.tier == tier for step in check.steps
             if not step.host_bound]
    fitted = measured_demands(steps)
    if not fitted and required:
        raise SizingError("the sweep's groupware points left no steps to measure demands on",
                          "rehearse from the run of an `oxh size --measure` that still holds its points' folders")
    return fitted


@dataclass(frozen=True)
class CountRange:
    """The rehearsal's smallest groupware count with its demand per request and its per-core factor at the ends
    of their intervals: the fewest nodes from the lowest demand and the highest factor, the most from the
    opposite ends."""
    low: int
    high: int
    demand: tuple[float, float]  # CPU-seconds per request measured (the interval's ends)
    factor: tuple[float, float]  # the per-core factor's ends; the factor itself at both where it has no interval

    def text(self) -> str:
        return (f"the rehearsal's groupware count over the CPU per request's {DEMAND_LEVEL:.0%} interval "
                f"({self.demand[0] * 1000:.2f} – {self.demand[1] * 1000:.2f} ms) and the per-core factor's "
                f"({self.factor[0]:.2f} – {self.factor[1]:.2f}): {self.low} – {self.high}")


def _count_range(design: SizingDesign, users: int, profile: LoadProfile, demands: dict[str, RoleDemand],
                 floors: dict[str, Floor], keep: set[str], synced: dict[str, RoleDemand]) -> CountRange | None:
    """The smallest groupware count at the ends of its demand's and its per-core factor's intervals; None where
    the demand has no interval or the groupware tier is not sized by the rehearsal."""
    measured = demands.get("middleware")
    if measured is None or measured.interval is None:
        return None
    scaling = design.per_core_scaling(GROUPWARE)
    factors = scaling.interval or (scaling.value, scaling.value)
    counts = []
    for seconds, factor in ((measured.interval[0], max(factors)), (measured.interval[1], min(factors))):
        found = smallest_design(*_rehearsal_inputs(design, users, profile, demands, (seconds, factor), synced),
                                floors=floors, keep=keep)
        if GROUPWARE not in found.counts:
            return None
        counts.append(found.counts[GROUPWARE])
    return CountRange(min(counts), max(counts), measured.interval, (min(factors), max(factors)))


SYNC = "middleware_sync"
SYNC_FLOW = "the sync clients"


def _rehearsal_inputs(design: SizingDesign, users: int, profile: LoadProfile, demands: dict[str, RoleDemand],
                      groupware: tuple[float, float] | None = None, synced: dict[str, RoleDemand] | None = None):
    """The rehearsal's arguments; `groupware`: (CPU-seconds per request, per-core factor) in place of the
    measured demand and the design's factor; `synced`: the sync clients' demands, which make them a flow of
    their own where the design has them."""
    design = design.model_copy(update={"users": users})
    demand = peak_demand(design, profile)
    per_role = {role: found.seconds for role, found in demands.items()}
    if "middleware" in per_role:
        seconds, factor = groupware or (per_role["middleware"], design.per_core_scaling(GROUPWARE).value)
        per_role["middleware"] = seconds / factor  # the tier measured, its cores scaled to the design's
    protocols = profile.protocols()  # the mix rehearsed: the sync clients' requests are a flow of their own
    carriers = {name for name, tier in design.tiers.items() if tier.role != "middleware"
                or (name.endswith("groupware") and "http" in protocols)
                or (name.endswith("sync") and protocols & {"dav", "eas"})}
    return (design, demand.requests_per_second, per_role, profile.slos["default"].p95_ms, carriers,
            _sync_flow(design, synced))


def _sync_flow(design: SizingDesign, synced: dict[str, RoleDemand] | None) -> tuple[Flow, ...]:
    """The design's sync clients at its peak through the sync pool and the tiers behind it, with the CPU per
    request their own points measured (the middleware's scaled to the design's cores); () without either."""
    sync = sync_demand(design)
    if not sync or not synced or SYNC not in design.tiers:
        return ()
    per_role = {role: found.seconds for role, found in synced.items()}
    if "middleware" in per_role:
        per_role["middleware"] /= design.per_core_scaling(SYNC).value
    slo = load_profile(design.demand.sync_clients.from_profile).slos["default"].p95_ms
    carriers = frozenset(name for name, tier in design.tiers.items() if tier.role != "middleware" or name == SYNC)
    return (Flow(SYNC_FLOW, sum(sync[1].values()), per_role, carriers, slo),)
