"""Nodes per tier for the design's peak demand, and the verdict on the vendor design's counts.

A measured tier (groupware middleware, IMAP) gets the smallest node count N
whose USL throughput X(N, c) at target utilisation carries the peak, where
c = the design's cores per node × per-core scaling (throughput per core is
assumed to carry over linearly from the measured CPU quotas: the factor and
its source are in the design). Spares are then added until the tier still
carries the peak with one node lost, or with one failure domain lost when
the design has `failure_domains` (nodes spread evenly, the largest domain
lost). A demand above the curve's maximum (past N*, or Amdahl's ceiling) is
refused. RAM per node is the design's base plus the measured memory per
session times the sessions a node holds once a node (or domain) is lost.

The other tiers get their demand in their own units (queries/s, filestore
ops/s, messages/s) where the costs per request were measured
(`harness.sizing.tier_demand`); their node counts stay the vendor's, and the
plan says why.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, Mapping, Sequence

import numpy as np

from harness.sizing.demand import PeakDemand
from harness.sizing.errors import SizingError
from harness.sizing.points import TierCost
from harness.sizing.tier_demand import TierDemand, tier_demands
from harness.sizing.usl import UslFit
from harness.models.sizing import Factor, SizingDesign

# Design tier -> the measured tier whose capacity curve sizes it.
MEASURED = {"middleware_groupware": "middleware", "imap": "imap", "middleware_sync": "sync"}
UNITS = {"middleware": "req/s", "imap": "IMAP ops/s", "sync": "req/s"}
# ARCHITECTURE.md, session defaults per middleware node: at most 50,000 sessions.
MAX_SESSIONS_PER_MIDDLEWARE_NODE = 50_000
NODE_SEARCH_LIMIT = 100_000  # the search for N stops here (without a peak, κ = 0, or far from it)
KEPT = "the vendor design's count kept"
GROUPWARE = "middleware_groupware"  # the pool that holds the signed-in users' sessions


class DesignRefused(SizingError):
    """The demand is beyond what any node count of this tier can carry."""


@dataclass(frozen=True)
class NodeCount:
    for_throughput: int  # nodes whose throughput carries the peak at target utilisation
    for_demand: int  # nodes that must be left after a failure: for_throughput, or more when `at_least` says so
    total: int  # with the spares
    lost: int  # nodes a failure takes: one, or the largest failure domain
    capacity_all_up: float  # X(total, c), at SLO, before the utilisation target
    capacity_after_loss: float  # X(total − lost, c)

    @property
    def survivors(self) -> int:
        return self.total - self.lost


def lost_in_failure(nodes: int, failure_domains: int | None) -> int:
    """Nodes a failure takes: one node, or the largest of `failure_domains` domains the nodes are spread over."""
    return math.ceil(nodes / failure_domains) if failure_domains else 1


def with_spares(survivors: int, failure_domains: int | None = None) -> tuple[int, int]:
    """The nodes in all, and those a failure takes, so that `survivors` are left after it."""
    total = survivors + 1
    while total - lost_in_failure(total, failure_domains) < survivors:
        total += 1
    return total, lost_in_failure(total, failure_domains)


def nodes_needed(fit: UslFit, cores: float, demand: float, utilisation: float, tier: str,
                 failure_domains: int | None = None, at_least: int = 1) -> NodeCount:
    """Nodes of `cores` (effective) cores each that carry `demand` at `utilisation`, with the spares."""
    limit = NODE_SEARCH_LIMIT
    if fit.kappa > 0:  # the integer maximum is at the floor or the ceiling of √((1−σ)/κ)
        limit = min(limit, max(1, math.ceil(math.sqrt((1 - fit.sigma) / fit.kappa))))
    counts = np.arange(1, limit + 1)
    usable = fit.throughput(counts, cores) * utilisation
    enough = np.flatnonzero(usable >= demand)
    if not len(enough):
        peak = int(counts[np.argmax(usable)])
        where = (f"N* = {fit.n_star}: past it more nodes lower the throughput" if fit.n_star
                 else f"σ = {fit.sigma:.3f} caps the pool near {fit.per_core * cores / max(fit.sigma, 1e-12):.0f}")
        raise DesignRefused(
            f"{tier}: the peak demand of {demand:,.0f} {fit.units} exceeds what any number of {cores:g}-core nodes "
            f"carries at {utilisation:.0%} utilisation: at most {usable.max():,.0f} with {peak} nodes ({where})",
            "use nodes with more cores, split the tier into independent pools, or revisit the demand factors")
    for_throughput = int(counts[enough[0]])
    for_demand = max(for_throughput, at_least)
    total, lost = with_spares(for_demand, failure_domains)
    all_up, after_loss = (float(fit.throughput(n, cores)) for n in (total, total - lost))
    if min(all_up, after_loss) * utilisation < demand:
        raise DesignRefused(
            f"{tier}: {for_demand} nodes must be left after a failure and {total} are needed in all, but that is "
            f"past N* = {fit.n_star}, where the pool carries less: {min(all_up, after_loss) * utilisation:,.0f} "
            f"{fit.units} at {utilisation:.0%} utilisation for a peak of {demand:,.0f}",
            "use nodes with more cores so that fewer are needed, or split the tier into independent pools")
    return NodeCount(for_throughput, for_demand, total, lost, all_up, after_loss)


@dataclass(frozen=True)
class CountSpread:
    """The node count over the fit's bootstrap draws of (σ, κ, λ), at the fit's level; and, where the per-core
    factor was measured, at the ends of its interval with the fit's own (σ, κ, λ)."""
    low: int | None  # None: past this bound no count carries the demand (the draws there refuse the tier)
    high: int | None
    refused: float  # share of the draws that refuse the tier
    level: float
    # (factor low, factor high, count at the one end, count at the other; None: that end refuses the tier)
    per_core: tuple[float, float, int | None, int | None] | None = None

    @property
    def bounds(self) -> tuple[int | None, int | None]:
        """The count's range over both: the lowest count either gives, None above when either refuses."""
        lows, highs = [self.low], [self.high]
        if self.per_core:
            lows += list(self.per_core[2:])
            highs += list(self.per_core[2:])
        known = [count for count in lows if count is not None]
        return (min(known) if known else None), (None if None in highs else max(highs))

    def text(self) -> str:
        if self.low is None:
            text = (f"{self.refused:.0%} of the fit's bootstrap draws of σ, κ and λ refuse the tier: at the fit's "
                    f"{self.level:.0%} level no count carries the peak")
        else:
            high = "refused" if self.high is None else str(self.high)
            text = (f"over the fit's {self.level:.0%} bootstrap draws of σ, κ and λ the count lies in {self.low} – "
                    f"{high}" + (f" ({self.refused:.0%} of the draws refuse the tier)" if self.refused else ""))
        if self.per_core:
            low, high, *counts = self.per_core
            shown = sorted(("refused" if count is None else str(count) for count in counts),
                           key=lambda c: (c == "refused", int(c) if c.isdigit() else 0))
            text += (f"; over the per-core exponent's interval (factor {low:.2f} – {high:.2f}, the fit's σ, κ and λ) "
                     f"it lies in {shown[0]} – {shown[1]}")
        return text


