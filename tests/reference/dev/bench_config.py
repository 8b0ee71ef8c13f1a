"""Dev-only benchmark of one node: session-checked `GET /appsuite/api/config/<path>` (and optionally mail all).

Prints requests per second of a closed loop, then p50/p95 of an open loop at
half that rate. Pin the node to one core to compare with the target
(>= 400 req/s on one core, p95 <= 50 ms at half the rate), e.g.

    taskset -c 0 python -m oxref &
    taskset -c 1 python tests/reference/dev/bench_config.py http://127.0.0.1:18009 [seconds] [path] [open-loop rate]

Needs OX_MASTER_PASSWORD (it provisions its own context over SOAP) and aiohttp, zeep.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import sys
import time

import aiohttp
import zeep

BASE = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:18009").rstrip("/")
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
PATH = sys.argv[3] if len(sys.argv) > 3 else "config/language"
RATE = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0  # open-loop rate; default: half the closed-loop rate
WORKERS = 32
NS = "http://soap.admin.openexchange.com"


def provision() -> tuple[str, str, int]:
    master = {"login": os.environ.get("OX_MASTER_ADMIN", "oxadminmaster"), "password": os.environ["OX_MASTER_PASSWORD"]}
    client = zeep.Client(f"{BASE}/webservices/OXContextService?wsdl")
    service = client.create_service(f"{{{NS}}}OXContextServiceSoap11Binding", f"{BASE}/webservices/OXContextService")
    cid = 900_000 + secrets.randbelow(90_000)
    password = secrets.token_urlsafe(8)
    service.create(ctx={"id": cid, "name": f"bench{cid}"}, admin_user={"name": "oxadmin", "password": password},
                   auth=master)
    return f"oxadmin@bench{cid}", password, cid


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else float("nan")


async def main() -> None:
    login, password, cid = provision()
    connector = aiohttp.TCPConnector(limit=WORKERS)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(f"{BASE}/appsuite/api/login?action=login", data={"name": login, "password": password}) as r:
            session = (await r.json())["session"]
        url = f"{BASE}/appsuite/api/{PATH}"
        params = {"session": session}
        if PATH.startswith("mail"):
            params.update(action="all", folder="default0/INBOX", columns="600,607")

        async def one() -> float:
            started = time.perf_counter()
            async with http.get(url, params=params) as response:
                body = await response.json()
                if "error" in body:
                    raise RuntimeError(body)
            return time.perf_counter() - started

        for _ in range(50):
            await one()
        latencies: list[float] = []
        deadline = time.monotonic() + SECONDS

        async def worker() -> None:
            while time.monotonic() < deadline:
                latencies.append(await one())

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(WORKERS)))
        rate = len(latencies) / (time.monotonic() - started)
        print(f"closed loop, {WORKERS} workers: {rate:.0f} req/s, p50 {percentile(latencies, .5):.1f} ms, "
              f"p95 {percentile(latencies, .95):.1f} ms ({len(latencies)} requests)")

        half = RATE or rate / 2
        open_latencies: list[float] = []
        tasks = []
        started = time.monotonic()
        count = int(half * SECONDS)
        for index in range(count):
            delay = started + index / half - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one()))
        open_latencies = await asyncio.gather(*tasks)
        print(f"open loop at {half:.0f} req/s: p50 {percentile(open_latencies, .5):.1f} ms, "
              f"p95 {percentile(open_latencies, .95):.1f} ms, mean {statistics.mean(open_latencies) * 1000:.1f} ms")
    print(f"(context {cid} left for inspection; remove it with OXContextService.delete)")


if __name__ == "__main__":
    asyncio.run(main())
