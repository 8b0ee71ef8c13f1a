"""One step of a stepped load run judged against the profile's SLOs.

A step meets the SLOs when every request class with at least `min_requests`
requests in it has its p95 and its error ratio within the class's SLO
(`slos["default"]` for classes not named). The sizing reads a run's
capacity from these verdicts; the locustfile ends a run early with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from harness.load.load_result import StepResult
from harness.load.profile import Slo

MIN_REQUESTS = 20  # a class with fewer requests in a step is not judged there: its p95 is noise


@dataclass(frozen=True)
class StepVerdict:
    users: int
    throughput: float
    worst_p95_ratio: float  # highest p95 / SLO p95 over the judged classes
    problems: tuple[str, ...]

    @property
    def met(self) -> bool:
        return not self.problems


def judge_step(step: StepResult, slos: Mapping[str, Slo], min_requests: int = MIN_REQUESTS) -> StepVerdict:
    worst, problems = 0.0, []
    for name, figures in step.requests.items():
        if figures.requests < min_requests:
            continue
        slo = slos.get(name, slos["default"])
        p95 = figures.p95
        if p95 is not None:
            ratio = p95 / slo.p95_ms
            worst = max(worst, ratio)
            if ratio > 1:
                problems.append(f"{name}: p95 {p95:.0f} ms over {slo.p95_ms:.0f} ms")
        error_ratio = figures.failures / figures.requests
        if error_ratio > slo.max_error_ratio:
            problems.append(f"{name}: errors {error_ratio:.1%} over {slo.max_error_ratio:.1%}")
    return StepVerdict(step.users, step.rps, worst, tuple(problems))