def count_interval(fit: UslFit, cores: float, demand: float, utilisation: float, tier: str,
                   failure_domains: int | None = None, at_least: int = 1,
                   scaling: Factor | None = None) -> CountSpread | None:
    """The node count over the fit's bootstrap draws (None without draws); `cores` are the design's scaled by
    `scaling`, whose interval, where measured, gives the count at its ends too."""
    if not len(fit.draws):
        return None
    at_ends = None
    if scaling is not None and scaling.interval is not None:
        ends = []
        for factor in scaling.interval:
            try:
                ends.append(nodes_needed(fit, cores / scaling.value * factor, demand, utilisation, tier,
                                         failure_domains, at_least).total)
            except DesignRefused:
                ends.append(None)
        at_ends = (*scaling.interval, *ends)
    counts = []
    for sigma, kappa, per_core in fit.draws:
        drawn = replace(fit, sigma=float(sigma), kappa=float(kappa), per_core=float(per_core), draws=np.empty((0, 3)))
        try:
            counts.append(nodes_needed(drawn, cores, demand, utilisation, tier, failure_domains, at_least).total)
        except DesignRefused:
            counts.append(math.inf)
    tail = (1 - fit.level) / 2
    low, high = (int(bound) if math.isfinite(bound) else None
                 for bound in np.quantile(counts, [tail, 1 - tail], method="inverted_cdf"))
    return CountSpread(low, high, sum(not math.isfinite(count) for count in counts) / len(counts), fit.level,
                       at_ends)


def verdict(needed: int, vendor: int) -> str:
    if needed == vendor:
        return "enough"
    return f"short by {needed - vendor}" if needed > vendor else f"oversized by {vendor - needed}"


# Pools that serve requests a profile may lack, and what those requests are.
POOL_REQUESTS = {"middleware_sync": "sync (DAV, EAS or USM)", "middleware_docs": "document conversion"}


