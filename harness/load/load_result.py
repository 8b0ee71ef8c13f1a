"""A load run's result, typed: what `load/results.json` holds, handed as one object from the load package
to the fault judge, the sizing, the load suite and `oxh load`.

Written once into the run's load folder when the run ends (with the fault's
judgement, when a fault ran under it); the HTML report reads that file.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from harness.load.history import History


class Figures(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClassResult(Figures):
    """One request class over the whole run, judged against its SLO."""

    name: str
    protocol: str  # Locust's request type: GET, POST, IMAP, SMTP, ...
    requests: int
    failures: int
    rps: float
    p50: float | None
    p95: float | None
    p99: float | None
    slo: dict[str, float] = Field(default_factory=dict)
    violations: list[str] = Field(default_factory=list)

    @property
    def error_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


class StepClass(Figures):
    """One request class within one step."""

    method: str
    requests: int
    failures: int
    rps: float
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None


class StepResult(Figures):
    """One step of a stepped run: what happened between two snapshots, and each tier's mean CPU meanwhile."""

    index: int
    users: int
    start: float
    end: float
    seconds: float
    requests: dict[str, StepClass] = Field(default_factory=dict)
    errors: dict[str, dict[str, int]] = Field(default_factory=dict)
    tier_cpu_percent: dict[str, float] = Field(default_factory=dict)

    @property
    def rps(self) -> float:
        return sum(figures.rps for figures in self.requests.values())


class TierFigures(Figures):
    cpu_percent: dict[str, float]  # mean over the run, percent of one core summed over the tier's nodes
    memory_bytes_peak: dict[str, int]


class GeneratorFigures(Figures):
    peak_cpu_percent: float | None
    bound: bool  # the generator's CPU, not the cluster, limited the run
    invalid: str = ""  # why the figures cannot be trusted (a worker died, Locust was stopped), or ""

    @property
    def kept_up(self) -> bool:
        return not self.bound and not self.invalid


class Crosscheck(Figures):
    generator_api_requests: int
    middleware_counted: int
    nodes: list[str]


class LoadWindow(Figures):
    """The aggregated figures of a span of seconds (before, during or after a fault)."""

    seconds: int
    error_ratio: float
    worst_p95_ms: float | None


class FaultUnderLoad(Figures):
    """A failover scenario injected into the run, and its judgement (harness.scenario.under_load)."""

    scenario: str
    at: float
    nodes: list[str]
    problem: str
    took_effect: list[str]
    violations: list[str] = Field(default_factory=list)
    injected_second: float | None = None
    healed_second: float | None = None
    before: LoadWindow | None = None
    during: LoadWindow | None = None
    after: LoadWindow | None = None
    back_to_slo_seconds: float | None = None
    user_visible_failures: dict[str, int] = Field(default_factory=dict)
    user_visible_failures_before: dict[str, int] = Field(default_factory=dict)


class LoadResult(Figures):
    """A load run's figures; `history`, its per-second history, travels with it but is not written (Locust's
    own `locust_stats_history.csv` holds it)."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    profile: str
    shape: str
    users: int | list[int]  # the steps' users on a stepped run
    speedup: float
    seconds: float
    stopped_from_outside: bool
    classes: list[ClassResult]
    errors: dict[str, dict[str, int]]
    steps: list[StepResult]
    tiers: TierFigures
    generator: GeneratorFigures
    crosscheck: Crosscheck
    workers: int = 1
    plots: list[str] = Field(default_factory=list)
    fault: FaultUnderLoad | None = None
    history: History = Field(default_factory=lambda: History(()), exclude=True, repr=False)

    @property
    def slo_violations(self) -> list[str]:
        return [problem for figures in self.classes for problem in figures.violations]

    @property
    def requests(self) -> int:
        return sum(figures.requests for figures in self.classes)

    @property
    def rps(self) -> float:
        return round(sum(figures.rps for figures in self.classes), 2)

    def to_json(self) -> str:
        """results.json: the result with its derived figures, for the report and for people."""
        return json.dumps(self.record(), indent=2)

    def record(self) -> dict[str, Any]:
        """What results.json holds: the fields, and the derived figures people and the report read."""
        data: dict[str, Any] = self.model_dump(mode="json")
        for entry, figures in zip(data["classes"], self.classes):
            entry["error_ratio"] = round(figures.error_ratio, 4)
        for entry, step in zip(data["steps"], self.steps):
            entry["rps"] = round(step.rps, 2)
        data["slo_violations"] = self.slo_violations
        return data
