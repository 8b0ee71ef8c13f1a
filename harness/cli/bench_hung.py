"""`oxh bench-hung`: how long a paused middleware node goes unnamed.

Pauses a groupware node of a running project (it then accepts connections
and never answers, as a JVM in a long GC pause does) and measures from the
pause until the pool check (the BAL-ANSWER probe through the balancer,
pinned to the node's route) names it, and until the balancers' member watch
has taken it out of its pools (BAL-POOLS sees it), then lets it go on and
waits until it is back. Figures are printed, medians over the runs.
"""

from __future__ import annotations

import statistics
import time

from rich.console import Console
from rich.table import Table

from harness.backends.target import docker_target
from harness.clients.balancer import balancer_pools, probe_member
from harness.errors import UserError
from harness.wait import WaitTimeout, wait_for

GIVE_UP = 60.0


def run_bench_hung(console: Console, project: str, node: str | None, runs: int) -> int:
    target = docker_target(project)
    layout = target.layout
    members = layout.pool_members("oxcluster")
    chosen = next((m for m in members if m.name == node), None) if node else members[0]
    if chosen is None:
        raise UserError(f"{node} is not a member of oxcluster", f"choose one of {', '.join(m.name for m in members)}")
    access, url = target.access, target.endpoints.http_url
    table = Table(title=f"oxh bench-hung: {chosen.name} (route {chosen.route}) paused", title_justify="left")
    for column in ("run", "pool check names it", "member watch takes it out", "back after the pause"):
        table.add_column(column)
    named, taken_out = [], []
    for run in range(1, runs + 1):
        console.print(f"run {run}: pausing {chosen.name}")
        access.whole_node(chosen.name, "freeze")
        started = time.monotonic()
        try:
            probe_seconds = _until(lambda: not probe_member(url, "oxcluster", "/appsuite/api",
                                                            chosen.route).answered, started)
            watch_seconds = _until(lambda: _taken_out(url, chosen.route), started)
        finally:
            access.whole_node(chosen.name, "thaw")
        back = _until(lambda: probe_member(url, "oxcluster", "/appsuite/api", chosen.route).answered,
                      time.monotonic())
        named.append(probe_seconds)
        taken_out.append(watch_seconds)
        table.add_row(str(run), _shown(probe_seconds), _shown(watch_seconds), _shown(back))
    table.add_row("median", _shown(_median(named)), _shown(_median(taken_out)), "")
    console.print(table)
    return 0


def _until(condition, started: float) -> float | None:
    """Seconds from `started` until `condition()` holds, None when it did not within GIVE_UP."""
    try:
        wait_for(condition, timeout=GIVE_UP, interval=0.25, waiting_for="the figure")
    except WaitTimeout:
        return None
    return time.monotonic() - started


def _taken_out(base_url: str, route: str) -> bool:
    return any(member.route == route and not member.up for member in balancer_pools(base_url).get("oxcluster", []))


def _median(values: list[float | None]) -> float | None:
    measured = [value for value in values if value is not None]
    return statistics.median(measured) if measured else None


def _shown(seconds: float | None) -> str:
    return "never (60 s)" if seconds is None else f"{seconds:.1f} s"
