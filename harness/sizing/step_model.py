"""The queueing model held against a stepped run: demands measured on its lightest step, every other step
predicted.

Per tier, the service demand is the utilisation law on the lightest step:
D = U / X (CPU-seconds per request, the tier's mean CPU over the step
divided by the step's throughput). The closed network (harness.sizing.
queueing) has the step's users thinking as long as the lightest step shows
(the interactive response time law: Z = N / X - R),
the swept tier as a station of its members, each as fast as its CPU quota,
and the host's cores as one more station that every tier and the load
generator use, so that a step where the host ran out of cores is
explained by the host, not mistaken for the software's contention. The
model then predicts every step's throughput, which is compared with what
was measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from harness.load.load_result import StepResult
from harness.sizing.queueing import Station, solve


@dataclass(frozen=True)
class Swept:
    """The tier a point sweeps: its members and the cores (the CPU quota) of each."""

    tier: str
    members: int
    cores_each: float


@dataclass(frozen=True)
class StepPrediction:
    users: int
    measured: float  # requests per second
    predicted: float
    bottleneck: str

    @property
    def error(self) -> float:
        """Relative error of the prediction (0.1: 10 % off)."""
        return abs(self.predicted - self.measured) / self.measured if self.measured else float("inf")


def demands(step: StepResult, generator_cpu_percent: float = 0.0) -> dict[str, float]:
    """CPU-seconds per request of every tier (and of the generator) on one step, by the utilisation law."""
    if step.rps <= 0:
        raise ValueError(f"step {step.index} carried no requests: no demand can be derived from it")
    found = {tier: percent / 100 / step.rps for tier, percent in step.tier_cpu_percent.items()}
    if generator_cpu_percent:
        found["generator"] = generator_cpu_percent / 100 / step.rps
    return found


def network(per_tier: dict[str, float], swept: Swept, host_cores: int) -> list[Station]:
    """The swept tier's members as a multi-server station, the host's cores as a station every tier uses."""
    swept_demand = per_tier.get(swept.tier, 0.0)
    return [Station(swept.tier, swept_demand / swept.cores_each, swept.members),
            Station("host", sum(per_tier.values()), host_cores)]


def predict(steps: list[StepResult], swept: Swept, host_cores: int,
            generator_cpu_percent: dict[int, float] | None = None) -> list[StepPrediction]:
    """Every step but the lightest predicted from the demands of the lightest (`generator_cpu_percent`: the
    generator's mean CPU per step index, where it was sampled)."""
    usable = sorted((step for step in steps if step.rps > 0), key=lambda step: step.users)
    if len(usable) < 2:
        return []
    base = usable[0]
    generator = generator_cpu_percent or {}
    stations = network(demands(base, generator.get(base.index, 0.0)), swept, host_cores)
    think = max(0.0, base.users / base.rps - _response_seconds(base))
    solutions = solve(stations, think, max(step.users for step in usable))
    return [StepPrediction(step.users, step.rps, solutions[step.users - 1].throughput,
                           solutions[step.users - 1].bottleneck()) for step in usable[1:]]


def summary(predictions: list[StepPrediction]) -> tuple[float, float] | None:
    """(median, worst) relative error over the predicted steps."""
    errors = [prediction.error for prediction in predictions]
    return (median(errors), max(errors)) if errors else None


def _response_seconds(step: StepResult) -> float:
    """The step's response time per request, from its classes' medians weighted by their requests."""
    weighted = [(figures.p50 or 0.0, figures.requests) for figures in step.requests.values()]
    total = sum(count for _, count in weighted)
    return sum(ms * count for ms, count in weighted) / total / 1000 if total else 0.0
