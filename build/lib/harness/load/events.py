"""The events a workload fires, as Locust has them: hooks that the history, live stats and reports
listen to, so the generator does not know who keeps what."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Callable


class EventHook:
    """Listeners called in order with the keyword arguments of each `fire`."""

    def __init__(self) -> None:
        self._listeners: list[Callable[..., None]] = []

    def add_listener(self, listener: Callable[..., None]) -> Callable[..., None]:
        self._listeners.append(listener)
        return listener

    def remove_listener(self, listener: Callable[..., None]) -> None:
        self._listeners.remove(listener)

    def fire(self, **kwargs: object) -> None:
        for listener in list(self._listeners):
            listener(**kwargs)


class WorkloadEvents:
    """`operation(operation=Operation)` after every call a simulated user or the probe made."""

    def __init__(self) -> None:
        self.operation = EventHook()


class LiveStats:
    """Counts of operations per kind and outcome while a workload runs, for progress lines."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()

    def record(self, operation) -> None:
        with self.lock:
            self.counts[(operation.kind, operation.outcome)] += 1

    def line(self) -> str:
        with self.lock:
            kinds = sorted({kind for kind, _ in self.counts})
            parts = []
            for kind in kinds:
                ok, failed = self.counts[(kind, "ok")], self.counts[(kind, "fail")] + self.counts[(kind, "unknown")]
                parts.append(f"{kind} {ok} ok" + (f" / {failed} failed" if failed else ""))
        return ", ".join(parts) or "no operation yet"
