"""How one node's throughput grows with its cores, measured: the per-core scaling a design may bet on.

The sweep measures one groupware node under several CPU quotas. Its
capacity points give X(c) = a·c^b by least squares in log space: b = 1 is
linear scaling, b < 1 a node that gains less from each core it is given.
A bootstrap over the points gives b's interval. The design's nodes have
more cores than were measured, so the factor that scales the USL's λ·c to
them is (C / c_max)^(b−1): what the measured exponent predicts at C cores
against linear growth from the largest quota measured. A measured b above
1 is taken as 1: nothing measured on a fraction of a core says that a node
gains more than linearly beyond it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from harness.sizing.points import CapacityPoint
from harness.sizing.usl import LEVEL, RESAMPLES, Interval, central_interval

MIN_QUOTAS = 3  # distinct quotas on one node before an exponent means anything


@dataclass(frozen=True)
class PerCoreFit:
    tier: str
    exponent: float  # b in X = a·c^b
    interval: Interval | None
    points: tuple[CapacityPoint, ...]

    @property
    def cores(self) -> list[float]:
        return sorted({point.cpu_per_node for point in self.points})

    def scaling(self, design_cores: float, exponent: float | None = None) -> float:
        """The factor on linear growth from the largest quota measured to `design_cores`."""
        b = min(1.0, self.exponent if exponent is None else exponent)
        return (design_cores / self.cores[-1]) ** (b - 1)

    def source(self, design_cores: float) -> str:
        interval = (f" [{self.interval.low:.2f} – {self.interval.high:.2f}]" if self.interval else "")
        low_high = ""
        if self.interval:
            low_high = (f"; {self.scaling(design_cores, self.interval.high):.2f} – "
                        f"{self.scaling(design_cores, self.interval.low):.2f} over b's interval")
        capped = " (taken as 1: no more than linear beyond the data)" if self.exponent > 1 else ""
        return (f"measured: one {self.tier} node at {', '.join(f'{c:g}' for c in self.cores)} cores, "
                f"X ∝ cores^b with b = {self.exponent:.2f}{interval}{capped}; measured to {self.cores[-1]:g} cores, "
                f"design {design_cores:g}: ×{design_cores / self.cores[-1]:.0f} beyond the data, "
                f"(C / c_max)^(b−1) = {self.scaling(design_cores):.2f}{low_high}")

    def to_dict(self) -> dict[str, Any]:
        return {"tier": self.tier, "exponent": self.exponent,
                "interval": self.interval.to_list() if self.interval else None,
                "cores": self.cores, "runs": [point.run for point in self.points]}


def one_node_points(points: Sequence[CapacityPoint], tier: str) -> list[CapacityPoint]:
    """The tier's one-node points a fit may use: not generator-bound, not host-bound."""
    return [point for point in points if point.tier == tier and point.nodes == 1
            and not point.generator_bound and not point.host_bound]


def fit_per_core(points: Sequence[CapacityPoint], tier: str = "middleware", resamples: int = RESAMPLES,
                 seed: int = 0, level: float = LEVEL) -> PerCoreFit | str:
    """The exponent of one node's throughput over its cores, or why none can be fitted."""
    usable = one_node_points(points, tier)
    quotas = sorted({point.cpu_per_node for point in usable})
    if len(quotas) < MIN_QUOTAS:
        listed = f": {', '.join(f'{q:g}' for q in quotas)} cores" if quotas else ""
        return (f"one {tier} node was measured under {len(quotas)} CPU quota(s) that neither the generator nor the "
                f"host bound{listed}; a per-core exponent needs {MIN_QUOTAS}")
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
