"""The full-size design rehearsed in a queueing model at its peak demand, whole and with each single failure.

Each tier of the design is a station with the cores of its serving nodes
(`count × cores`; a tier served active/passive, the balancers, the
database's write VIP and the filestores, serves from one node and the
other takes over). Its demand is CPU-seconds per request of the profile's
mix, measured on the steps of the sweep's groupware points, where the
whole mix ran through every tier at once: the slope of the tier's CPU
against the throughput over every step the host did not bound (the
utilisation law with the tier's idle CPU, its health checks and
replication, taken out as the intercept). Where the design has several
tiers of one role that carry the mix (a filestore and a mail storage), the
role's requests are spread over them by their cores. At the design's peak rate λ a tier
is busy U = λ D / c; its response time is an M/M/c queue's (Erlang C),
and its p95 the exponential service's plus the wait's, which for M/M/c is
exponential beyond the chance of waiting. The p95 of a request is bounded
by the sum of the tiers' p95, held against the profile's default SLO.

Other flows of requests beside the profile's mix (the design's sync
clients: harness.sizing.rehearsal_run) pass their own tiers with their own
CPU per request, measured on their own points' steps: a tier's utilisation
sums every flow through it, its queue is shared (Erlang C on the offered
load of all of them), and each flow's p95 is the sum of its tiers' p95,
held against its own SLO.

Then every single failure: one node of each tier lost (an active/passive
tier's standby takes over, so only a tier of one node loses its service),
and one failure domain where the design spreads its nodes over several.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from statistics import median
from typing import Any, Sequence

from scipy.stats import linregress
from scipy.stats import t as t_dist

from harness.load.load_result import StepResult
from harness.models.sizing import SizingDesign, Tier
from harness.sizing.step_model import demands

ACTIVE_PASSIVE = {"balancer", "database", "filestore"}  # roles that serve from one node, the other on standby
P95 = 0.95
MIX = "the profile's mix"  # the flow of the load profile the sweep ran


@dataclass(frozen=True)
class Flow:
    """Requests beside the profile's mix at the design's peak: their rate, CPU-seconds per request of each role,
    the tiers they pass and their SLO."""
    name: str
    rate: float
    demands: dict[str, float]
    carriers: frozenset[str]
    slo_p95_ms: float


@dataclass(frozen=True)
class TierLoad:
    tier: str
    role: str
    serving_nodes: int
    cores: int  # of the serving nodes together
    demand: float | None  # CPU-seconds per request of the profile's mix; None: not measured or not in the mix
    utilisation: float | None  # of every flow through the tier
    p95_ms: float | None  # the mix's; None: not measured, not in the mix, or saturated (utilisation >= 1)
    others_p95_ms: dict[str, float] = field(default_factory=dict)  # the other flows through it: their p95 here

    @property
    def saturated(self) -> bool:
        return self.utilisation is not None and self.utilisation >= 1


@dataclass
class Scenario:
    name: str
    tiers: list[TierLoad]
    slo_p95_ms: float
    target_utilisation: float
    notes: list[str] = field(default_factory=list)
    others: tuple[Flow, ...] = ()  # the flows beside the profile's mix

    @property
    def p95_ms(self) -> float | None:
        """The sum of the measured tiers' p95, a bound on a request's; None when a tier is saturated."""
        if any(tier.saturated for tier in self.tiers):
            return None
        return sum(tier.p95_ms for tier in self.tiers if tier.p95_ms is not None)

    def flow_p95_ms(self, flow: Flow) -> float | None:
        """The same bound for one of the other flows."""
        if any(tier.saturated for tier in self.tiers):
            return None
        return sum(tier.others_p95_ms.get(flow.name, 0.0) for tier in self.tiers)

    @property
    def slow_flows(self) -> list[tuple[Flow, float]]:
        """The other flows whose p95 is over their SLO, with it."""
        found = [(flow, self.flow_p95_ms(flow)) for flow in self.others]
        return [(flow, p95) for flow, p95 in found if p95 is not None and p95 > flow.slo_p95_ms]

    @property
    def bottleneck(self) -> TierLoad | None:
        measured = [tier for tier in self.tiers if tier.utilisation is not None]
        return max(measured, key=lambda tier: tier.utilisation) if measured else None

    @property
    def holds(self) -> bool:
        return self.p95_ms is not None and self.p95_ms <= self.slo_p95_ms and not self.slow_flows

    def verdict(self) -> str:
        worst = self.bottleneck
        if worst is None:
            return "nothing measured"
        if worst.saturated:
            return (f"breaks at {worst.tier}: {worst.utilisation:.0%} busy on {worst.serving_nodes} node(s), "
                    f"{worst.utilisation - 1:.0%} more than its cores give")
        if self.p95_ms > self.slo_p95_ms:
            return f"breaks: p95 {self.p95_ms:.0f} ms over the SLO's {self.slo_p95_ms:.0f} ms (worst: {worst.tier})"
        if self.slow_flows:
            flow, p95 = self.slow_flows[0]
            return f"breaks: p95 {p95:.0f} ms of {flow.name} over their SLO's {flow.slo_p95_ms:.0f} ms"
        margin = "" if worst.utilisation <= self.target_utilisation else \
            f", above the target utilisation {self.target_utilisation:.0%}"
        others = "".join(f"; {flow.name} {self.flow_p95_ms(flow):.0f} ms" for flow in self.others)
        return f"holds: p95 {self.p95_ms:.0f} ms{others}, busiest {worst.tier} at {worst.utilisation:.0%}{margin}"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "holds": self.holds, "verdict": self.verdict(), "p95_ms": self.p95_ms,
                "others_p95_ms": {flow.name: self.flow_p95_ms(flow) for flow in self.others},
                "tiers": [{**asdict(tier), "utilisation": None if tier.serving_nodes == 0 else tier.utilisation}
                          for tier in self.tiers], "notes": self.notes}  # a tier with no node left: no number


def erlang_c(servers: int, offered: float) -> float:
    """The chance that a request waits in an M/M/c queue with `offered` = λ / μ erlangs (< servers)."""
    blocking = 1.0
    for k in range(1, servers + 1):  # Erlang B by its stable recursion
        blocking = offered * blocking / (k + offered * blocking)
    return servers * blocking / (servers - offered * (1 - blocking))


def tier_p95_ms(demand: float, servers: int, rate: float, shared: tuple[float, float] | None = None) -> float | None:
    """p95 of the time at an M/M/c station of `servers` cores with service time `demand`; None if saturated.
    `shared`: (requests per second, erlangs) of every flow at the station, where others share its queue."""
    total_rate, offered = shared or (rate, rate * demand)
    if offered >= servers:
        return None
    service = -math.log(1 - P95) * demand
    if offered == 0:
        return service * 1000
    waits = erlang_c(servers, offered)
    drain = (servers - offered) * total_rate / offered  # the rate at which a queue empties
    wait = math.log(waits / (1 - P95)) / drain if waits > 1 - P95 else 0.0
    return (service + wait) * 1000


DEMAND_LEVEL = 0.95  # the level of a fitted demand's interval


@dataclass(frozen=True)
class RoleDemand:
    seconds: float  # CPU-seconds per request
    idle_cores: float  # CPU the role uses with no request at all
    steps: int  # how many steps it was fitted on
    interval: tuple[float, float] | None = None  # the slope's DEMAND_LEVEL interval; None: one step's ratio
    r_squared: float | None = None  # how much of the CPU's variation over the steps the throughput explains


def measured_demands(steps: list[StepResult]) -> dict[str, RoleDemand]:
    """Per role, CPU-seconds per request: the slope of its CPU against throughput over the steps, with its
    interval (the utilisation law on one step where there are fewer than three)."""
    usable = [step for step in steps if step.rps > 0]
    found = {}
    for role in sorted({role for step in usable for role in step.tier_cpu_percent}):
        pairs = [(step.rps, step.tier_cpu_percent[role] / 100) for step in usable if role in step.tier_cpu_percent]
        if len({rate for rate, _ in pairs}) >= 3 and len({cores for _, cores in pairs}) == 1:
            found[role] = RoleDemand(0.0, pairs[0][1], len(pairs), (0.0, 0.0))  # the requests never reach it
        elif len({rate for rate, _ in pairs}) >= 3:
            fit = linregress([rate for rate, _ in pairs], [cores for _, cores in pairs])
            half = float(t_dist.ppf((1 + DEMAND_LEVEL) / 2, len(pairs) - 2)) * float(fit.stderr)
            found[role] = RoleDemand(max(float(fit.slope), 0.0), max(float(fit.intercept), 0.0), len(pairs),
                                     (max(float(fit.slope) - half, 0.0), max(float(fit.slope) + half, 0.0)),
                                     float(fit.rvalue) ** 2)
        else:
            found[role] = RoleDemand(median(demands(step)[role] for step in usable
                                            if role in step.tier_cpu_percent), 0.0, len(pairs))
    return found


def _flows(rate: float, role_demands: dict[str, float], slo_p95_ms: float, carriers: set[str],
           others: Sequence[Flow]) -> tuple[Flow, ...]:
    """The profile's mix as the first flow, then the others."""
    return (Flow(MIX, rate, role_demands, frozenset(carriers), slo_p95_ms), *others)


