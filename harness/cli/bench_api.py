"""`oxh bench-api`: requests per second and p50/p95 latency of API calls through the balancer VIP.

Provisions a throw-away context and user over SOAP, measures a
session-checked `config` GET and a mail `all`, pinned to one node and spread
over the pool, and removes the context again. Figures are printed, never
asserted.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from harness.backends.target import docker_target
from harness.clients.provisioning import Provisioning, temporary_context
from harness.load.api_bench import BenchedCall, measure


def run_bench_api(console: Console, project: str, seconds: float, workers: int) -> int:
    target = docker_target(project)
    endpoints = target.endpoints
    base = endpoints.http_url
    provisioning = Provisioning(endpoints.soap_url, endpoints.master)
    with temporary_context(provisioning, "bench", ["bench"], endpoints.mail_domain) as context:
        login, password = context.users["bench"].login, context.users["bench"].password
        routes = target.pools["oxcluster"]
        cases = [
            ("config GET, one node", BenchedCall(base, login, password, "/appsuite/api/config/identifier", {}), routes[:1]),
            ("config GET, all nodes", BenchedCall(base, login, password, "/appsuite/api/config/identifier", {}), routes),
            ("mail all, one node", BenchedCall(base, login, password, "/appsuite/api/mail",
                                          {"action": "all", "folder": "default0/INBOX", "columns": "600,607"}), routes[:1]),
            ("mail all, all nodes", BenchedCall(base, login, password, "/appsuite/api/mail",
                                           {"action": "all", "folder": "default0/INBOX", "columns": "600,607"}), routes),
        ]
        table = Table(title=f"oxh bench-api: {workers} workers, {seconds:.0f} s per case", title_justify="left")
        for column in ("case", "req/s (saturated)", "errors", "p50 ms", "p95 ms", "paced req/s", "paced p50", "paced p95"):
            table.add_column(column)
        for label, call, pinned in cases:
            console.print(f"measuring {label} ({', '.join(pinned)})")
            saturated, paced = measure(call, pinned, workers=workers, seconds=seconds)
            table.add_row(label, f"{saturated.rate:.0f}", str(saturated.errors + paced.errors),
                          f"{saturated.percentile(0.5):.1f}", f"{saturated.percentile(0.95):.1f}",
                          f"{paced.rate:.0f}", f"{paced.percentile(0.5):.1f}", f"{paced.percentile(0.95):.1f}")
        console.print(table)
    return 0
