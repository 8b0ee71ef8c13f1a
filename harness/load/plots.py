"""Plots of a load run (matplotlib, PNG): users and throughput, percentiles per class, errors, CPU per tier.

Read from Locust's full history (`locust_stats_history.csv`, one row per
second and request class) and the sampler's per-tier sums; written beside
them in the run's `load/` folder, where the HTML report shows them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

from harness.load.sampler import Samples  # noqa: E402

SIZE = (10, 4)


def _history(prefix: Path) -> list[dict[str, str]]:
    path = Path(f"{prefix}_stats_history.csv")
    if not path.exists():
        return []
    with path.open() as handle:
        return list(csv.DictReader(handle))


def _float(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def plot_all(prefix: Path, samples: Samples, folder: Path) -> list[Path]:
    """Every plot this run has data for; returns their files."""
    rows = _history(prefix)
    made = []
    if rows:
        start = min(int(row["Timestamp"]) for row in rows)
        made += [_throughput(rows, start, folder), _percentiles(rows, start, folder), _errors(rows, start, folder)]
    tiers = samples.per_tier()
    if tiers:
        made.append(_cpu(tiers, folder))
    return made


def _save(figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def _throughput(rows, start: int, folder: Path) -> Path:
    total = [row for row in rows if row["Name"] == "Aggregated"]
    seconds = [int(row["Timestamp"]) - start for row in total]
    figure, axis = plt.subplots(figsize=SIZE)
    axis.plot(seconds, [_float(row["Requests/s"]) or 0 for row in total], label="requests/s", color="tab:blue")
    axis.set_xlabel("seconds")
    axis.set_ylabel("requests per second")
    users = axis.twinx()
    users.plot(seconds, [_float(row["User Count"]) or 0 for row in total], label="users", color="tab:gray", ls="--")
    users.set_ylabel("users")
    axis.set_title("Users and requests per second")
    figure.legend(loc="upper left")
    return _save(figure, folder / "throughput.png")


def _percentiles(rows, start: int, folder: Path) -> Path:
    figure, axis = plt.subplots(figsize=SIZE)
    for name in sorted({row["Name"] for row in rows if row["Name"] != "Aggregated"}):
        mine = [row for row in rows if row["Name"] == name and _float(row["95%"]) is not None]
        if mine:
            axis.plot([int(row["Timestamp"]) - start for row in mine], [_float(row["95%"]) for row in mine], label=name)
    axis.set_xlabel("seconds")
    axis.set_ylabel("p95 over the last 10 s (ms)")
    axis.set_title("p95 response time per request class")
    axis.legend(fontsize="small", ncol=3)
    return _save(figure, folder / "percentiles.png")


def _errors(rows, start: int, folder: Path) -> Path:
    total = [row for row in rows if row["Name"] == "Aggregated"]
    figure, axis = plt.subplots(figsize=SIZE)
    axis.plot([int(row["Timestamp"]) - start for row in total], [_float(row["Failures/s"]) or 0 for row in total],
              color="tab:red")
    axis.set_xlabel("seconds")
    axis.set_ylabel("failures per second")
    axis.set_title("Failed requests")
    return _save(figure, folder / "errors.png")


def _cpu(tiers: dict[str, list[tuple[float, float, int]]], folder: Path) -> Path:
    start = min(rows[0][0] for rows in tiers.values() if rows)
    figure, axis = plt.subplots(figsize=SIZE)
    for role, rows in sorted(tiers.items()):
        axis.plot([at - start for at, _, _ in rows], [cpu for _, cpu, _ in rows], label=role)
    axis.set_xlabel("seconds")
    axis.set_ylabel("CPU, % of one core (sum of the tier's nodes)")
    axis.set_title("CPU per tier")
    axis.legend(fontsize="small", ncol=3)
    return _save(figure, folder / "cpu_per_tier.png")
