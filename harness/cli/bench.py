"""`oxh bench`: wall time of `up` (warm, and cold with --cold), of `down`, and idle memory.

Figures are printed, never asserted: this machine is shared and noisy, so
several warm runs can be asked for and their median is what counts.
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from rich.console import Console
from rich.table import Table

from harness.backends.docker.cluster import DockerCluster
from harness.backends.docker.startup import Reporter
from harness.backends.docker.engine import connect
from harness.backends.docker.images import IMAGES, build_all
from harness.models.loader import load

IDLE_SETTLE_SECONDS = 10


class _Quiet(Reporter):
    def step(self, message: str) -> None:
        pass

    def healthy(self, item) -> None:
        pass


def run_bench(console: Console, project: str, topology_name: str, cold: bool, runs: int) -> int:
    client = connect()
    topology = load(topology_name)
    cluster = DockerCluster(f"{project}-bench", client)
    cluster.down()
    figures: dict[str, list[float]] = {"up warm (s)": [], "down (s)": []}

    if cold:
        console.print("cold start: removing the role images (the debootstrap base is kept)")
        for spec in reversed(IMAGES):
            if client.images.list(name=spec.tag):
                client.images.remove(spec.tag, force=True)
        client.images.prune(filters={"dangling": True})
        started = time.monotonic()
        build_all(client, lambda message: None)
        cluster.up(topology, _Quiet(), build=False)
        figures["up cold (s)"] = [time.monotonic() - started]
        figures["down (s)"].append(_timed(cluster.down))

    memory = []
    for run in range(runs):
        build_all(client, lambda message: None)  # warm: every layer cached
        started = time.monotonic()
        cluster.up(topology, _Quiet(), build=True)
        figures["up warm (s)"].append(time.monotonic() - started)
        console.print(f"run {run + 1}/{runs}: up in {figures['up warm (s)'][-1]:.1f} s; settling {IDLE_SETTLE_SECONDS} s")
        time.sleep(IDLE_SETTLE_SECONDS)
        memory.append(idle_memory_mib(cluster))
        figures["down (s)"].append(_timed(cluster.down))
    figures["idle memory (MiB)"] = memory
    cluster.state.forget()

    table = Table(title=f"oxh bench: {topology.name}, {runs} warm run(s)", title_justify="left")
    for column in ("figure", "median", "all runs", "target"):
        table.add_column(column)
    targets = {"up warm (s)": "≤ 60", "up cold (s)": "≤ 600", "down (s)": "≤ 10", "idle memory (MiB)": "≤ 4096"}
    for name, values in figures.items():
        table.add_row(name, f"{statistics.median(values):.1f}", ", ".join(f"{v:.1f}" for v in values), targets[name])
    console.print(table)
    return 0


def _timed(action) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def idle_memory_mib(cluster: DockerCluster) -> float:
    """Memory in use by the project's containers (page cache excluded), summed."""

    def usage(container) -> float:
        stats = container.stats(stream=False)["memory_stats"]
        cache = stats.get("stats", {}).get("total_inactive_file", stats.get("stats", {}).get("inactive_file", 0))
        return (stats.get("usage", 0) - cache) / 2**20

    with ThreadPoolExecutor(max_workers=8) as pool:
        return sum(pool.map(usage, cluster.containers()))
