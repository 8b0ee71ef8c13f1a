"""The locustfile of `oxh load`: the plan's user classes, its shape, and a record of each step.

Locust imports this file (`locust -f`), in the master and in every worker;
the plan comes from the JSON file `OXH_LOAD_PLAN` names. The shape holds the
user count the plan asks for: one level for `constant` and `soak`, or a
level per step for `steps`. A step is measured from the moment all its users
have started (the sign-ins of a level's new users are not part of its
figures) for `hold_seconds`, and longer, up to twice that, until its
throughput has settled (harness.load.steps.settled); with
`stop_after_slo_miss`, a step that misses the SLOs is the last. On the
master (or the single local runner) the shape snapshots Locust's merged
statistics when a step's measurement opens and when it closes, so each step
gets its own counts and percentiles: the response-time histograms that
workers send are merged by Locust itself, and a step's are the difference
of two snapshots. They are written to `steps.json` when Locust quits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from locust import LoadTestShape, events

from harness.load.load_plan import LoadPlan
from harness.load.load_result import StepResult
from harness.load.step_verdict import judge_step
from harness.load.steps import difference, settled, snapshot
from harness.load.users import user_classes

PLAN = LoadPlan.from_environment()
globals().update(user_classes(PLAN))  # Locust finds the User classes among this module's names

class PlanShape(LoadTestShape):
    """The plan's user levels; records a step per level, measured once the level's users have all started."""

    def __init__(self) -> None:
        super().__init__()
        self.levels = PLAN.steps if PLAN.shape == "steps" and PLAN.steps else [PLAN.users]
        self.hold = PLAN.hold_seconds if PLAN.shape == "steps" and PLAN.steps else PLAN.duration
        self.index = 0
        self.asked_at = 0.0  # when the current level was asked for
        self.opened_at: float | None = None  # when the current step's measurement began; None while users start
        self.counts: list[tuple[float, int]] = []
        self.marks: list[dict[str, Any]] = []  # the snapshot at the opening of the step being measured
        self.steps: list[dict[str, Any]] = []
        self.workers = (0, 0)  # (most, fewest) workers seen connected once the run started
        self.ended_early = False  # the last step closed missed the SLOs and the plan stops there

    def tick(self) -> tuple[int, float] | None:
        now = self.get_run_time()
        stats = self.runner.stats
        workers = getattr(self.runner, "worker_count", None)  # a master's; None on a local runner
        if workers is not None:
            self.workers = (max(self.workers[0], workers), min(self.workers[1], workers) if self.marks else workers)
        self.counts.append((now, stats.total.num_requests))
        if self.opened_at is None:
            if PLAN.shape == "steps" and not self.started(now):
                return self.levels[self.index], PLAN.spawn_rate
            self.marks.append(snapshot(stats))
            self.opened_at = now
        held = now - self.opened_at
        if held >= self.hold and (PLAN.shape != "steps" or held >= 2 * self.hold
                                  or settled(self.counts, self.opened_at, now)):
            self.close_step(snapshot(stats))
            self.index += 1
            self.asked_at, self.opened_at = now, None
            if self.index < len(self.levels) and self.slo_missed():
                self.ended_early = True
            if self.index >= len(self.levels) or self.ended_early:
                return None
        return self.levels[self.index], PLAN.spawn_rate

    def started(self, now: float) -> bool:
        """Whether the current level's users have all started, or had the time they may take (some died)."""
        return self.runner.user_count >= self.levels[self.index] or now - self.asked_at > PLAN.start_bound(self.index)

    def slo_missed(self) -> bool:
        """Whether the plan ends at a step that missed the SLOs and the step just closed did."""
        if not (PLAN.stop_after_slo_miss and self.steps):
            return False
        return not judge_step(StepResult.model_validate(self.steps[-1]), PLAN.profile.slos).met

    def close_step(self, mark: dict[str, Any]) -> None:
        if self.opened_at is not None and self.index < len(self.levels) and len(self.steps) == self.index:
            self.steps.append(difference(self.marks[-1], mark, self.levels[self.index], self.index))


@events.quitting.add_listener
def write_steps(environment: Any, **_: Any) -> None:
    shape = environment.shape_class
    if shape is None or environment.runner is None or type(environment.runner).__name__ == "WorkerRunner":
        return
    if not shape.ended_early:
        shape.close_step(snapshot(environment.runner.stats))  # a run cut short keeps the step it was measuring
    (Path(PLAN.output) / "steps.json").write_text(json.dumps(shape.steps, indent=2))
    most, fewest = shape.workers
    (Path(PLAN.output) / "generator.json").write_text(json.dumps({"workers_most": most, "workers_fewest": fewest}))
