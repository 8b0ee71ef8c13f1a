"""The Universal Scalability Law over nodes, linear in cores within a node, fitted to capacity points.

    X(N, c) = λ·c·N / (1 + σ(N−1) + κ·N(N−1))

N is the number of nodes in the pool, c the CPU cores per node, λ the
throughput per core of one node, σ the contention (serialised share) and κ
the coherency cost between nodes. Throughput peaks at N* = √((1−σ)/κ).

σ, κ and λ are fitted by least squares on relative residuals
(`scipy.optimize.least_squares`, σ and κ in [0, 1], λ > 0). One- and two-node
points alone only fix σ + 2κ, and a handful of points cannot carry three
parameters: with fewer than 6 points or fewer than 3 node counts the fit
falls back to Amdahl's law (κ = 0) and says so. A pool the sweep measures
on one node only (the sync pool of the sizing topology) gets λ alone, the median of
its runs' throughput per core; how it scales over nodes is not measured, and
the fit says that it assumes it linear (σ = κ = 0). Confidence intervals come
from a bootstrap that resamples the points with replacement (a resample that
lacks the node counts the model needs is drawn again; a one-node pool's
resamples its runs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, Sequence

import numpy as np
from scipy.optimize import least_squares

from harness.sizing.errors import SizingError
from harness.sizing.points import CapacityPoint

USL_MIN_POINTS = 6
USL_MIN_NODE_COUNTS = 3
LEVEL = 0.9
RESAMPLES = 500
# A fitted κ below this is numerically zero: its N* (beyond 30,000 nodes) would be noise, not a peak.
KAPPA_ZERO = 1e-9
Model = Literal["usl", "amdahl", "linear"]


def usl(nodes: Any, cpu: Any, sigma: float, kappa: float, per_core: float) -> Any:
    """Throughput of `nodes` nodes with `cpu` cores each (scalars or numpy arrays)."""
    nodes = np.asarray(nodes, dtype=float)
    return per_core * np.asarray(cpu, dtype=float) * nodes / (1 + sigma * (nodes - 1) + kappa * nodes * (nodes - 1))


def peak_nodes(sigma: float, kappa: float) -> int | None:
    """N* = floor(√((1−σ)/κ)), the node count of highest throughput; None when κ = 0 (no peak)."""
    if kappa < KAPPA_ZERO:
        return None
    return max(1, math.floor(math.sqrt((1 - sigma) / kappa)))


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def to_list(self) -> list[float]:
        return [self.low, self.high]


@dataclass(frozen=True)
class Prediction:
    nodes: int
    cpu_per_node: float
    value: float
    curve: Interval | None  # where the fitted curve lies (bootstrap of σ, κ, λ)
    interval: Interval | None  # where a new measurement is expected: the curve's spread and the fit's scatter

    def to_dict(self) -> dict[str, Any]:
        return {"nodes": self.nodes, "cpu_per_node": self.cpu_per_node, "value": self.value,
                "curve": self.curve.to_list() if self.curve else None,
                "interval": self.interval.to_list() if self.interval else None}


@dataclass(frozen=True)
class UslFit:
    tier: str
    model: Model
    reason: str
    sigma: float
    kappa: float
    per_core: float  # λ: throughput per core of one node
    points: tuple[CapacityPoint, ...]
    excluded: tuple[tuple[CapacityPoint, str], ...]
    residuals: tuple[float, ...]  # relative: fitted / measured − 1, per point
    level: float
    seed: int
    sigma_interval: Interval | None = None
    kappa_interval: Interval | None = None
    per_core_interval: Interval | None = None
    draws: np.ndarray = field(default_factory=lambda: np.empty((0, 3)), repr=False, compare=False)

    @property
    def units(self) -> str:
        return self.points[0].units

    @property
    def n_star(self) -> int | None:
        return peak_nodes(self.sigma, self.kappa)

    def throughput(self, nodes: Any, cpu: Any) -> Any:
        return usl(nodes, cpu, self.sigma, self.kappa, self.per_core)

    def predict(self, nodes: int, cpu: float) -> Prediction:
        value = float(self.throughput(nodes, cpu))
        if not len(self.draws):
            return Prediction(nodes, cpu, value, None, None)
        curves = usl(nodes, cpu, self.draws[:, 0], self.draws[:, 1], self.draws[:, 2])
        free = len(self.residuals) - {"usl": 3, "amdahl": 2, "linear": 1}[self.model]
        inflate = math.sqrt(len(self.residuals) / free) if free > 0 else 1.0
        rng = np.random.default_rng([self.seed, nodes, round(cpu * 1000)])
        scatter = 1 + inflate * rng.choice(np.asarray(self.residuals), size=len(curves))
        return Prediction(nodes, cpu, value, central_interval(curves, self.level),
                          central_interval(curves * scatter, self.level))

    def to_dict(self) -> dict[str, Any]:
        interval = (lambda found: found.to_list() if found else None)
        return {
            "tier": self.tier, "units": self.units, "model": self.model, "reason": self.reason,
            "sigma": self.sigma, "kappa": self.kappa, "lambda_per_core": self.per_core, "n_star": self.n_star,
            "level": self.level, "resamples": len(self.draws),
            "intervals": {"sigma": interval(self.sigma_interval), "kappa": interval(self.kappa_interval),
                          "lambda_per_core": interval(self.per_core_interval)},
            "points": [{**point.to_dict(), "fitted": float(self.throughput(point.nodes, point.cpu_per_node)),
                        "residual": residual} for point, residual in zip(self.points, self.residuals)],
            "excluded": [{**point.to_dict(), "why": why} for point, why in self.excluded],
        }


def central_interval(values: np.ndarray, level: float) -> Interval:
    """The central `level` share of `values` (a bootstrap's draws), as an interval."""
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return Interval(float(low), float(high))


def choose_model(points: Sequence[CapacityPoint], one_node: bool = False) -> tuple[Model, str]:
    """USL or Amdahl for these points, and why; SizingError when not even Amdahl can be fitted. With `one_node`,
    a pool measured on one node only gets the linear model."""
    count, node_counts = len(points), sorted({point.nodes for point in points})
    if one_node and count and node_counts == [1]:
        return "linear", (f"one node measured ({count} point(s)): λ from its runs; how the pool scales over nodes "
                          "is not measured: assumption: linear in nodes (σ = κ = 0)")
    if count < 3 or len(node_counts) < 2:
        raise SizingError(
            f"{count} usable capacity point(s) over node count(s) {', '.join(map(str, node_counts)) or 'none'}: "
            "a scalability fit needs at least 3 points over at least 2 node counts",
            "measure the tier with 1, 2 and 3 nodes at two or three CPU quotas each")
    if count < USL_MIN_POINTS:
        return "amdahl", (f"only {count} points (the USL needs {USL_MIN_POINTS}): Amdahl's law fitted, "
                          "κ = 0, no coherency cost and no peak")
    if len(node_counts) < USL_MIN_NODE_COUNTS:
        return "amdahl", (f"only node counts {', '.join(map(str, node_counts))}: they fix σ + 2κ, not σ and κ; "
                          "Amdahl's law fitted, κ = 0, no coherency cost and no peak")
    return "usl", f"USL fitted on {count} points over node counts {', '.join(map(str, node_counts))}"


def _solve(nodes: np.ndarray, cpu: np.ndarray, measured: np.ndarray, model: Model,
           starts: Sequence[tuple[float, float, float]]) -> np.ndarray:
    """(σ, κ, λ) of least relative error, the best of the fits from each start."""
    with_kappa = model == "usl"
    serial, crosstalk = nodes - 1, nodes * (nodes - 1)

    def unpack(params: np.ndarray) -> tuple[float, float, float]:
        return tuple(params) if with_kappa else (params[0], 0.0, params[1])

    def relative(params: np.ndarray) -> np.ndarray:
        return usl(nodes, cpu, *unpack(params)) / measured - 1

    def jacobian(params: np.ndarray) -> np.ndarray:
        sigma, kappa, per_core = unpack(params)
        denominator = 1 + sigma * serial + kappa * crosstalk
        fitted = usl(nodes, cpu, sigma, kappa, per_core) / measured
        columns = [-fitted * serial / denominator, -fitted * crosstalk / denominator, fitted / per_core]
        return np.column_stack(columns if with_kappa else [columns[0], columns[2]])

    low, high = ([0, 0, 1e-9], [1, 1, np.inf]) if with_kappa else ([0, 1e-9], [1, np.inf])
    best = None
    for sigma, kappa, per_core in starts:
        start = [sigma, kappa, per_core] if with_kappa else [sigma, per_core]
        found = least_squares(relative, start, jac=jacobian, bounds=(low, high), x_scale="jac")
        if best is None or found.cost < best.cost:
            best = found
    return np.array(unpack(best.x), dtype=float)


def _starts(nodes: np.ndarray, cpu: np.ndarray, measured: np.ndarray) -> list[tuple[float, float, float]]:
    smallest = nodes == nodes.min()
    per_core = float(np.median(measured[smallest] / (cpu[smallest] * nodes[smallest])))
    return [(sigma, kappa, per_core) for sigma in (0.02, 0.2, 0.6) for kappa in (1e-4, 1e-2)]


def usable_points(points: Sequence[CapacityPoint]) -> tuple[list[CapacityPoint], list[tuple[CapacityPoint, str]]]:
    """The points a fit may use, and the ones left out with the reason: a saturated load generator measured
    itself, a host above HOST_BOUND of its cores measured the host, and swept nodes below SWEPT_SATURATED of
    their quota measured whatever else set the SLO limit, not the tier. Host-bound and elsewhere-bound points
    stay when leaving them out would leave too few points to fit (`fit_usl` says so in its reason)."""
    used, excluded = [], []
    for point in points:
        if point.generator_bound:
            excluded.append((point, "the load generator was the bottleneck: a lower bound, not the tier's capacity"))
        else:
            used.append(point)
    for bound, reason in ((lambda point: point.host_bound, lambda point: point.host_bound_reason),
                          (lambda point: point.bound_elsewhere, lambda point: point.bound_elsewhere_reason)):
        unbound = [point for point in used if not bound(point)]
        if len(unbound) < len(used) and _fittable(unbound):
            excluded += [(point, reason(point)) for point in used if bound(point)]
            used = unbound
    return used, excluded


def _fittable(points: Sequence[CapacityPoint]) -> bool:
    return len(points) >= 3 and len({point.nodes for point in points}) >= 2


def fit_usl(points: Sequence[CapacityPoint], resamples: int = RESAMPLES, seed: int = 0, level: float = LEVEL,
            model: Model | None = None, one_node: bool = False) -> UslFit:
    """The fit of one tier's points (all of them but the generator-bound ones; `held_out` matters only to
    validation), with bootstrap intervals at `level` from `resamples` resamples (0: none). `one_node`: the tier
    is a pool the sweep measures on one node only, fitted linear in nodes when that is all it has."""
    tiers = sorted({point.tier for point in points})
    if len(tiers) > 1:
        raise SizingError(f"capacity points of several tiers ({', '.join(tiers)}) in one fit", "fit each tier alone")
    used, excluded = usable_points(points)
    chosen, reason = choose_model(used, one_node)
    if model == "amdahl" and chosen == "usl":
        chosen, reason = "amdahl", "Amdahl's law asked for: κ = 0"
    kept = [point.run for point in used if point.host_bound]
    if kept:
        reason += (f"; host-bound point(s) {', '.join(kept)} kept, since without them too few points remain: "
                   "the curve's contention may be the host's")
    elsewhere = [point.run for point in used if point.bound_elsewhere]
    if elsewhere:
        reason += (f"; point(s) {', '.join(elsewhere)} whose nodes stayed below their quota kept, since without them "
                   "too few points remain: the curve may hold another tier's limit")
    nodes = np.array([point.nodes for point in used], dtype=float)
    cpu = np.array([point.cpu_per_node for point in used])
    measured = np.array([point.throughput for point in used])
    if chosen == "linear":
        runs = np.array([run / point.cpu_per_node for point in used for run in point.repeats or (point.throughput,)])
        sigma, kappa, per_core = 0.0, 0.0, float(np.median(runs))
        draws = _bootstrap_runs(runs, resamples, seed)
    else:
        sigma, kappa, per_core = _solve(nodes, cpu, measured, chosen, _starts(nodes, cpu, measured))
        draws = _bootstrap(nodes, cpu, measured, chosen, (sigma, kappa, per_core), resamples, seed)
    residuals = tuple(float(r) for r in usl(nodes, cpu, sigma, kappa, per_core) / measured - 1)
    intervals = [central_interval(draws[:, column], level) if len(draws) else None for column in range(3)]
    return UslFit(tiers[0], chosen, reason, float(sigma), float(kappa), float(per_core), tuple(used), tuple(excluded),
                  residuals, level, seed, None if chosen == "linear" else intervals[0],
                  intervals[1] if chosen == "usl" else None, intervals[2], draws)


def _bootstrap_runs(per_core: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """(0, 0, λ) of a one-node pool: the median of `resamples` resamples of its runs' throughput per core."""
    rng = np.random.default_rng(seed)
    medians = [float(np.median(rng.choice(per_core, size=len(per_core)))) for _ in range(resamples)]
    return np.array([(0.0, 0.0, median) for median in medians]).reshape(-1, 3)


def _bootstrap(nodes: np.ndarray, cpu: np.ndarray, measured: np.ndarray, model: Model,
               estimate: tuple[float, float, float], resamples: int, seed: int) -> np.ndarray:
    """(σ, κ, λ) refitted on `resamples` resamples of the points; a resample with fewer node counts than
    the model needs cannot be fitted and is drawn again."""
    rng = np.random.default_rng(seed)
    needed = min(len(np.unique(nodes)), USL_MIN_NODE_COUNTS if model == "usl" else 2)
    starts = [estimate, (0.1, 1e-3, estimate[2])]
    draws: list[np.ndarray] = []
    attempts = 0
    while len(draws) < resamples and attempts < 10 * resamples:
        attempts += 1
        chosen = rng.integers(0, len(nodes), size=len(nodes))
        if len(np.unique(nodes[chosen])) >= needed:
            draws.append(_solve(nodes[chosen], cpu[chosen], measured[chosen], model, starts))
    return np.array(draws).reshape(-1, 3)
