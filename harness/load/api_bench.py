"""Throughput and latency of single OX HTTP API calls through the balancer.

A closed loop of concurrent workers (asyncio + httpx) for the saturation
figure, then an open loop at a fixed rate (half of what was reached) for the
latency figure, each with one logged-in session. Requests are pinned to one
node with its JSESSIONID route, or spread over the pool's nodes.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from harness.clients.ox_http import OXClient


@dataclass
class Result:
    label: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


@dataclass(frozen=True)
class BenchedCall:
    """The API call a bench repeats, as one user."""

    base_url: str
    login: str
    password: str
    path: str
    params: dict[str, str]


def _cookies(client: OXClient) -> dict[str, str]:
    return {cookie.name: cookie.value for cookie in client.http.cookies.jar if cookie.name != "JSESSIONID"}


async def _timed_get(http: httpx.AsyncClient, call: BenchedCall, session_id: str, jar: dict,
                     latencies: list[float]) -> bool:
    """One measured call; True when it answered 200 without an OX error."""
    started = time.monotonic()
    try:
        response = await http.get(call.path, params={**call.params, "session": session_id}, cookies=jar)
        ok = response.status_code == 200 and b'"error"' not in response.content[:200]
    except httpx.HTTPError:
        ok = False
    latencies.append(time.monotonic() - started)
    return ok


async def _closed_loop(call: BenchedCall, session_id: str, cookies: dict, routes: list[str], workers: int,
                       seconds: float) -> Result:
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)

    async def worker(index: int, http: httpx.AsyncClient) -> None:
        nonlocal errors
        jar = {**cookies, "JSESSIONID": f"{index}.{routes[index % len(routes)]}"}
        while time.monotonic() < deadline:
            errors += not await _timed_get(http, call, session_id, jar, latencies)

    started = time.monotonic()
    async with httpx.AsyncClient(base_url=call.base_url, limits=limits, timeout=10) as http:
        await asyncio.gather(*(worker(i, http) for i in range(workers)))
    return Result("", len(latencies), errors, time.monotonic() - started, latencies)


async def _open_loop(call: BenchedCall, session_id: str, cookies: dict, routes: list[str], rate: float,
                     seconds: float) -> Result:
    latencies: list[float] = []
    errors = 0
    count = int(rate * seconds)

    async def one(index: int, http: httpx.AsyncClient) -> None:
        nonlocal errors
        await asyncio.sleep(index / rate)
        jar = {**cookies, "JSESSIONID": f"{index}.{routes[index % len(routes)]}"}
        errors += not await _timed_get(http, call, session_id, jar, latencies)

    started = time.monotonic()
    async with httpx.AsyncClient(base_url=call.base_url, timeout=10,
                                 limits=httpx.Limits(max_connections=200)) as http:
        await asyncio.gather(*(one(i, http) for i in range(count)))
    return Result("", len(latencies), errors, time.monotonic() - started, latencies)


def measure(call: BenchedCall, routes: list[str], workers: int = 16, seconds: float = 10.0) -> tuple[Result, Result]:
    """Saturation (closed loop) and latency at half that rate (open loop)."""
    with OXClient(call.base_url) as client:
        client.pin_route(routes[0])
        session = client.login(call.login, call.password)
        cookies = _cookies(client)
        # Warm the node's caches (session, folders) before measuring.
        client.http.get(call.path, params={**call.params, "session": session.id})
        saturated = asyncio.run(_closed_loop(call, session.id, cookies, routes, workers, seconds))
        paced = asyncio.run(_open_loop(call, session.id, cookies, routes, max(saturated.rate / 2, 1), seconds))
    return saturated, paced
