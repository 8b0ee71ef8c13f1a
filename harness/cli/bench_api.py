"""`oxh bench-api`: requests per second and p50/p95 latency of API calls through the balancer VIP.

Provisions a throw-away context and user over SOAP, measures a
session-checked `config` GET and a mail `all`, pinned to one node and spread
over the pool, and removes the context again. Figures are printed, never
asserted.
"""

from __future__ import annotations

import secrets

from rich.console import Console
from rich.table import Table

from harness.backends.endpoints import from_project
from harness.clients.provisioning import Credentials, Provisioning
from harness.load.api_bench import Target, measure


def run_bench_api(console: Console, project: str, seconds: float, workers: int) -> int:
    endpoints = from_project(project)
    base = endpoints.http_url
    provisioning = Provisioning(endpoints.soap_url, endpoints.master)
    cid = 500_000 + secrets.randbelow(400_000)
    admin = Credentials("oxadmin", secrets.token_urlsafe(10))
    password = secrets.token_urlsafe(10)
    provisioning.create_context(cid, f"bench{cid}", admin)
    try:
        provisioning.create_user(cid, admin, "bench", password, f"bench.{cid}@{endpoints.mail_domain}", "Bench")
        login = f"bench@bench{cid}"
        routes = endpoints.pools["oxcluster"]
        cases = [
            ("config GET, one node", Target(base, login, password, "/appsuite/api/config/identifier", {}), routes[:1]),
            ("config GET, all nodes", Target(base, login, password, "/appsuite/api/config/identifier", {}), routes),
            ("mail all, one node", Target(base, login, password, "/appsuite/api/mail",
                                          {"action": "all", "folder": "default0/INBOX", "columns": "600,607"}), routes[:1]),
            ("mail all, all nodes", Target(base, login, password, "/appsuite/api/mail",
                                           {"action": "all", "folder": "default0/INBOX", "columns": "600,607"}), routes),
        ]
        table = Table(title=f"oxh bench-api: {workers} workers, {seconds:.0f} s per case", title_justify="left")
        for column in ("case", "req/s (saturated)", "errors", "p50 ms", "p95 ms", "paced req/s", "paced p50", "paced p95"):
            table.add_column(column)
        for label, target, pinned in cases:
            console.print(f"measuring {label} ({', '.join(pinned)})")
            saturated, paced = measure(target, pinned, workers=workers, seconds=seconds)
            table.add_row(label, f"{saturated.rate:.0f}", str(saturated.errors + paced.errors),
                          f"{saturated.percentile(0.5):.1f}", f"{saturated.percentile(0.95):.1f}",
                          f"{paced.rate:.0f}", f"{paced.percentile(0.5):.1f}", f"{paced.percentile(0.95):.1f}")
        console.print(table)
    finally:
        provisioning.delete_context(cid)
    return 0