def _serving(tier: Tier, lost: int = 0) -> int:
    alive = tier.count - lost
    return min(alive, 1) if tier.role in ACTIVE_PASSIVE else alive


def rehearse(design: SizingDesign, rate: float, role_demands: dict[str, float], slo_p95_ms: float,
             carriers: set[str], others: Sequence[Flow] = ()) -> list[Scenario]:
    """The design whole, then with each single failure, at `rate` requests per second of the profile's mix and
    the `others` flows; `carriers`: the tiers the profile's mix passes through (a pool no flow uses, such as
    document conversion, is not judged)."""
    flows = _flows(rate, role_demands, slo_p95_ms, carriers, others)
    main = flows[0]

    def role_cores(flow: Flow) -> dict[str, int]:
        """A flow's requests of one role are spread over the design's tiers of that role that it passes, by their
        cores (filestore and mail storage: the reference measured them as one)."""
        cores: dict[str, int] = {}
        for name, tier in design.tiers.items():
            if name in flow.carriers:
                cores[tier.role] = cores.get(tier.role, 0) + _serving(tier) * tier.cores
        return cores

    spread = {flow.name: role_cores(flow) for flow in flows}

    def loads(lost: dict[str, int]) -> list[TierLoad]:
        found = []
        for name, tier in design.tiers.items():
            nodes = _serving(tier, lost.get(name, 0))
            cores = nodes * tier.cores
            # (flow, its requests per second here, CPU-seconds per request) of every flow through the tier
            parts = [(flow, flow.rate * _serving(tier) * tier.cores / spread[flow.name][tier.role],
                      flow.demands[tier.role]) for flow in flows
                     if name in flow.carriers and flow.demands.get(tier.role) is not None]
            demand = next((seconds for flow, _, seconds in parts if flow is main), None)
            if not parts or nodes == 0:
                found.append(TierLoad(name, tier.role, nodes, cores, demand, None if nodes else float("inf"), None))
                continue
            shared = (sum(share for _, share, _ in parts), sum(share * seconds for _, share, seconds in parts))
            p95 = {flow.name: tier_p95_ms(seconds, cores, share, shared) for flow, share, seconds in parts}
            found.append(TierLoad(name, tier.role, nodes, cores, demand, shared[1] / cores, p95.pop(MIX, None),
                                  {flow: value for flow, value in p95.items() if value is not None}))
        return found

    target = design.demand.target_utilisation.value
    scenarios = [Scenario("every node", loads({}), slo_p95_ms, target, others=tuple(others))]
    for name, tier in design.tiers.items():
        scenario = Scenario(f"{name} loses a node", loads({name: 1}), slo_p95_ms, target, others=tuple(others))
        if tier.role in ACTIVE_PASSIVE and tier.count > 1:
            scenario.notes.append(f"{name}: the standby takes over")
        hit = next(load for load in scenario.tiers if load.tier == name)
        if hit.utilisation is not None and not hit.saturated:
            scenario.notes.append(f"{name} {hit.utilisation:.0%} busy on {hit.serving_nodes} node(s)")
        scenarios.append(scenario)
    if design.failure_domains:
        domains = design.failure_domains
        lost = {name: math.ceil(tier.count / domains) for name, tier in design.tiers.items()}
        scenarios.append(Scenario(f"one of {domains} failure domains lost", loads(lost), slo_p95_ms, target,
                                  others=tuple(others)))
    return scenarios


