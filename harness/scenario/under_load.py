"""Faults under load: one named failover scenario injected into a Locust run at a given second.

`oxh load ... --fault middleware-node-killed@60` runs the profile as usual;
60 s after Locust starts, the scenario's fault is injected through the same
fault driver and window as the failover suite, held for the scenario's
time, and healed. Judged from Locust's per-second history: the error ratio
and the worst p95 before, during and after the fault, the time from the heal
until the run is back within the profile's default SLO for 10 s in a row,
and the calls users saw fail (second attempts that failed too: users retry
once), told apart by whether they failed before the fault or once it was in.
The design's promise for a middleware node's loss is that users see no
failed call; calls failing before the fault mean the load alone was too much,
which is named as such.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from harness.durations import parse_duration
from harness.errors import UserError
from harness.faults.driver import FaultDriver
from harness.backends.target import Target
from harness.load.history import AGGREGATED, History
from harness.load.load_result import ClassResult, FaultUnderLoad, LoadResult, LoadWindow
from harness.load.load_run import LoadOptions, Progress, run_load
from harness.load.profile import RETRY_SUFFIX, LoadProfile, Slo
from harness.scenario.named import SCENARIOS
from harness.scenario.window import FaultWindow

STEADY_SECONDS = 10
# Scenarios whose promise is that users, who retry once, see no failed call: no write may fail.
NO_USER_VISIBLE_FAILURE = {name for name, scenario in SCENARIOS.items() if scenario.thresholds.max_write_downtime == 0}


def parse_fault(text: str) -> tuple[str, float]:
    """`SCENARIO@SECONDS` -> (scenario, seconds after the load starts)."""
    name, _, at = text.partition("@")
    if name not in SCENARIOS:
        raise UserError(f"--fault {text}: unknown scenario {name!r}", f"choose one of: {', '.join(SCENARIOS)}")
    if at.strip().startswith("-"):
        raise UserError(f"--fault {text}: the time must not be negative", "give the time after the start")
    try:
        seconds = parse_duration(at)
    except ValueError:
        raise UserError(f"--fault {text}: no time after the @", "write SCENARIO@TIME, e.g. "
                                                                 "middleware-node-killed@60s or @2m") from None
    return name, seconds


@dataclass
class FaultTimer:
    """Injects the scenario's fault `at` seconds after it is entered, holds it, heals it; never outlives
    the run it belongs to (healed on exit whatever happened)."""

    driver: FaultDriver
    scenario: str
    at: float
    hold: float | None = None  # seconds the fault is held; None: the scenario's own
    injected_at: float | None = None  # wall clock
    healed_at: float | None = None
    nodes: list[str] = field(default_factory=list)
    problem: str = ""
    took_effect: list[str] = field(default_factory=list)  # what was measured in the cluster to prove the fault
    _stop: threading.Event = field(default_factory=threading.Event)

    @contextmanager
    def running(self) -> Iterator["FaultTimer"]:
        thread = threading.Thread(target=self._run, name="oxh-fault-under-load", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join(timeout=self.held_for + 120)

    @property
    def held_for(self) -> float:
        return self.hold if self.hold is not None else SCENARIOS[self.scenario].hold

    def _run(self) -> None:
        if self._stop.wait(self.at):
            self.problem = "the load ended before the fault was due"
            return
        named = SCENARIOS[self.scenario]
        try:
            with FaultWindow(self.driver, named.fault) as window:
                self.injected_at = time.time()
                self.nodes = window.nodes
                self.took_effect = list(window.injected.took_effect)
                if window.injected.not_in_effect:
                    self.problem = ("the fault did not take effect, so users were not judged under it: "
                                    + "; ".join(window.injected.not_in_effect))
                self._stop.wait(self.held_for)
                self.healed_at = time.time()
            if window.heal_failures:
                self.problem = "healing failed: " + "; ".join(window.heal_failures)
        except Exception as exc:  # noqa: BLE001 - reported with the run rather than lost in a thread
            self.problem = f"the fault could not be injected: {exc}"


def _window(history: History, start: float, end: float) -> LoadWindow:
    inside = [second for second in history.of(AGGREGATED) if start <= second.at < end]
    requests = sum(second.requests_per_second for second in inside)
    failures = sum(second.failures_per_second for second in inside)
    return LoadWindow(seconds=len(inside), error_ratio=round(failures / requests, 4) if requests else 0.0,
                      worst_p95_ms=max((s.p95_ms for s in inside if s.p95_ms is not None), default=None))


def back_to_slo(history: History, healed: float, slo: Slo) -> float | None:
    """Seconds from the heal until `STEADY_SECONDS` in a row met the SLO (None: never)."""
    streak_start = None
    for second in (second for second in history.of(AGGREGATED) if second.at >= healed):
        rps, fps = second.requests_per_second, second.failures_per_second
        good = (fps / rps if rps else 0.0) <= slo.max_error_ratio and (second.p95_ms or 0.0) <= slo.p95_ms
        if not good:
            streak_start = None
        elif streak_start is None:
            streak_start = second.at
        if streak_start is not None and second.at - streak_start + 1 >= STEADY_SECONDS:
            return max(0.0, streak_start - healed)
    return None


def visible_failures(history: History, classes: list[ClassResult],
                     injected: float) -> tuple[dict[str, int], dict[str, int]]:
    """Retried calls that failed again, (before the fault, from the fault on), per retry class: the split
    comes from each class's running failure count in the per-second history (all counted from the fault on
    when the history has no row of the class before it)."""
    before: dict[str, int] = {}
    after: dict[str, int] = {}
    for figures in classes:
        name, total = figures.name, figures.failures
        if not name.endswith(RETRY_SUFFIX) or not total:
            continue
        counts = [second.total_failures for second in history.of(name)
                  if second.at < injected and second.total_failures is not None]
        early = min(max(counts, default=0), total)
        if early:
            before[name] = early
        if total - early:
            after[name] = total - early
    return before, after


def judge_fault(timer: FaultTimer, history: History, classes: list[ClassResult], slo: Slo) -> FaultUnderLoad:
    """The fault's judgement from the run's history, with its violations."""
    found = FaultUnderLoad(scenario=timer.scenario, at=timer.at, nodes=timer.nodes, problem=timer.problem,
                           took_effect=timer.took_effect)
    if timer.injected_at is None or timer.healed_at is None:
        found.violations.append(timer.problem or "the fault was never injected")
        return found
    start, end = history.span() or (timer.injected_at, timer.healed_at + 1)
    early, visible = visible_failures(history, classes, timer.injected_at)
    found.injected_second = round(timer.injected_at - start, 1)
    found.healed_second = round(timer.healed_at - start, 1)
    found.before = _window(history, start, timer.injected_at)
    found.during = _window(history, timer.injected_at, timer.healed_at)
    found.after = _window(history, timer.healed_at, end)
    found.back_to_slo_seconds = back_to_slo(history, timer.healed_at, slo)
    found.user_visible_failures, found.user_visible_failures_before = visible, early
    if timer.problem:
        found.violations.append(timer.problem)
    if found.back_to_slo_seconds is None:
        found.violations.append(f"the run did not get back within its SLO for {STEADY_SECONDS} s after the heal")
    if timer.scenario in NO_USER_VISIBLE_FAILURE and visible:
        found.violations.append("users saw failed calls after one retry: " +
                                ", ".join(f"{name} × {n}" for name, n in visible.items()))
    if early:
        found.violations.append("users saw failed calls after one retry before the fault, so the load alone was "
                                "more than the cluster carried: " +
                                ", ".join(f"{name} × {n}" for name, n in early.items()))
    return found


def run_load_with_fault(target: Target, profile: LoadProfile, options: LoadOptions, folder: Path,
                        progress: Progress, fault: str, confirm: str | None, hold: float | None = None,
                        accounts: list[dict[str, str]] | None = None) -> LoadResult:
    """`run_load` with the scenario `fault` (SCENARIO@SECONDS) injected into it; its judgement in the result.
    `accounts`: test users already made, as `run_load` takes them."""
    from harness.faults.drivers import driver_for

    name, at = parse_fault(fault)
    profile = profile.with_slos(target.policy.load_slos)
    timer = FaultTimer(driver_for(target, confirm), name, at, hold)
    progress(f"fault under load: {name} at {at:g} s, held {timer.held_for:g} s")
    slo = profile.slos["default"]
    return run_load(target, profile, options, folder, progress, alongside=timer.running,
                    judge=lambda result, history: judge_fault(timer, history, result.classes, slo), accounts=accounts)
