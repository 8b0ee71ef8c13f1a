"""The closed queueing network of harness.sizing.queueing, simulated event by event for response-time percentiles.

Mean value analysis gives means; every SLO is a p95. The simulation (simpy)
runs the same network: each user thinks for an exponential time with the
mean `think_seconds`, then sends a request of one class, which waits for and
holds one server of each station in turn for an exponential time with the
mean of the station's demand times the class's `scale`, and then spends the
fixed `delay_seconds` (the network and whatever else the CPU model does not
see). A station with a CPU quota is a set of containers, each user pinned to
one as sticky sessions pin them: a request runs at a full core's speed
while its container has quota left in the current 100 ms period, as under
CFS bandwidth control, and waits for the next period when it has none, so a
lone request is as fast as on a free core and a busy container is held to
its quota. The run is bounded by a count of requests; the first tenth is
warm-up and not counted. The same seed gives the same figures.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from statistics import mean

import numpy as np
import simpy

from harness.sizing.queueing import Station

WARM_UP_SHARE = 0.1
CFS_PERIOD = 0.1  # seconds; the kernel's default cpu.cfs_period_us
EPSILON = 1e-9


@dataclass(frozen=True)
class RequestClass:
    name: str
    weight: float  # share of the requests
    scale: float = 1.0  # demand at every station relative to the mean request's


@dataclass
class Simulated:
    users: int
    requests: int  # counted after the warm-up
    throughput: float  # requests per second
    response_seconds: dict[str, list[float]] = field(repr=False, default_factory=dict)  # per class

    def mean_response(self, name: str | None = None) -> float:
        return mean(self._times(name))

    def p95(self, name: str | None = None) -> float:
        return float(np.percentile(self._times(name), 95))

    def _times(self, name: str | None) -> list[float]:
        times = self.response_seconds.get(name, []) if name else [t for ts in self.response_seconds.values() for t in ts]
        if not times:
            raise ValueError(f"no request of class {name!r} completed in the simulation")
        return times


def simulate(stations: list[Station], think_seconds: float, users: int, delay_seconds: float = 0.0,
             classes: list[RequestClass] | None = None, requests: int = 10_000, seed: int = 1) -> Simulated:
    """Run the network with `users` until `requests` requests have completed."""
    if users < 1 or requests < 10:
        raise ValueError("a simulation needs at least one user and ten requests")
    if think_seconds < 0 or delay_seconds < 0:
        raise ValueError("think time and delay must be >= 0")
    kinds = classes or [RequestClass("request", 1.0)]
    if any(kind.weight < 0 or kind.scale < 0 for kind in kinds) or sum(kind.weight for kind in kinds) <= 0:
        raise ValueError("request classes need weights and scales >= 0, and some weight")
    rng = random.Random(seed)
    env = simpy.Environment()
    servers = {station.name: simpy.Resource(env, capacity=station.servers) for station in stations
               if station.quota is None}
    containers = {station.name: [_Container(env, station.quota) for _ in range(station.servers)]
                  for station in stations if station.quota is not None}
    warm_up = int(requests * WARM_UP_SHARE)
    done = {"count": 0, "since": None}
    times: dict[str, list[float]] = {kind.name: [] for kind in kinds}
    finished = env.event()

    def user(number: int):
        while not finished.triggered:
            if think_seconds:
                yield env.timeout(rng.expovariate(1 / think_seconds))
            kind = rng.choices(kinds, weights=[k.weight for k in kinds])[0]
            started = env.now
            for station in stations:
                if station.demand <= 0 or kind.scale <= 0:
                    continue
                service = rng.expovariate(1 / (station.demand * kind.scale))
                if station.quota is None:
                    with servers[station.name].request() as held:
                        yield held
                        yield env.timeout(service)
                else:
                    pinned = containers[station.name][number % station.servers]
                    yield from pinned.run(service * station.quota)
            if delay_seconds:
                yield env.timeout(delay_seconds)
            done["count"] += 1
            if done["count"] == warm_up:
                done["since"] = env.now
            elif done["count"] > warm_up:
                times[kind.name].append(env.now - started)
                if done["count"] == requests and not finished.triggered:
                    finished.succeed()

    for number in range(users):
        env.process(user(number))
    env.run(until=finished)
    counted = requests - warm_up
    span = env.now - (done["since"] or 0.0)
    return Simulated(users, counted, counted / span if span > 0 else float("inf"),
                     {name: found for name, found in times.items() if found})


class _Container:
    """One container under a CFS quota: requests in turn, each at full speed while the period's quota lasts."""

    def __init__(self, env: simpy.Environment, quota: float):
        self.env, self.quota = env, quota
        self.cpu = simpy.Resource(env, capacity=1)
        self.period_end, self.used = 0.0, 0.0

    def run(self, work: float):
        with self.cpu.request() as held:
            yield held
            while work > EPSILON:
                now = self.env.now
                if now >= self.period_end - EPSILON:
                    self.period_end = (math.floor(now / CFS_PERIOD + EPSILON) + 1) * CFS_PERIOD
                    self.used = 0.0
                left = self.quota * CFS_PERIOD - self.used
                if left <= EPSILON:
                    yield self.env.timeout(self.period_end - now)
                    continue
                slice_ = min(work, left, self.period_end - now)
                yield self.env.timeout(slice_)
                self.used += slice_
                work -= slice_
