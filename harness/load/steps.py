"""Per-step figures of a load run: snapshots of Locust's merged statistics and the difference of two.

Pure functions (no Locust import, so that they can be tested without gevent):
a snapshot keeps every request class's counts and response-time histogram
(milliseconds, as Locust rounds them -> count), and the errors; a step's
figures are what grew between its two snapshots, its percentiles read from
the difference of the histograms.
"""

from __future__ import annotations

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
