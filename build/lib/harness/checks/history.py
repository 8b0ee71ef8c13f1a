"""Checkers over a recorded history: downtime, recovery, lost and unexpected writes, lost sessions.

Downtime is the longest window in which one user's operations of a kind
failed: from the start of the first failing operation to the end of the
last one before an operation of that user succeeded again. Lost writes are acknowledged writes missing
from the final read; unexpected values are read values that no write ever
attempted. Writes whose outcome is unknown may be there or not.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Operation:
    kind: str
    user: str
    start: float
    end: float
    outcome: str  # ok, fail, unknown
    route: str | None = None
    value: str | None = None
    detail: str = ""


@dataclass
class History:
    operations: list[Operation] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, operation: Operation) -> None:
        """A listener of the workload's `operation` event."""
        with self.lock:
            self.operations.append(operation)

    def of(self, *kinds: str) -> list[Operation]:
        with self.lock:
            return sorted((op for op in self.operations if op.kind in kinds), key=lambda op: op.start)


@dataclass(frozen=True)
class Window:
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def failing_windows(operations: list[Operation]) -> list[Window]:
    windows: list[Window] = []
    current: Window | None = None
    for op in sorted(operations, key=lambda o: o.start):
        if op.outcome == "ok":
            if current is not None:
                windows.append(current)
                current = None
        elif current is None:
            current = Window(op.start, op.end)
        else:
            current = Window(current.start, max(current.end, op.end))
    if current is not None:
        windows.append(current)
    return windows


def longest_downtime(history: History, kind: str) -> float:
    """The longest time one user's operations of `kind` kept failing (another user's success does not end it)."""
    operations = history.of(kind)
    users = {op.user for op in operations}
    return max((w.seconds for user in users for w in failing_windows([op for op in operations if op.user == user])),
               default=0.0)


def recovery_after(history: History, kind: str, healed_at: float) -> float | None:
    """Seconds from the heal until operations of `kind` succeed again for good (None: they never did)."""
    operations = history.of(kind)
    last_failure_end = max((op.end for op in operations if op.outcome != "ok"), default=None)
    later_ok = [op for op in operations if op.outcome == "ok" and (last_failure_end is None or op.start >= last_failure_end)]
    if not later_ok:
        return None
    return max(0.0, later_ok[0].end - healed_at)


@dataclass(frozen=True)
class WriteCheck:
    acknowledged: int
    unknown: int
    lost: list[str]
    unexpected: list[str]


def check_writes(history: History, final: dict[str, set[str]], tag: str, kind: str = "write") -> WriteCheck:
    """`final`: values read per user at the end; `tag` marks the values this run wrote (as operations of `kind`)."""
    writes = history.of(kind)
    attempted = {op.value for op in writes if op.value}
    lost, unexpected = [], []
    for user, values in final.items():
        acknowledged = {op.value for op in writes if op.user == user and op.outcome == "ok"}
        lost += sorted(acknowledged - values)
        unexpected += sorted(v for v in values if v.startswith(f"oxh-{tag}-{user}-") and v not in attempted)
    return WriteCheck(
        acknowledged=sum(op.outcome == "ok" for op in writes),
        unknown=sum(op.outcome == "unknown" for op in writes),
        lost=lost,
        unexpected=unexpected,
    )


def lost_sessions(history: History) -> int:
    """Calls answered SES-0203: a user thrown out of a session that should have survived."""
    return sum(op.detail.startswith("SES-0203") for op in history.operations)
