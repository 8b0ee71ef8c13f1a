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
explained by the host, not mistaken for the software's contention. What
the lightest step's response time holds beyond the CPU the model sees (the
network, disk and lock waits) is a fixed delay per request. The model then
predicts every step's throughput (exact MVA), which is compared with what
was measured, and each request class's p95, which is compared with the
class's measured p95. For the p95 the swept tier is simulated
(harness.sizing.simulation: its containers under their CPU quota,
exponential service, first come first served), and the rest of the way is
the delay that the lightest step's median response holds beyond it; the
host is left to the throughput model. The simulation gives each class its
share of the requests and a size in proportion to its median on the
lightest step: an assumption, since one mix of classes cannot tell their
CPU apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from harness.load.load_result import StepResult
from harness.sizing.queueing import Station, solve
from harness.sizing.simulation import RequestClass, simulate

MIN_CLASS_REQUESTS = 20  # a class with fewer requests in a step has no p95 worth comparing
SIMULATED_REQUESTS = 3_000


ROLES = {"sync": "middleware"}  # a swept tier whose nodes the samples count under another role


@dataclass(frozen=True)
class Swept:
    """The tier a point sweeps: its members and the cores (the CPU quota) of each."""

    tier: str
    members: int
    cores_each: float

    @property
    def role(self) -> str:
        """The role whose CPU the steps record for the swept nodes."""
        return ROLES.get(self.tier, self.tier)


@dataclass(frozen=True)
class ClassP95:
    name: str
    measured_ms: float
    predicted_ms: float

    @property
    def error(self) -> float:
        return abs(self.predicted_ms - self.measured_ms) / self.measured_ms if self.measured_ms else float("inf")


@dataclass(frozen=True)
class StepPrediction:
    users: int
    measured: float  # requests per second
    predicted: float
    bottleneck: str
    p95: tuple[ClassP95, ...] = ()  # the classes with enough requests in the step

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
    swept_demand = per_tier.get(swept.role, 0.0)
    quota = swept.cores_each if swept.cores_each <= 1 else None
    return [Station(swept.tier, swept_demand / swept.cores_each, swept.members, quota),
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
    measured_response = _response_seconds(base)
    think = max(0.0, base.users / base.rps - measured_response)
    delay = _fixed_delay(stations, think, base.users, measured_response)
    solutions = solve(stations, think + delay, max(step.users for step in usable))
    classes = _classes(base)
    path = stations[:1]  # the swept tier; the rest of the way is the delay measured on the lightest step
    path_delay = _path_delay(path, think, base, measured_response, classes) if classes else 0.0
    predictions = []
    for step in usable[1:]:
        solution = solutions[step.users - 1]
        p95 = _class_p95(step, path, think, path_delay, classes) if classes else ()
        predictions.append(StepPrediction(step.users, step.rps, solution.throughput, solution.bottleneck(), p95))
    return predictions


def _path_delay(path: list[Station], think: float, base: StepResult, measured_response: float,
                classes: list[RequestClass]) -> float:
    """What the lightest step's response time holds beyond the simulated path: the other tiers and the network."""
    simulated = simulate(path, think, base.users, 0.0, classes, requests=SIMULATED_REQUESTS, seed=base.index)
    times = sorted(t for found in simulated.response_seconds.values() for t in found)
    return max(0.0, measured_response - times[len(times) // 2])


def _fixed_delay(stations: list[Station], think: float, users: int, measured_response: float) -> float:
    """The part of the lightest step's response time that no station explains (found by fixed point: the
    stations' queues depend on how long users stay away from them)."""
    delay = 0.0
    for _ in range(5):
        modelled = solve(stations, think + delay, users)[-1].response_seconds
        delay = max(0.0, measured_response - modelled)
    return delay


def _classes(base: StepResult) -> list[RequestClass]:
    """The lightest step's request classes: their shares, and their sizes from their medians."""
    known = {name: figures for name, figures in base.requests.items() if figures.requests and figures.p50}
    total = sum(figures.requests for figures in known.values())
    if not total:
        return []
    mean_median = sum(figures.p50 * figures.requests for figures in known.values()) / total
    return [RequestClass(name, figures.requests / total, figures.p50 / mean_median) for name, figures in known.items()]


def _class_p95(step: StepResult, stations: list[Station], think: float, delay: float,
               classes: list[RequestClass]) -> tuple[ClassP95, ...]:
    simulated = simulate(stations, think, step.users, delay, classes, requests=SIMULATED_REQUESTS, seed=step.index)
    compared = []
    for name, figures in sorted(step.requests.items()):
        if figures.p95 and figures.requests >= MIN_CLASS_REQUESTS and simulated.response_seconds.get(name):
            compared.append(ClassP95(name, figures.p95, simulated.p95(name) * 1000))
    return tuple(compared)


def summary(predictions: list[StepPrediction]) -> tuple[float, float] | None:
    """(median, worst) relative error of throughput over the predicted steps."""
    errors = [prediction.error for prediction in predictions]
    return (median(errors), max(errors)) if errors else None


def p95_summary(predictions: list[StepPrediction]) -> tuple[float, float, int] | None:
    """(median, worst, count) relative error of the classes' p95 over every class of every predicted step."""
    errors = [found.error for prediction in predictions for found in prediction.p95]
    return (median(errors), max(errors), len(errors)) if errors else None


def _response_seconds(step: StepResult) -> float:
    """The step's response time per request, from its classes' medians weighted by their requests."""
    weighted = [(figures.p50 or 0.0, figures.requests) for figures in step.requests.values()]
    total = sum(count for _, count in weighted)
    return sum(ms * count for ms, count in weighted) / total / 1000 if total else 0.0
