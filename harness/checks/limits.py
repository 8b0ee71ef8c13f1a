"""Checkers of a recorded run that each own a threshold: outages, recovery, lost and invented data,
lost sessions. `checkers_for(thresholds)` composes the set a failover scenario is judged by."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from harness.checks.checker import Checker, Finding, RecordedRun
from harness.checks.history import check_writes, longest_downtime, lost_sessions, recovery_after


def within(name: str, value: float, limit: float | None, unit: str, problem: str, details=()) -> Finding:
    """A finding that is ok when `value` is at most `limit` (or there is no limit); `problem` says it otherwise."""
    ok = limit is None or value <= limit
    return Finding(name, ok, value, limit, unit, "" if ok else problem, list(details))


@dataclass(frozen=True)
class SecondsPerKind:
    """A figure in seconds over the operations of one `kind`, at most `limit` (None: measured only)."""

    kind: str
    limit: float | None
    label: str
    figure: ClassVar[str] = ""

    @property
    def name(self) -> str:
        return f"{self.label} {self.figure}"

    def seconds(self, run: RecordedRun) -> float:
        raise NotImplementedError

    def problem(self, seconds: float) -> str:
        raise NotImplementedError

    def check(self, run: RecordedRun) -> Finding:
        seconds = round(self.seconds(run), 2)
        return within(self.name, seconds, self.limit, "s", self.problem(seconds))


class Outage(SecondsPerKind):
    """The longest time one user's operations of `kind` kept failing."""

    figure = "downtime"

    def seconds(self, run: RecordedRun) -> float:
        return longest_downtime(run.history, self.kind)

    def problem(self, seconds: float) -> str:
        return f"{self.label} failed for {seconds:.1f} s (limit {self.limit or 0:g} s)"


class SlowestCall(SecondsPerKind):
    """The longest single operation of `kind` (a user waiting 8 s for an answer that then comes)."""

    figure = "slowest call"

    def seconds(self, run: RecordedRun) -> float:
        return max((op.end - op.start for op in run.history.of(self.kind)), default=0.0)

    def problem(self, seconds: float) -> str:
        return f"a {self.label} call took {seconds:.1f} s (limit {self.limit or 0:g} s)"


@dataclass(frozen=True)
class Recovery:
    """The probe answers again for good at most `limit` seconds after the heal."""

    limit: float
    name: str = "recovery"

    def check(self, run: RecordedRun) -> Finding:
        seconds = recovery_after(run.history, "probe", run.healed_at)
        if seconds is None:
            return Finding(self.name, False, None, self.limit, "s", "the probe never succeeded again after the heal")
        seconds = round(seconds, 2)
        return within(self.name, seconds, self.limit, "s",
                      f"the probe recovered {seconds:.1f} s after the heal (limit {self.limit:g} s)")


# Per kind of write: the finding's name, the field of the run that holds what was read back, what a loss is.
LOSSES = {
    "write": ("lost writes", "final_values", "acknowledged writes lost"),
    "mail": ("lost mail", "final_mail", "sent mails never arrived"),
    "upload": ("lost uploads", "final_uploads", "acknowledged uploads lost or changed"),
    "davwrite": ("lost DAV changes", "final_sync", "acknowledged CalDAV changes missing from the calendar"),
}


def final_reads(run: RecordedRun, kind: str) -> dict[str, set[str]]:
    """Per user, what was read back at the end of the writes of `kind`."""
    return getattr(run, LOSSES[kind][1])


@dataclass(frozen=True)
class NoInventedValues:
    """No value is read that no write ever attempted."""

    name: str = "invented values"

    def check(self, run: RecordedRun) -> Finding:
        invented = [value for kind in ("write", "mail", "davwrite")
                    for value in check_writes(run.history, final_reads(run, kind), run.tag, kind=kind).unexpected]
        return within(self.name, len(invented), 0, "", f"values read that were never written: {invented[:5]}", invented)


@dataclass(frozen=True)
class LostWrites:
    """Acknowledged writes of `kind` missing from what was read back at the end, at most `limit`."""

    limit: int
    kind: str = "write"

    @property
    def name(self) -> str:
        return LOSSES[self.kind][0]

    def check(self, run: RecordedRun) -> Finding:
        result = check_writes(run.history, final_reads(run, self.kind), run.tag, kind=self.kind)
        what = LOSSES[self.kind][2]
        return within(self.name, len(result.lost), self.limit, f"of {result.acknowledged}",
                      f"{len(result.lost)} of {result.acknowledged} {what}: {result.lost[:5]}", result.lost)


@dataclass(frozen=True)
class LostSessions:
    """Calls answered SES-0203 (a user thrown out of a session that should have survived), at most `limit`."""

    limit: int
    name: str = "lost sessions"

    def check(self, run: RecordedRun) -> Finding:
        count = lost_sessions(run.history)
        calls = sum(op.kind != "probe" for op in run.history.operations)
        return within(self.name, count, self.limit, f"of {calls} calls",
                      f"{count} of {calls} calls answered SES-0203 (sessions lost)")


@dataclass(frozen=True)
class ExercisedDuringFault:
    """Operations of `kind` were made while the fault held: a scenario that promises them is not judged by
    their absence."""

    kind: str
    label: str

    @property
    def name(self) -> str:
        return f"{self.label} during the fault"

    def check(self, run: RecordedRun) -> Finding:
        during = [op for op in run.history.of(self.kind) if run.injected_at <= op.start <= run.healed_at]
        succeeded = sum(op.outcome == "ok" for op in during)
        return Finding(self.name, bool(during), len(during), None, f"made, {succeeded} succeeded",
                       "" if during else f"no {self.label} were made while the fault held, so the scenario cannot say "
                                         f"how they fare under it")


def checkers_for(thresholds, exercised: tuple[str, ...] = ()) -> list[Checker]:
    """The checkers of a failover scenario, each with its threshold (harness.scenario.named.Thresholds);
    `exercised`: the kinds of operation its text promises while the fault holds; sync clients (davwrite) are
    judged like browser users where a scenario has them."""
    labels = {"upload": "uploads", "mailread": "mail reads", "mail": "mail sent", "write": "writes",
              "davwrite": "DAV writes"}
    sync = [Outage("davwrite", thresholds.max_write_downtime, "DAV writes"),
            Outage("davread", thresholds.max_write_downtime, "DAV reads"),
            LostWrites(thresholds.max_lost_writes, kind="davwrite")] if "davwrite" in exercised else []
    return [
        *sync,
        *(ExercisedDuringFault(kind, labels.get(kind, kind)) for kind in exercised),
        Outage("probe", thresholds.max_probe_downtime, "probe"),
        Outage("write", thresholds.max_write_downtime, "writes"),
        Outage("upload", thresholds.max_upload_downtime, "uploads"),
        Outage("mail", thresholds.max_mail_downtime, "mail"),
        Outage("mailread", thresholds.max_mail_downtime, "mail reads"),
        SlowestCall("probe", None, "probe"),
        SlowestCall("write", None, "writes"),
        Recovery(thresholds.max_recovery),
        LostWrites(thresholds.max_lost_writes),
        LostWrites(thresholds.max_lost_writes, kind="mail"),
        LostWrites(thresholds.max_lost_writes, kind="upload"),
        NoInventedValues(),
        LostSessions(thresholds.max_lost_sessions),
    ]
