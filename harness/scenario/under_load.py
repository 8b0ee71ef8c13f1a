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

import csv
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from harness.durations import parse_duration
from harness.errors import UserError
from harness.faults.driver import FaultDriver
from harness.load.profile import RETRY_SUFFIX, Slo
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


def _history(prefix: Path) -> list[dict[str, str]]:
    path = Path(f"{prefix}_stats_history.csv")
    with path.open() as handle:
        return list(csv.DictReader(handle))


def _window(rows: list[dict[str, str]], start: float, end: float) -> dict[str, Any]:
    inside = [row for row in rows if row["Name"] == "Aggregated" and start <= int(row["Timestamp"]) < end]
    requests = sum(float(row["Requests/s"]) for row in inside)
    failures = sum(float(row["Failures/s"]) for row in inside)
    p95 = [float(row["95%"]) for row in inside if row["95%"] not in ("N/A", "")]
    return {"seconds": len(inside), "error_ratio": round(failures / requests, 4) if requests else 0.0,
            "worst_p95_ms": max(p95, default=None)}


def back_to_slo(rows: list[dict[str, str]], healed: float, slo: Slo) -> float | None:
    """Seconds from the heal until `STEADY_SECONDS` in a row met the SLO (None: never)."""
    seconds = sorted((row for row in rows if row["Name"] == "Aggregated" and int(row["Timestamp"]) >= healed),
                     key=lambda row: int(row["Timestamp"]))
    streak_start = None
    for row in seconds:
        rps, fps = float(row["Requests/s"]), float(row["Failures/s"])
        p95 = float(row["95%"]) if row["95%"] not in ("N/A", "") else 0.0
        good = (fps / rps if rps else 0.0) <= slo.max_error_ratio and p95 <= slo.p95_ms
        if not good:
            streak_start = None
        elif streak_start is None:
            streak_start = int(row["Timestamp"])
        if streak_start is not None and int(row["Timestamp"]) - streak_start + 1 >= STEADY_SECONDS:
            return max(0.0, streak_start - healed)
    return None


def visible_failures(rows: list[dict[str, str]], classes: list[dict[str, Any]],
                     injected: float) -> tuple[dict[str, int], dict[str, int]]:
    """Retried calls that failed again, (before the fault, from the fault on), per retry class: the split
    comes from each class's running failure count in the per-second history (all counted from the fault on
    when the history has no row of the class before it)."""
    before: dict[str, int] = {}
    after: dict[str, int] = {}
    for item in classes:
        name, total = item["name"], int(item["failures"])
        if not name.endswith(RETRY_SUFFIX) or not total:
            continue
        counts = [int(row["Total Failure Count"]) for row in rows
                  if row["Name"] == name and int(row["Timestamp"]) < injected and row.get("Total Failure Count")]
        early = min(max(counts, default=0), total)
        if early:
            before[name] = early
        if total - early:
            after[name] = total - early
    return before, after


def judge_fault(timer: FaultTimer, prefix: Path, classes: list[dict[str, Any]], slo: Slo) -> dict[str, Any]:
    """The fault's entry of results.json, with its violations."""
    found: dict[str, Any] = {"scenario": timer.scenario, "at": timer.at, "nodes": timer.nodes,
                             "problem": timer.problem, "took_effect": timer.took_effect, "violations": []}
    if timer.injected_at is None or timer.healed_at is None:
        found["violations"].append(timer.problem or "the fault was never injected")
        return found
    rows = _history(prefix)
    start = min((int(row["Timestamp"]) for row in rows), default=timer.injected_at)
    end = max((int(row["Timestamp"]) for row in rows), default=timer.healed_at) + 1
    early, visible = visible_failures(rows, classes, timer.injected_at)
    found.update({
        "injected_second": round(timer.injected_at - start, 1), "healed_second": round(timer.healed_at - start, 1),
        "before": _window(rows, start, timer.injected_at), "during": _window(rows, timer.injected_at, timer.healed_at),
        "after": _window(rows, timer.healed_at, end), "back_to_slo_seconds": back_to_slo(rows, timer.healed_at, slo),
        "user_visible_failures": visible, "user_visible_failures_before": early,
    })
    if timer.problem:
        found["violations"].append(timer.problem)
    if found["back_to_slo_seconds"] is None:
        found["violations"].append(f"the run did not get back within its SLO for {STEADY_SECONDS} s after the heal")
    if timer.scenario in NO_USER_VISIBLE_FAILURE and visible:
        found["violations"].append("users saw failed calls after one retry: " +
                                   ", ".join(f"{name} × {n}" for name, n in visible.items()))
    if early:
        found["violations"].append("users saw failed calls after one retry before the fault, so the load alone was "
                                   "more than the cluster carried: " +
                                   ", ".join(f"{name} × {n}" for name, n in early.items()))
    return found



def run_load_with_fault(target, profile, options, folder: Path, progress, fault: str,
                        confirm: str | None, hold: float | None = None) -> dict[str, Any]:
    """`run_load` with the scenario `fault` (SCENARIO@SECONDS) injected into it; its judgement in results.json."""
    import json

    from harness.faults.drivers import driver_for
    from harness.load.load_run import run_load

    name, at = parse_fault(fault)
    profile = profile.with_slos(target.policy.load_slos)
    timer = FaultTimer(driver_for(target, confirm), name, at, hold)
    progress(f"fault under load: {name} at {at:g} s, held {timer.held_for:g} s")
    results = run_load(target, profile, options, folder, progress, alongside=timer.running)
    results["fault"] = judge_fault(timer, folder / "locust", results["classes"], profile.slos["default"])
    (folder / "results.json").write_text(json.dumps(results, indent=2))
    return results
