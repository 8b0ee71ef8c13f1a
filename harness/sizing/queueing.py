"""A closed queueing network of the cluster's tiers, solved by exact mean value analysis (MVA).

Users think (`think_seconds`, a delay station) and then need CPU on each
tier in turn; a tier is a station with `servers` cores and a service demand
per request (CPU-seconds per request, from the utilisation law D = U / X).
A multi-core tier is replaced by Seidmann's approximation: a single queue
with the demand D / c and a delay of D (c - 1) / c. Exact MVA (Reiser and
Lavenberg) then gives, for every population n = 1..N, the throughput X(n),
the residence time at every station and the response time R(n).

Pure functions; no library of the field offers this in the pinned set, and
the recursion is short enough to be checked against closed forms in the
unit tests (the finite-source queue, M/M/1//N).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Station:
    name: str
    demand: float  # seconds of service per request (over all its visits)
    servers: int = 1  # cores; more than one is solved by Seidmann's approximation
    quota: float | None = None  # each server a container held to this many cores by CFS bandwidth control: MVA
    # sees it as `demand`, the simulation as a full-speed CPU that waits whenever its quota of a period is used

    def __post_init__(self) -> None:
        if self.demand < 0 or self.servers < 1:
            raise ValueError(f"station {self.name}: demand must be >= 0 and servers >= 1")
        if self.quota is not None and not 0 < self.quota <= 1:
            raise ValueError(f"station {self.name}: a quota is a share of one core, above 0 and at most 1")


@dataclass(frozen=True)
class Solution:
    users: int
    throughput: float  # requests per second
    response_seconds: float  # time from a request's start to its end, think time excluded
    residence: dict[str, float]  # seconds a request spends at each station
    utilisation: dict[str, float]  # busy share of each station's servers

    def bottleneck(self) -> str:
        return max(self.utilisation, key=self.utilisation.get)


def solve(stations: list[Station], think_seconds: float, users: int) -> list[Solution]:
    """Exact MVA for populations 1..`users`: one Solution per population."""
    if users < 1:
        raise ValueError("a closed network needs at least one user")
    if think_seconds < 0:
        raise ValueError("think time must be >= 0")
    queue = {station.name: 0.0 for station in stations}
    solutions = []
    for n in range(1, users + 1):
        residence = {}
        for station in stations:
            share = station.demand / station.servers
            fixed = station.demand - share  # Seidmann: the part of the demand that never queues
            residence[station.name] = fixed + share * (1 + queue[station.name])
        response = sum(residence.values())
        throughput = n / (think_seconds + response)
        for station in stations:
            share = station.demand / station.servers
            queue[station.name] = throughput * share * (1 + queue[station.name])
        solutions.append(Solution(n, throughput, response, residence,
                                  {s.name: throughput * s.demand / s.servers for s in stations}))
    return solutions


def bounds(stations: list[Station], think_seconds: float, users: int) -> tuple[float, float]:
    """Asymptotic bounds on throughput at `users`: (lower, upper), for checking a solution's sanity."""
    total = sum(station.demand for station in stations)
    slowest = max((station.demand / station.servers for station in stations), default=0.0)
    upper = min(users / (think_seconds + total), 1 / slowest if slowest else float("inf"))
    lower = users / (think_seconds + users * total)
    return lower, upper
