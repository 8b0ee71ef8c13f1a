"""`oxh bench-generator`: what one Locust process can generate, bare and with the harness's App Suite users.

Bare: a FastHttpUser without think time fetching the UI's static start page
from the balancer (a trivial endpoint Apache serves itself) for `seconds`.
Harness: the webmail profile's users through `oxh load` (sampler, shape,
per-step snapshots, OX envelope parsing) with think time cut to nothing by
a high speed-up. For each, requests per CPU-second of the generator
process, and the ratio: what the harness costs per request on top of
Locust. Medians over `runs`; run on an otherwise idle machine.
"""

from __future__ import annotations

import csv
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console

BARE = """
from locust import FastHttpUser, constant, task

class Bare(FastHttpUser):
    wait_time = constant(0)

    @task
    def start_page(self):
        self.client.get("/appsuite/", name="static")
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bare_run(url: str, seconds: float, users: int) -> tuple[float, float]:
    """(requests per second, requests per CPU-second) of bare Locust."""
    with tempfile.TemporaryDirectory() as folder:
        locustfile = Path(folder) / "bare.py"
        locustfile.write_text(BARE)
        before = _children_cpu()
        subprocess.run([sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "-u", str(users), "-r",
                        str(users), "-t", f"{seconds:g}s", "--host", url, "--csv", f"{folder}/bare", "--only-summary",
                        "--loglevel", "WARNING"], capture_output=True, timeout=seconds + 60)
        cpu = _children_cpu() - before
        with open(f"{folder}/bare_stats.csv") as handle:
            total = next(row for row in csv.DictReader(handle) if row["Name"] == "Aggregated")
    requests = int(total["Request Count"])
    return requests / seconds, requests / cpu if cpu else 0.0


def harness_run(project: str, seconds: float, users: int) -> tuple[float, float]:
    """(requests per second, requests per CPU-second of the generator) of `oxh load` with webmail users."""
    from harness.backends.target import docker_target
    from harness.load.profile import load_profile
    from harness.load.load_run import LoadOptions, run_load

    with tempfile.TemporaryDirectory() as folder:
        result = run_load(docker_target(project), load_profile("webmail"),
                           LoadOptions(users=users, duration=seconds, speedup=3600), Path(folder), lambda line: None)
        cpu_seconds = _generator_cpu_seconds(Path(folder) / "resources.csv")
    requests = result.requests
    return requests / result.seconds, requests / cpu_seconds if cpu_seconds else 0.0


def _generator_cpu_seconds(path: Path) -> float:
    with path.open() as handle:
        return sum(float(row["cpu_percent"]) / 100 for row in csv.DictReader(handle) if row["role"] == "generator")


def run_bench_generator(console: Console, project: str, seconds: float, users: int, runs: int) -> int:
    from harness.backends.target import docker_target

    url = docker_target(project).endpoints.http_url
    bare = [bare_run(url, seconds, users) for _ in range(runs)]
    harness = [harness_run(project, seconds, users) for _ in range(runs)]
    bare_rps, bare_per_cpu = (statistics.median(x) for x in zip(*bare))
    harness_rps, harness_per_cpu = (statistics.median(x) for x in zip(*harness))
    console.print(f"bare Locust, {users} users, no think time, static page: {bare_rps:.0f} req/s, "
                  f"{bare_per_cpu:.0f} req per CPU-second of the generator")
    console.print(f"oxh load, {users} webmail users, no think time: {harness_rps:.0f} req/s, "
                  f"{harness_per_cpu:.0f} req per CPU-second of the generator")
    if harness_per_cpu:
        console.print(f"cost per request, harness vs bare: {bare_per_cpu / harness_per_cpu:.2f}x "
                      f"(medians of {runs} run(s) each)")
    return 0
