"""How one node's throughput grows with its cores, measured: the per-core scaling a design may bet on.

The sweep measures one groupware node under several CPU quotas. Its
capacity points give X(c) = a·c^b by least squares in log space: b = 1 is
linear scaling, b < 1 a node that gains less from each core it is given.
A bootstrap over the points gives b's interval. The design's nodes have
more cores than were measured, so the factor that scales the USL's λ·c to
them is (p / c_max)^(b−1): what the measured exponent predicts at p cores
against linear growth from the largest quota measured, where p is what one
middleware process has of the node's C cores. OX's JVM is one process that
uses them all (p = C); the reference middleware runs a worker process per
core of its quota (`workers: auto`, p = C / ⌈C⌉ ≤ 1), so the exponent takes
one worker from the quotas measured to its core and the workers add
linearly, as nodes would without cross-talk. A measured b above 1 is taken
as 1: nothing measured on a fraction of a core says that a node gains more
than linearly beyond it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, Sequence

import numpy as np

from harness.sizing.points import CapacityPoint
from harness.sizing.usl import LEVEL, RESAMPLES, Interval, central_interval

MIN_QUOTAS = 3  # distinct quotas on one node before an exponent means anything
Workers = int | Literal["auto"] | None  # a reference node's worker processes; None: one process uses every core


def process_cores(design_cores: float, workers: Workers = None) -> float:
    """The cores one middleware process has on a node of `design_cores`: all of them (None: one process, as OX's
    JVM), one each of ⌈C⌉ workers (auto), or the node's share of a fixed number of workers."""
    if workers is None:
        return design_cores
    count = math.ceil(round(design_cores, 6)) if workers == "auto" else workers
    return design_cores / max(1, count)


@dataclass(frozen=True)
class PerCoreFit:
    tier: str
    exponent: float  # b in X = a·c^b
    interval: Interval | None
    points: tuple[CapacityPoint, ...]

    @property
    def cores(self) -> list[float]:
        return sorted({point.cpu_per_node for point in self.points})

    def scaling(self, design_cores: float, exponent: float | None = None, workers: Workers = None) -> float:
        """The factor on linear growth from the largest quota measured to `design_cores`, whose processes each
        have process_cores(design_cores, workers)."""
        b = min(1.0, self.exponent if exponent is None else exponent)
        return (process_cores(design_cores, workers) / self.cores[-1]) ** (b - 1)

    def scaling_interval(self, design_cores: float, workers: Workers = None) -> tuple[float, float] | None:
        """The factor at the ends of b's interval, lowest first (None without an interval)."""
        if self.interval is None:
            return None
        ends = sorted(self.scaling(design_cores, b, workers) for b in (self.interval.low, self.interval.high))
        return ends[0], ends[1]

    def source(self, design_cores: float, workers: Workers = None) -> str:
        interval = (f" [{self.interval.low:.2f} – {self.interval.high:.2f}]" if self.interval else "")
        low_high = ""
        if self.interval:
            low_high = (f"; {self.scaling(design_cores, self.interval.high, workers):.2f} – "
                        f"{self.scaling(design_cores, self.interval.low, workers):.2f} over b's interval")
        capped = " (taken as 1: no more than linear beyond the data)" if self.exponent > 1 else ""
        per_process = process_cores(design_cores, workers)
        if per_process < design_cores:
            count = round(design_cores / per_process)
            reach = (f"design {design_cores:g} as {count} worker processes of {per_process:g} core"
                     f"{'' if per_process == 1 else 's'}, adding linearly: ×{per_process / self.cores[-1]:.1f} "
                     f"beyond the data per worker, (p / c_max)^(b−1)")
        else:
            reach = (f"design {design_cores:g}: ×{design_cores / self.cores[-1]:.0f} beyond the data, "
                     f"(C / c_max)^(b−1)")
        return (f"measured: one {self.tier} node at {', '.join(f'{c:g}' for c in self.cores)} cores, "
                f"X ∝ cores^b with b = {self.exponent:.2f}{interval}{capped}; measured to {self.cores[-1]:g} cores, "
                f"{reach} = {self.scaling(design_cores, workers=workers):.2f}{low_high}")

    def to_dict(self) -> dict[str, Any]:
        return {"tier": self.tier, "exponent": self.exponent,
                "interval": self.interval.to_list() if self.interval else None,
                "cores": self.cores, "runs": [point.run for point in self.points]}


def one_node_points(points: Sequence[CapacityPoint], tier: str) -> list[CapacityPoint]:
    """The tier's one-node points a fit may use: not generator-bound, not host-bound, not bound elsewhere."""
    return [point for point in points if point.tier == tier and point.nodes == 1
            and not point.generator_bound and not point.host_bound and not point.bound_elsewhere]


def fit_per_core(points: Sequence[CapacityPoint], tier: str = "middleware", resamples: int = RESAMPLES,
                 seed: int = 0, level: float = LEVEL) -> PerCoreFit | str:
    """The exponent of one node's throughput over its cores, or why none can be fitted."""
    usable = one_node_points(points, tier)
    quotas = sorted({point.cpu_per_node for point in usable})
    if len(quotas) < MIN_QUOTAS:
        listed = f": {', '.join(f'{q:g}' for q in quotas)} cores" if quotas else ""
        return (f"one {tier} node was measured under {len(quotas)} CPU quota(s) that neither the generator, the "
                f"host nor another tier bound{listed}; a per-core exponent needs {MIN_QUOTAS}")
    cores = np.log([point.cpu_per_node for point in usable])
    measured = np.log([point.throughput for point in usable])
    exponent = float(np.polyfit(cores, measured, 1)[0])
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(resamples * 10):
        if len(draws) >= resamples:
            break
        chosen = rng.integers(0, len(usable), size=len(usable))
        if len(np.unique(cores[chosen])) >= 2:
            draws.append(np.polyfit(cores[chosen], measured[chosen], 1)[0])
    interval = central_interval(np.array(draws), level) if draws else None
    return PerCoreFit(tier, exponent, interval, tuple(usable))
