"""A failover scenario: users work, a fault is injected and healed, checkers judge the history.

The fault is healed at the end whatever happens (a failing check, an
exception, Ctrl-C), and the cluster is waited for until it is healthy again.
The cluster itself is checked before the fault and after the heal (every
VIP on one node, replication running and converged); a scenario may also
write on every faulted database master directly, which must show up on all
masters after the heal. The result keeps the whole timeline for the report's
plot.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from harness.checks.cluster_state import marker_problems, separated
from harness.checks.history import check_writes, longest_downtime, lost_sessions, recovery_after
from harness.faults.catalogue import Fault
from harness.load.workload import Account, Workload

BASELINE_SECONDS = 2.0
SETTLE_SECONDS = 3.0


@dataclass(frozen=True)
class Thresholds:
    """What a scenario may cost users; a target file may set its own."""

    max_probe_downtime: float = 4.0
    max_write_downtime: float = 10.0
    max_mail_downtime: float | None = 4.0  # None: mail may fail for as long as the fault lasts
    max_recovery: float = 15.0
    max_lost_writes: int = 0
    max_lost_sessions: int = 0


@dataclass
class ScenarioResult:
    name: str
    fault: str
    nodes: list[str]
    injected_at: float
    healed_at: float
    probe_downtime: float
    write_downtime: float
    mail_downtime: float
    recovery: float | None
    acknowledged_writes: int
    unknown_writes: int
    lost_writes: list[str]
    unexpected_values: list[str]
    acknowledged_mail: int
    lost_mail: list[str]
    lost_sessions: int
    thresholds: Thresholds
    note: str = ""  # what the thresholds assume, where a scenario departs from the general rule
    problems_before: list[str] = field(default_factory=list)
    problems_after: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    timeline: list[dict] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.violations

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"failover-{self.name}.json"
        data = asdict(self)
        data["passed"] = self.passed
        path.write_text(json.dumps(data, indent=1))
        return path


def run_scenario(name: str, fault: Fault, driver, base_url: str, accounts: list[Account], *, hold: float,
                 thresholds: Thresholds, verify: bool | str = True, require_healthy: bool = True,
                 write_on_each_side: bool = False, note: str = "") -> ScenarioResult:
    """Run one scenario; `require_healthy=False` lets a proof start from a cluster broken on purpose.

    `write_on_each_side`: while the fault holds, write a marker on each faulted
    database master directly (a split brain's writes on both sides)."""
    if require_healthy:
        driver.wait_healthy(driver.all_nodes())
    problems_before = driver.problems()
    if require_healthy and problems_before:
        raise ClusterNotHealthy("the cluster is not healthy, so no fault was injected: " + "; ".join(problems_before))
    workload = Workload(base_url, accounts, verify=verify)
    injected, markers, partitioned = None, [], True
    try:
        with workload:
            time.sleep(BASELINE_SECONDS)
            injected_at = time.monotonic()
            injected = driver.inject(fault)
            if write_on_each_side:
                markers = driver.write_markers(injected.nodes, workload.tag)
            time.sleep(hold)
            partitioned = not markers or separated(driver.read_markers(), markers)
            healed_at = time.monotonic()
            driver.heal(injected)
            _settle(workload.history, thresholds.max_recovery)
        final = workload.final_values()
        final_mail = workload.final_mail()
    finally:
        if injected is not None:
            driver.heal(injected)
        workload.close()
    problems_after = driver.problems()
    if markers:
        problems_after += marker_problems(driver.read_markers(), markers)
    if not partitioned:
        problems_after.append("the fault did not separate the masters: each held the other's write while it lasted")
    history = workload.history
    writes = check_writes(history, final, workload.tag)
    mail = check_writes(history, final_mail, workload.tag, kind="mail")
    result = ScenarioResult(
        name=name,
        fault=fault.describe(),
        nodes=injected.nodes,
        injected_at=injected_at,
        healed_at=healed_at,
        probe_downtime=longest_downtime(history, "probe"),
        write_downtime=longest_downtime(history, "write"),
        mail_downtime=longest_downtime(history, "mail"),
        recovery=recovery_after(history, "probe", healed_at),
        acknowledged_writes=writes.acknowledged,
        unknown_writes=writes.unknown,
        lost_writes=writes.lost,
        unexpected_values=writes.unexpected + mail.unexpected,
        acknowledged_mail=mail.acknowledged,
        lost_mail=mail.lost,
        lost_sessions=lost_sessions(history),
        thresholds=thresholds,
        note=note,
        problems_before=problems_before,
        problems_after=problems_after,
        timeline=[
            {"kind": op.kind, "user": op.user, "start": op.start - injected_at, "seconds": op.end - op.start,
             "outcome": op.outcome, "route": op.route, "detail": op.detail}
            for op in sorted(history.operations, key=lambda o: o.start)
        ],
    )
    result.violations = judge(result)
    return result


class ClusterNotHealthy(RuntimeError):
    """The cluster was broken before the fault: injecting one could only make things worse."""


def _settle(history, max_recovery: float) -> None:
    """Let users work on after the heal until the probe has answered for SETTLE_SECONDS in a row,
    or the recovery limit (and the settling time) has passed."""
    healed = time.monotonic()
    while time.monotonic() - healed < max_recovery + SETTLE_SECONDS:
        time.sleep(0.5)
        probes = history.of("probe")
        failures = [op.end for op in probes if op.outcome != "ok"]
        quiet_since = max([healed, *failures])
        if time.monotonic() - quiet_since >= SETTLE_SECONDS and probes and probes[-1].outcome == "ok":
            return


def judge(result: ScenarioResult) -> list[str]:
    limits = result.thresholds
    violations = []
    if result.probe_downtime > limits.max_probe_downtime:
        violations.append(f"probe failed for {result.probe_downtime:.1f} s (limit {limits.max_probe_downtime:g} s)")
    if result.write_downtime > limits.max_write_downtime:
        violations.append(f"writes failed for {result.write_downtime:.1f} s (limit {limits.max_write_downtime:g} s)")
    if limits.max_mail_downtime is not None and result.mail_downtime > limits.max_mail_downtime:
        violations.append(f"mail could not be sent for {result.mail_downtime:.1f} s (limit {limits.max_mail_downtime:g} s)")
    if len(result.lost_writes) > limits.max_lost_writes:
        violations.append(f"{len(result.lost_writes)} acknowledged write(s) lost: {result.lost_writes[:5]}")
    if len(result.lost_mail) > limits.max_lost_writes:
        violations.append(f"{len(result.lost_mail)} sent mail(s) never arrived: {result.lost_mail[:5]}")
    if result.unexpected_values:
        violations.append(f"values read that were never written: {result.unexpected_values[:5]}")
    if result.lost_sessions > limits.max_lost_sessions:
        violations.append(f"{result.lost_sessions} call(s) answered SES-0203 (sessions lost)")
    if result.recovery is None:
        violations.append("the probe never succeeded again after the heal")
    elif result.recovery > limits.max_recovery:
        violations.append(f"the probe recovered {result.recovery:.1f} s after the heal (limit {limits.max_recovery:g} s)")
    violations += [f"before the fault: {problem}" for problem in result.problems_before]
    violations += [f"after the heal: {problem}" for problem in result.problems_after]
    return violations