def unswept_reason(name: str, demand: PeakDemand, known: TierDemand | None) -> str:
    """Why a tier without a capacity curve keeps the vendor's count: no demand for it in the sized profile,
    or a demand costed but no capacity per core measured (the sweep moves the groupware pool and Dovecot)."""
    if known is None and name in POOL_REQUESTS:
        source = f"profile {demand.profile}" if demand.profile else "design's demand"
        clients = " and the design no sync clients (demand.sync_clients)" if name == "middleware_sync" else ""
        return (f"not swept: the {source} has no {POOL_REQUESTS[name]} requests{clients}, so no peak demand exists "
                f"to size this pool against; {KEPT}")
    if known is not None:
        return (f"not swept: its peak demand is costed, but its capacity per core was not measured (the sweep "
                f"moves the groupware pool, the sync pool and Dovecot only); {KEPT}")
    return f"not swept: no demand model and no capacity measured for this tier; {KEPT}"


@dataclass(frozen=True)
class TierPlan:
    name: str
    role: str
    basis: Literal["extrapolated", "not measured"]
    vendor_count: int
    cores: int
    vendor_ram_gib: int
    verdict: str
    demand: dict[str, float] = field(default_factory=dict)
    demand_how: str = "no demand model for this tier"
    nodes: int | None = None  # needed, spares included
    for_demand: int | None = None  # nodes that must be left after a failure
    bound_by: Literal["throughput", "sessions", "memory"] | None = None  # what sets for_demand
    lost_in_failure: int | None = None
    capacity_per_node: float | None = None  # X(1, c) at SLO, in the tier's units
    per_core_scaling: float | None = None  # the factor on the tier's cores that capacity_per_node used
    utilisation_all_up: float | None = None
    utilisation_after_loss: float | None = None
    ram_gib: float | None = None
    ram_how: str = "not measured"
    vendor_source: str | None = None
    nodes_interval: tuple[int | None, int | None] | None = None  # the count over the fit's draws; None: refused
    # The nodes needed whatever the throughput (sessions, their memory), spares included, and why; None: no floor
    least_nodes: int | None = None
    least_why: str = ""
    notes: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return self.verdict.startswith("refused")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "notes": list(self.notes), "refused": self.refused}


def memory_per_session(fit: UslFit) -> float | None:
    """Median measured MiB per session of the fit's points; None when none was measured."""
    measured = [p.memory_per_session_mib for p in fit.points if p.memory_per_session_mib is not None]
    return statistics.median(measured) if measured else None


def _node_floors(tier: str, role: str, ram_gib: int, base_gib: float, sessions: float,
                 per_session_mib: float | None) -> list[tuple[int, str, str]]:
    """Nodes that must be left after a failure whatever the throughput: for the session limit of OX's
    middleware, and for the sessions' memory in the design's RAM per node. The sessions are the signed-in users',
    which the groupware pool holds; the sync clients' are not modelled."""
    floors = []
    if role == "middleware" and tier == GROUPWARE:
        floors.append((math.ceil(sessions / MAX_SESSIONS_PER_MIDDLEWARE_NODE), "sessions",
                       f"{sessions:,.0f} sessions at most {MAX_SESSIONS_PER_MIDDLEWARE_NODE:,} per node "
                       "(OX's default session limit)"))
    if per_session_mib:
        room_mib = (ram_gib - base_gib) * 1024
        if room_mib <= 0:
            raise DesignRefused(f"{tier}: {ram_gib} GiB per node leave no memory for sessions after the "
                                f"{base_gib:g} GiB base",
                                "give the tier's nodes more RAM or lower demand.memory_base_gib")
        floors.append((math.ceil(sessions * per_session_mib / room_mib), "memory",
                       f"{sessions:,.0f} sessions × {per_session_mib:.2f} MiB in {ram_gib} GiB nodes "
                       f"less the {base_gib:g} GiB base"))
    return floors


def beyond_the_data(fit: UslFit, cores: int, nodes: int | None = None) -> str:
    """How far nodes of `cores` cores (and a pool of `nodes`) lie past the cores per node and the node counts the
    fit measured."""
    measured_cores = sorted({point.cpu_per_node for point in fit.points})
    measured_nodes = sorted({point.nodes for point in fit.points})
    line = (f"measured at {_span(measured_cores, 'core')} per node and {_span(measured_nodes, 'node')}; the "
            f"design's {cores}-core nodes lie ×{cores / measured_cores[-1]:.0f} beyond the cores per node measured")
    if nodes:
        line += f", its {nodes} nodes ×{nodes / measured_nodes[-1]:.1f} beyond the nodes"
    return line


def _span(values: list[float], unit: str) -> str:
    low, high = values[0], values[-1]
    return f"{low:g} {unit}" + ("s" if low != 1 else "") if low == high else f"{low:g}–{high:g} {unit}s"


