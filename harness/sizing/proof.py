"""The N+1 proof: at the load its nodes carry with one spare, the groupware pool loses a node and keeps its SLO.

The pool runs with all its measured members under the sweep's CPU quota
and a constant load equal to what the sizing lets one node fewer carry:
the throughput measured with one node fewer times the design's target
utilisation, which is the load a sized pool still carries once it has lost
its spare. Users arrive over `RAMP` seconds, as a morning's sign-ins do,
and `middleware-node-killed` is injected through the failover suite's
fault-under-load path once they are all in. The claim
holds when the fault's own judge finds nothing (users saw no failure after
their one retry, the run got back within its SLO after the heal) and, once
Locust's 10-second window holds only seconds with the node gone, the p95 and
error ratio stay within the profile's default SLO.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from harness.backends.capabilities import CpuLimits
from harness.backends.target import Target
from harness.load.history import AGGREGATED, History
from harness.load.load_run import LoadOptions
from harness.load.profile import LoadProfile
from harness.scenario.under_load import run_load_with_fault
from harness.sizing.measure import cpu_limited, pool_narrowed
from harness.sizing.points import CapacityPoint

Progress = Callable[[str], None]
SCENARIO = "middleware-node-killed"
RAMP = 10.0
FAULT_AT = 30.0
HOLD = 35.0  # long enough for Locust's window to see 25 s of the pool without the node
DURATION = 105.0
WINDOW = 10  # seconds Locust's current percentiles look back


@dataclass
class ProofResult:
    nodes: int
    cpu_per_node: float
    load_per_second: float  # the throughput of nodes - 1 at the target utilisation, offered to all nodes
    users: int
    holds: bool
    reasons: list[str] = field(default_factory=list)
    steady_p95_ms: float | None = None  # worst per-second p95 once the window saw only the node gone
    error_ratio_during: float | None = None
    killed: list[str] = field(default_factory=list)
    folder: str = ""
    utilisation: float = 1.0  # the share of the nodes-1 capacity offered
    achieved_per_second: float | None = None  # median throughput once every user was in, before the fault

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def design_point(points: list[CapacityPoint]) -> tuple[CapacityPoint, CapacityPoint] | None:
    """(the largest measured pool, the same quota with one node fewer): the pool to kill a node in and the
    throughput it must still carry. None when no such pair was measured."""
    middleware = [p for p in points if p.tier == "middleware" and not p.generator_bound]
    for top in sorted(middleware, key=lambda p: (p.nodes, p.cpu_per_node), reverse=True):
        if top.nodes < 2:
            break
        spare = [p for p in middleware if p.nodes == top.nodes - 1 and p.cpu_per_node == top.cpu_per_node]
        if spare:
            return top, spare[0]
    return None


def steady_figures(history: History, injected: float, healed: float) -> tuple[float | None, float | None]:
    """Worst per-second p95 from `WINDOW` s after the kill until the heal, and the error ratio in that span."""
    seconds = [second for second in history.of(AGGREGATED) if injected + WINDOW <= second.at < healed]
    if not seconds:
        return None, None
    requests = sum(second.requests_per_second for second in seconds)
    failures = sum(second.failures_per_second for second in seconds)
    return (max((second.p95_ms for second in seconds if second.p95_ms is not None), default=None),
            failures / requests if requests else None)


MAX_SHORTFALL = 0.10  # the load achieved may fall this far short of the load planned, no further


def achieved_throughput(history: History, start: float, end: float) -> float | None:
    """Median requests per second of the seconds in [start, end) (every user in, the fault not yet injected)."""
    rates = sorted(second.requests_per_second for second in history.of(AGGREGATED) if start <= second.at < end)
    return rates[len(rates) // 2] if rates else None


def prove_n_plus_one(target: Target, profile: LoadProfile, points: list[CapacityPoint],
                     per_user: float, speedup: float, utilisation: float, folder: Path, progress: Progress,
                     confirm: str | None = None, accounts: list[dict[str, str]] | None = None) -> ProofResult | None:
    """Run the proof at the design point of `points` (`utilisation`: the design's target utilisation); None
    when the sweep measured no pool to prove it on. `accounts`: test users already made (the sweep's, which
    carried more than the proof's load), None to provision and seed the proof's own."""
    found = design_point(points)
    if found is None:
        return None
    top, spare = found
    members = tuple(node.name for node in target.access.layout.pool_members("oxcluster"))[:top.nodes]
    load = spare.throughput * utilisation
    users = max(2, math.ceil(load / per_user))
    progress(f"N+1 proof: {top.nodes} groupware nodes at {top.cpu_per_node:g} core under {load:.1f}/s ({users} "
             f"users: what {spare.nodes} node(s) carry, {spare.throughput:.1f}/s, at the target utilisation "
             f"{utilisation:g}), {SCENARIO} after {FAULT_AT:g} s")
    options = LoadOptions(shape="constant", users=users, spawn_rate=max(1.0, users / RAMP), duration=DURATION,
                          speedup=speedup)
    quota = top.cpu_per_node if isinstance(target.access, CpuLimits) else None
    with pool_narrowed(target.access, "oxcluster", members), cpu_limited(target.access, members, quota):
        run = run_load_with_fault(target, profile, options, folder, progress,
                                  f"{SCENARIO}@{FAULT_AT:g}", confirm, hold=HOLD,
                                  accounts=accounts)
    fault, history = run.fault, run.history
    slo = profile.slos["default"]
    result = ProofResult(top.nodes, top.cpu_per_node, round(load, 2), users, True, list(fault.violations),
                         killed=list(fault.nodes), folder=folder.name, utilisation=utilisation)
    span = history.span()
    if fault.injected_second is not None and fault.healed_second is not None and span is not None:
        start = span[0]
        achieved = achieved_throughput(history, start + RAMP + 1, start + fault.injected_second)
        result.achieved_per_second = round(achieved, 2) if achieved is not None else None
        if achieved is None or achieved < (1 - MAX_SHORTFALL) * load:
            shown = "nothing measured" if achieved is None else f"{achieved:.1f}/s"
            result.reasons.append(f"the load achieved before the fault ({shown}) fell more than "
                                  f"{MAX_SHORTFALL:.0%} short of the {load:.1f}/s planned: the proof did not offer "
                                  f"the load it claims to survive")
        p95, errors = steady_figures(history, start + fault.injected_second, start + fault.healed_second)
        result.steady_p95_ms, result.error_ratio_during = p95, errors
        if p95 is None:
            result.reasons.append(f"the node was back before Locust's {WINDOW}-s window saw only its absence")
        elif p95 > slo.p95_ms:
            result.reasons.append(f"p95 {p95:.0f} ms with one node gone, over the SLO's {slo.p95_ms:.0f} ms")
        if errors is not None and errors > slo.max_error_ratio:
            result.reasons.append(f"error ratio {errors:.1%} with one node gone, over the SLO's "
                                  f"{slo.max_error_ratio:.1%}")
    if not run.generator.kept_up:
        result.reasons.append("the generator could not keep up: the proof's load was not offered")
    result.holds = not result.reasons
    return result