@dataclass(frozen=True)
class Floor:
    """Where the search for a tier's count starts, and why there."""
    nodes: int
    why: str


@dataclass(frozen=True)
class SmallestDesign:
    """The fewest nodes per tier that hold every scenario of the rehearsal, each tier under the target
    utilisation with every node serving."""

    design: SizingDesign
    scenarios: list[Scenario]
    counts: dict[str, int]  # the tiers the search sized
    floors: dict[str, Floor]  # where each sized tier started
    problems: list[str]  # why the search stopped short of a design that holds

    @property
    def holds(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"holds": self.holds, "counts": self.counts, "problems": self.problems,
                "floors": {name: asdict(floor) for name, floor in self.floors.items()},
                "scenarios": [scenario.to_dict() for scenario in self.scenarios]}


MAX_NODES_ADDED = 1000


ONE_NODE = Floor(1, "one node")


def smallest_design(design: SizingDesign, rate: float, role_demands: dict[str, float], slo_p95_ms: float,
                    carriers: set[str], others: Sequence[Flow] = (), *, floors: dict[str, Floor],
                    keep: set[str] = frozenset()) -> SmallestDesign:
    """From `floors` (one node where a tier has none), add a node to the tier that breaks first until every
    scenario holds and every tier is under the target utilisation. A tier no flow passes through, one without a
    measured demand, or one in `keep` keeps the design's count."""
    flows = _flows(rate, role_demands, slo_p95_ms, carriers, others)
    sized = {name for name, tier in design.tiers.items() if name not in keep
             and any(name in flow.carriers and tier.role in flow.demands for flow in flows)}
    start = {name: floors.get(name, ONE_NODE) for name in sized}
    counts = {name: floor.nodes for name, floor in start.items()}
    target = design.demand.target_utilisation.value
    problems: list[str] = []
    grown: tuple[str, float] | None = None  # the tier last given a node for a p95 over the SLO, and that p95
    for _ in range(MAX_NODES_ADDED):
        trial = _with_counts(design, counts)
        scenarios = rehearse(trial, rate, role_demands, slo_p95_ms, carriers, others)
        culprit, why = _first_to_break(scenarios, target)
        if culprit is None:
            return SmallestDesign(trial, scenarios, counts, start, problems)
        worst = _worst_p95(scenarios)
        if grown and why.startswith("p95") and worst is not None and worst >= grown[1] * 0.99:
            counts[grown[0]] -= 1
            problems.append(f"{why}: another {grown[0]} node does not shorten it; the service times alone exceed "
                            "the SLO")
            break
        if culprit not in sized:
            problems.append(f"{why}, and {culprit} keeps the design's count")
            break
        tier = design.tiers[culprit]
        if tier.role in ACTIVE_PASSIVE and counts[culprit] >= 2:
            problems.append(f"{why}: {culprit} serves from one node with the other on standby, so more nodes "
                            f"do not help; it needs more than {tier.cores} cores per node")
            break
        grown = (culprit, worst) if why.startswith("p95") and worst is not None else None
        counts[culprit] += 1
    else:
        problems.append(f"no design within {MAX_NODES_ADDED} more nodes holds")
    trial = _with_counts(design, counts)
    return SmallestDesign(trial, rehearse(trial, rate, role_demands, slo_p95_ms, carriers, others), counts, start,
                          problems)


