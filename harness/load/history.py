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


def read_history(prefix: Path) -> History:
    path = Path(f"{prefix}_stats_history.csv")
    if not path.exists():
        return History(())
    with path.open() as handle:
        return History(tuple(
            Second(int(row["Timestamp"]), row["Name"], float(row["Requests/s"]), float(row["Failures/s"]),
                   _number(row["95%"]), int(row["Total Failure Count"]) if row.get("Total Failure Count") else None)
            for row in csv.DictReader(handle)))