def _measured_plan(name: str, design: SizingDesign, demand: PeakDemand, fit: UslFit, need: float,
                   how: str, base: dict[str, Any]) -> TierPlan:
    tier = design.tiers[name]
    factors = design.demand
    scaling = design.per_core_scaling(name)
    cores = tier.cores * scaling.value
    utilisation = factors.target_utilisation.value
    notes = [f"capacity per core λ = {fit.per_core:,.1f} {fit.units}, {beyond_the_data(fit, tier.cores)}; "
             f"extrapolated with per-core scaling {scaling.value:.3g} ({scaling.source})"]
    if fit.model == "linear":
        notes.append(f"its nodes counted as if each added λ·c, assumption: {fit.reason}")
    per_session = memory_per_session(fit)
    spread = None
    try:
        floors = _node_floors(name, tier.role, tier.ram_gib, factors.memory_base_gib.value, demand.sessions,
                              per_session)
        at_least = max((nodes for nodes, _, _ in floors), default=1)
        base = {**base, "least_nodes": with_spares(at_least, design.failure_domains)[0],
                "least_why": "; ".join(why for nodes, _, why in floors if nodes == at_least)}
        spread = count_interval(fit, cores, need, utilisation, name, design.failure_domains, at_least, scaling)
        if spread:
            notes.append(spread.text())
        count = nodes_needed(fit, cores, need, utilisation, name, design.failure_domains, at_least)
    except DesignRefused as refusal:
        return TierPlan(**base, basis="extrapolated", verdict=f"refused: {refusal.message}",
                        demand={fit.units: need}, demand_how=how,
                        nodes_interval=spread.bounds if spread else None, notes=tuple(notes))
    binding = [(kind, why) for nodes, kind, why in floors
               if nodes == count.for_demand and nodes > count.for_throughput]
    notes += [f"{count.for_demand} nodes must be left after a failure: {why}" for _, why in binding]
    if fit.n_star is not None and count.total > fit.n_star:
        notes.append(f"{count.total} nodes is past N* = {fit.n_star}: the spare lowers throughput while all are up")
    ram, ram_how = None, "no memory per session measured"
    if per_session is not None:
        sessions = demand.sessions / count.survivors
        ram = factors.memory_base_gib.value + sessions * per_session / 1024
        ram_how = (f"{factors.memory_base_gib.value:g} GiB base + {sessions:,.0f} sessions per node after a failure "
                   f"× {per_session:.2f} MiB measured per session (one session per live user)")
    return TierPlan(**base, basis="extrapolated", verdict=verdict(count.total, tier.count),
                    demand={fit.units: need}, demand_how=how, nodes=count.total, for_demand=count.for_demand,
                    per_core_scaling=scaling.value,
                    bound_by=binding[0][0] if binding else "throughput",
                    lost_in_failure=count.lost, capacity_per_node=float(fit.throughput(1, cores)),
                    utilisation_all_up=need / count.capacity_all_up,
                    utilisation_after_loss=need / count.capacity_after_loss, ram_gib=ram, ram_how=ram_how,
                    nodes_interval=spread.bounds if spread else None, notes=tuple(notes))


def plan_tiers(design: SizingDesign, demand: PeakDemand, fits: Mapping[str, UslFit],
               costs: Sequence[TierCost] = ()) -> tuple[TierPlan, ...]:
    """A plan for every tier of the design: extrapolated where a capacity curve and a demand exist,
    otherwise the demand where known and the vendor's count."""
    demands = tier_demands(demand, costs)
    plans = []
    for name, tier in design.tiers.items():
        base = dict(name=name, role=tier.role, vendor_count=tier.count, cores=tier.cores,
                    vendor_ram_gib=tier.ram_gib, vendor_source=tier.source)
        known = demands.get(name)
        fit = fits.get(MEASURED.get(name, ""))
        need = known.figures.get(UNITS[fit.tier]) if known and fit else None
        if fit is not None and need is not None:
            plans.append(_measured_plan(name, design, demand, fit, need, known.how, base))
            continue
        why = unswept_reason(name, demand, known)
        if fit is not None:
            why = f"demand unknown in {fit.units} (no cost per request measured): {KEPT}"
        elif name in MEASURED and (known is not None or name not in POOL_REQUESTS):
            why = f"not measured (no capacity points): {KEPT}"
        plans.append(TierPlan(**base, basis="not measured", verdict=why,
                              demand=dict(known.figures) if known else {},
                              demand_how=known.how if known else "no demand model for this tier"))
    return tuple(plans)