def _with_counts(design: SizingDesign, counts: dict[str, int]) -> SizingDesign:
    tiers = {name: tier.model_copy(update={"count": counts.get(name, tier.count)})
             for name, tier in design.tiers.items()}
    return design.model_copy(update={"tiers": tiers})


def _first_to_break(scenarios: list[Scenario], target: float) -> tuple[str | None, str]:
    """The tier to give a node next, and why: capacity first (a tier saturated in any scenario), then the
    bottleneck of the first scenario over the SLO, then the busiest tier above the target utilisation with every
    node serving."""
    def when(scenario: Scenario) -> str:
        return "" if scenario.name == "every node" else f" when {scenario.name}"

    for scenario in scenarios:
        worst = scenario.bottleneck
        if worst is not None and worst.saturated:
            return worst.tier, f"{worst.tier} saturated{when(scenario)}"
    for scenario in scenarios:
        if scenario.p95_ms is not None and scenario.p95_ms > scenario.slo_p95_ms and scenario.bottleneck:
            return (scenario.bottleneck.tier,
                    f"p95 {scenario.p95_ms:.0f} ms over the SLO's {scenario.slo_p95_ms:.0f} ms{when(scenario)}")
        for flow, p95 in scenario.slow_flows:  # the tier on the flow's own way that takes it longest
            path = [tier for tier in scenario.tiers if flow.name in tier.others_p95_ms]
            if path:
                worst = max(path, key=lambda tier: tier.others_p95_ms[flow.name])
                return worst.tier, (f"p95 {p95:.0f} ms of {flow.name} over their SLO's {flow.slo_p95_ms:.0f} ms"
                                    f"{when(scenario)}")
    busy = [tier for tier in scenarios[0].tiers if tier.utilisation is not None and tier.utilisation > target]
    if busy:
        worst = max(busy, key=lambda tier: tier.utilisation)
        return worst.tier, f"{worst.tier} {worst.utilisation:.0%} busy with every node serving (target {target:.0%})"
    return None, ""


def _worst_p95(scenarios: list[Scenario]) -> float | None:
    """The highest p95 of any flow in any scenario; None when a tier is saturated."""
    found = [p95 for scenario in scenarios
             for p95 in (scenario.p95_ms, *(scenario.flow_p95_ms(flow) for flow in scenario.others))]
    return None if any(p is None for p in found) else max(found)
