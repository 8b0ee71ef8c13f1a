"""A load run's per-second history, read once from Locust's `<prefix>_stats_history.csv`.

Each row is one second of one request class (or of all of them, the
`Aggregated` row): its rates, its p95 and the failures counted so far. The
fault judge reads it second by second; nothing else parses Locust's columns.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

AGGREGATED = "Aggregated"


@dataclass(frozen=True)
class Second:
    at: int  # Unix time
    name: str  # the request class, or AGGREGATED
    requests_per_second: float
    failures_per_second: float
    p95_ms: float | None
    total_failures: int | None  # failures of the class so far (Locust leaves it empty on aggregated rows)


@dataclass(frozen=True)
class History:
    seconds: tuple[Second, ...]

    def of(self, name: str) -> list[Second]:
        """The class's seconds (AGGREGATED: every class together), in time order."""
        return sorted((second for second in self.seconds if second.name == name), key=lambda second: second.at)

    def span(self) -> tuple[float, float] | None:
        """(first second, one past the last) of the run, or None when nothing was recorded."""
        if not self.seconds:
            return None
        return min(second.at for second in self.seconds), max(second.at for second in self.seconds) + 1


def _number(text: str | None) -> float | None:
    return float(text) if text not in (None, "", "N/A") else None


def _second(row: dict[str, str | None]) -> Second | None:
    """One row, or None for a row Locust left unfinished (it was stopped while writing)."""
    try:
        failures = row.get("Total Failure Count")
        return Second(int(row["Timestamp"] or ""), row["Name"] or "", float(row["Requests/s"] or ""),
                      float(row["Failures/s"] or ""), _number(row["95%"]), int(failures) if failures else None)
    except (KeyError, TypeError, ValueError):
        return None


def read_history(prefix: Path) -> History:
    path = Path(f"{prefix}_stats_history.csv")
    if not path.exists():
        return History(())
    with path.open() as handle:
        return History(tuple(second for second in map(_second, csv.DictReader(handle)) if second is not None))
