"""A failover scenario: users work, a fault is injected and healed, checkers judge the history.

The cluster is checked before the fault (a fault on a broken cluster could
only make things worse, so none is injected) and after the heal (every node
healthy, each VIP on one node, replication running and converged). The fault
is healed at the end whatever happens (a failing check, an exception,
Ctrl-C). Where a scenario says so, every measured session is signed in on
the node the fault hits, so the result does not depend on how logins were
spread; a scenario may also write on every faulted database master directly,
which must show up on all masters after the heal. The result keeps the whole
timeline for the report's plot and its figures for release-over-release
comparison.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from harness.checks.checker import ClusterCheck, Finding, RecordedRun, cluster_problems, judge
from harness.checks.cluster_state import marker_problems, separated, wait_until_healthy
from harness.checks.limits import checkers_for
from harness.faults.driver import FaultDriver
from harness.faults.markers import read_markers, write_markers
from harness.load.events import LiveStats
from harness.load.workload import Account, Workload
from harness.scenario.named import NamedScenario, Thresholds
from harness.scenario.window import FaultWindow
from harness.wait import last_value

BASELINE_SECONDS = 2.0
SETTLE_SECONDS = 3.0
PROGRESS_EVERY = 2.0
Progress = Callable[[str], None]


class ClusterNotHealthy(RuntimeError):
    """The cluster was broken before the fault: injecting one could only make things worse."""


@dataclass
class ScenarioResult:
    name: str
    requirement: str
    fault: str
    nodes: list[str]
    route: str | None  # the route every measured session was signed in on, where the scenario pins them
    injected_at: float
    healed_at: float
    thresholds: Thresholds
    findings: list[Finding]
    note: str = ""  # what the thresholds assume, where a scenario departs from the general rule
    problems_before: list[str] = field(default_factory=list)
    problems_after: list[str] = field(default_factory=list)
    timeline: list[dict] = field(default_factory=list)
    took_effect: list[str] = field(default_factory=list)  # what was measured in the cluster to prove the fault
    not_in_effect: list[str] = field(default_factory=list)  # why the fault did not take effect

    @property
    def violations(self) -> list[str]:
        return ([f"the fault did not take effect, so users were not judged under it: {problem}"
                 for problem in self.not_in_effect]
                + [finding.problem for finding in self.findings if not finding.ok]
                + [f"before the fault: {problem}" for problem in self.problems_before]
                + [f"after the heal: {problem}" for problem in self.problems_after])

    @property
    def passed(self) -> bool:
        return not self.violations

    def finding(self, name: str) -> Finding | None:
        return next((finding for finding in self.findings if finding.name == name), None)

    def figures(self) -> list[dict]:
        """Measured values for the report and for release-over-release comparison (lower is better)."""
        return [{"name": f"failover {self.name}: {f.name}", "value": f.value, "unit": f.unit.split(" ")[0] or "",
                 "better": "lower"} for f in self.findings
                if f.value is not None and not f.name.endswith("during the fault")]

    def summary(self) -> str:
        shown = "; ".join(f"{f.name} {f.shown()}" for f in self.findings if f.value)
        return f"{self.fault} on {', '.join(self.nodes)}: {shown or 'no outage, nothing lost'}"

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"failover-{self.name}.json"
        data = asdict(self)
        data.update(passed=self.passed, violations=self.violations)
        path.write_text(json.dumps(data, indent=1))
        return path


def run_scenario(name: str, scenario: NamedScenario, driver: FaultDriver, checks: list[ClusterCheck],
                 base_url: str, accounts: list[Account], *, thresholds: Thresholds, verify: bool | str = True,
                 require_healthy: bool = True, note: str = "", progress: Progress | None = None) -> ScenarioResult:
    """Run one scenario; `require_healthy=False` lets a proof start from a cluster broken on purpose."""
    say = progress or (lambda line: None)
    access = driver.access
    if require_healthy:
        say("waiting until every node is healthy")
        try:
            wait_until_healthy(access, access.layout.names())
        except TimeoutError as exc:
            raise ClusterNotHealthy(f"the cluster is not healthy, so no fault was injected: {exc}") from None
    problems_before = cluster_problems(checks)
    if require_healthy and problems_before:
        raise ClusterNotHealthy("the cluster is not healthy, so no fault was injected: " + "; ".join(problems_before))
    hit = set(driver.nodes(scenario.fault)) if scenario.sessions_on_faulted_node or scenario.sync_clients else set()
    route = _routes(access.layout, "oxcluster", hit)[0] if scenario.sessions_on_faulted_node else None
    # Calendar apps sync through the sync member the fault hits and are read back through one it spares.
    sync_route, sync_read_route = (_routes(access.layout, "oxcluster_sync", hit) if scenario.sync_clients
                                   else (None, None))
    workload = Workload(base_url, accounts, verify=verify, route=route, sync=scenario.sync_clients,
                        sync_route=sync_route, sync_read_route=sync_read_route)
    stats = LiveStats()
    workload.events.operation.add_listener(stats.record)
    window = FaultWindow(driver, scenario.fault)
    markers, partitioned, problems_after = [], True, []
    try:
        with workload:
            time.sleep(BASELINE_SECONDS)
            with window:
                say(f"injected: {scenario.fault.describe()} ({', '.join(window.nodes)})"
                    + (f"; every session on route {route}" if route else ""))
                for line in window.injected.took_effect + window.injected.not_in_effect:
                    say(f"fault in effect? {line}")
                if scenario.write_on_each_side:
                    markers = write_markers(access, window.nodes, workload.tag)
                _hold(scenario.hold, say, stats)
                partitioned = not markers or separated(read_markers(access), markers)
            say(f"healed; waiting until {', '.join(window.nodes)} are healthy again")
            try:
                wait_until_healthy(access, window.nodes)
            except TimeoutError as exc:
                problems_after.append(str(exc))
            _settle(workload.history, thresholds.max_recovery)
        final, final_mail, final_uploads = workload.final_values(), workload.final_mail(), workload.final_uploads()
        final_sync = workload.final_sync_events()
    finally:
        window.heal()
        workload.close()
    problems_after = window.heal_failures + problems_after + cluster_problems(checks)
    if markers:
        problems_after += marker_problems(read_markers(access), markers)
    if not partitioned:
        problems_after.append("the fault did not separate the masters: each held the other's write while it lasted")
    run = RecordedRun(workload.history, workload.tag, window.injected_at, window.healed_at, final, final_mail,
                      final_uploads, final_sync)
    return ScenarioResult(
        name=name, requirement=scenario.requirement(name), fault=scenario.fault.describe(), nodes=window.nodes,
        route=route, injected_at=window.injected_at, healed_at=window.healed_at, thresholds=thresholds,
        findings=judge(checkers_for(thresholds, scenario.exercised), run),
        note=" ".join(filter(None, [note or scenario.why, window.injected.note if window.injected else ""])),
        problems_before=problems_before, problems_after=problems_after,
        took_effect=list(window.injected.took_effect) if window.injected else [],
        not_in_effect=list(window.injected.not_in_effect) if window.injected else ["the fault was never injected"],
        timeline=[{"kind": op.kind, "user": op.user, "start": op.start - window.injected_at,
                   "seconds": op.end - op.start, "outcome": op.outcome, "route": op.route, "detail": op.detail}
                  for op in sorted(workload.history.operations, key=lambda o: o.start)],
    )


def _routes(layout, pool: str, hit: set[str]) -> tuple[str | None, str | None]:
    """(the route of the first member of `pool` the fault hits, the route of the first one it spares)."""
    members = [node for node in layout.pool_members(pool) if node.route]
    return (next((node.route for node in members if node.name in hit), None),
            next((node.route for node in members if node.name not in hit), None))


def _hold(seconds: float, say: Progress, stats: LiveStats) -> None:
    held = 0.0
    while held < seconds:
        step = min(PROGRESS_EVERY, seconds - held)
        time.sleep(step)
        held += step
        say(f"holding the fault {held:.0f}/{seconds:g} s: {stats.line()}")


def _settle(history, max_recovery: float) -> None:
    """Let users work on after the heal until the probe has answered for SETTLE_SECONDS in a row,
    or the recovery limit (and the settling time) has passed."""
    healed = time.monotonic()

    def quiet() -> bool:
        probes = history.of("probe")
        quiet_since = max([healed, *(op.end for op in probes if op.outcome != "ok")])
        return time.monotonic() - quiet_since >= SETTLE_SECONDS and bool(probes) and probes[-1].outcome == "ok"

    last_value(quiet, bool, timeout=max_recovery + SETTLE_SECONDS)
