"""The two kinds of checker, as Jepsen has them: judges of a recorded run, and checks of a cluster.

A `Checker` is a pure function of a `RecordedRun` (the history of a
workload, what was read back at the end, when the fault was injected and
healed) that owns its threshold and returns a `Finding`. A `ClusterCheck`
looks at the cluster as it is now (nodes, VIPs, replication) and returns the
problems it sees, each a sentence that names the component at fault.
Scenarios compose both kinds instead of one chain of ifs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from harness.checks.history import History


@dataclass(frozen=True)
class RecordedRun:
    history: History
    tag: str  # marks the values this run wrote
    injected_at: float
    healed_at: float
    final_values: dict[str, set[str]] = field(default_factory=dict)  # user -> values read back at the end
    final_mail: dict[str, set[str]] = field(default_factory=dict)  # user -> subjects in the inbox at the end
    final_uploads: dict[str, set[str]] = field(default_factory=dict)  # user -> uploads read back byte for byte
    final_sync: dict[str, set[str]] = field(default_factory=dict)  # calendar app -> event UIDs listed at the end


@dataclass(frozen=True)
class Finding:
    name: str  # e.g. "probe downtime"
    ok: bool
    value: float | None  # what was measured (seconds, a count), None when nothing could be
    limit: float | None  # the checker's threshold, None when it has none
    unit: str = ""
    problem: str = ""  # the sentence a person acts on, when not ok
    details: list[str] = field(default_factory=list)  # e.g. the values lost

    def shown(self) -> str:
        value = "never" if self.value is None else f"{self.value:g}{' ' + self.unit if self.unit else ''}"
        return value + (f" (limit {self.limit:g})" if self.limit is not None else "")


class Checker(Protocol):
    name: str

    def check(self, run: RecordedRun) -> Finding:
        """Judge the recorded run against this checker's own threshold."""


class ClusterCheck(Protocol):
    name: str

    def problems(self) -> list[str]:
        """What is wrong with the cluster now (empty: nothing)."""


def judge(checkers: list[Checker], run: RecordedRun) -> list[Finding]:
    return [checker.check(run) for checker in checkers]


def cluster_problems(checks: list[ClusterCheck]) -> list[str]:
    return [problem for check in checks for problem in check.problems()]
