"""Per-step figures of a load run: snapshots of Locust's merged statistics and the difference of two.

Pure functions (no Locust import, so that they can be tested without gevent):
a snapshot keeps every request class's counts and response-time histogram
(milliseconds, as Locust rounds them -> count), and the errors; a step's
figures are what grew between its two snapshots, its percentiles read from
the difference of the histograms.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from typing import Any


def percentile(times: Counter, share: float) -> int | None:
    """The response time that `share` of the requests in the histogram finished within."""
    total = sum(times.values())
    if not total:
        return None
    wanted, seen = share * total, 0
    for value in sorted(times):
        seen += times[value]
        if seen >= wanted:
            return value
    return max(times)


def snapshot(stats: Any) -> dict[str, Any]:
    """Counts and response-time histograms of every request class, and errors, as they stand now."""
    entries = {f"{method} {name}": {"method": method, "name": name, "requests": entry.num_requests,
                                      "failures": entry.num_failures, "times": Counter(entry.response_times)}
               for (name, method), entry in stats.entries.items()}
    errors = {f"{error.method} {error.name} {error.error}": (error.name, str(error.error), error.occurrences)
              for error in stats.errors.values()}
    return {"at": time.time(), "entries": entries, "errors": errors}


def difference(before: dict[str, Any], after: dict[str, Any], users: int, index: int) -> dict[str, Any]:
    """One step's figures: what happened between two snapshots."""
    seconds = max(after["at"] - before["at"], 1e-9)
    requests = {}
    for key, entry in after["entries"].items():
        old = before["entries"].get(key, {"requests": 0, "failures": 0, "times": Counter()})
        count = entry["requests"] - old["requests"]
        if count <= 0:
            continue
        times = entry["times"] - old["times"]
        requests[entry["name"]] = {
            "method": entry["method"], "requests": count, "failures": entry["failures"] - old["failures"],
            "rps": round(count / seconds, 3), **{f"p{p}": percentile(times, p / 100) for p in (50, 95, 99)},
        }
    errors: dict[str, dict[str, int]] = {}
    for key, (name, error, occurrences) in after["errors"].items():
        grown = occurrences - before["errors"].get(key, (name, error, 0))[2]
        if grown > 0:
            errors.setdefault(name, {})[error] = grown
    return {"index": index, "users": users, "start": before["at"], "end": after["at"], "seconds": round(seconds, 1),
            "requests": requests, "errors": errors}


STEADY_TOLERANCE = 0.10


def settled(counts: list[tuple[float, int]], since: float, now: float, tolerance: float = STEADY_TOLERANCE) -> bool:
    """Whether a step's throughput has settled: the request rates of the two halves of its window, read from
    (seconds, requests so far) samples, differ by at most `tolerance` of the first, or by no more than chance
    explains (one standard deviation of the difference of two Poisson rates)."""
    inside = [(at, count) for at, count in counts if since <= at <= now]
    if len(inside) < 3:
        return False
    (start, first), (middle, between), (end, last) = inside[0], inside[len(inside) // 2], inside[-1]
    if middle <= start or end <= middle:
        return False
    early, late = between - first, last - between
    rate_early, rate_late = early / (middle - start), late / (end - middle)
    chance = math.sqrt(early / (middle - start) ** 2 + late / (end - middle) ** 2)
    return abs(rate_late - rate_early) <= max(tolerance * rate_early, chance)
