"""What an operator reads off the balancers and nodes: balancer-manager pools, /health, /metrics."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class PoolMember:
    url: str
    route: str
    status: str

    @property
    def up(self) -> bool:
        return self.status.startswith("Init Ok")


def balancer_pools(base_url: str, verify: bool | str = True) -> dict[str, list[PoolMember]]:
    """Pools and members as Apache's balancer-manager page lists them."""
    page = httpx.get(f"{base_url}/balancer-manager", timeout=10, verify=verify).text
    pools: dict[str, list[PoolMember]] = {}
    for name, table in re.findall(r"balancer://(\w+)</a>.*?</table>.*?<table[^>]*>(.*?)</table>", page, re.S):
        rows = re.findall(r"<tr>\s*<td><a[^>]*>(http://[^<]+)</a></td>\s*<td>([^<]*)</td>.*?<td>(Init[^<]*)</td>", table, re.S)
        pools[name] = [PoolMember(url, route, status.strip()) for url, route, status in rows]
    return pools


def node_health(base_url: str) -> dict:
    return httpx.get(f"{base_url}/health", timeout=10).json()


def node_metrics(base_url: str) -> str:
    return httpx.get(f"{base_url}/metrics", timeout=10).text
