"""`oxh bench-dav`: how a public CalDAV compatibility checker sees the cluster's CalDAV, member by member.

Provisions a throw-away context and user over SOAP, runs caldav-server-tester's checks (the ones calendar
apps built on the `caldav` library rely on) through the public URL, pinned to each sync pool member in turn,
prints per member how many features were found full, unsupported, fragile, broken or ungraceful and names
every one that is not full, and removes the context again. Exit 1 when a feature is broken or ungraceful on a
member (a client would fail on it), else 0.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

from harness.backends.target import docker_target
from harness.clients.dav_compat import LEVELS, compatibility
from harness.clients.provisioning import Provisioning, temporary_context

FAILING = ("broken", "ungraceful")


def run_bench_dav(console: Console, project: str) -> int:
    target = docker_target(project)
    provisioning = Provisioning(target.endpoints.soap_url, target.endpoints.master)
    routes = target.pools.get("oxcluster_sync") or [None]
    failing = 0
    with temporary_context(provisioning, "davcompat", ["dav"], target.endpoints.mail_domain) as context:
        user = context.users["dav"]
        table = Table(title="oxh bench-dav: caldav-server-tester through each sync pool member", title_justify="left")
        for column in ("member", *LEVELS, "not full"):
            table.add_column(column)
        for route in routes:
            console.print(f"checking CalDAV through {'route ' + route if route else 'the public URL'}")
            found = compatibility(target.endpoints.http_url, user.login, user.password, route=route)
            counts = Counter(found.values())
            others = [f"{feature} ({level})" for feature, level in sorted(found.items()) if level != "full"]
            failing += sum(counts[level] for level in FAILING)
            table.add_row(route or "any", *(str(counts[level]) for level in LEVELS), ", ".join(others) or "-")
        console.print(table)
    return 1 if failing else 0
