"""Run Locust out of process on a plan, with the resource sampler beside it, and gather what it wrote.

Locust runs as its own process (`python -m locust -f harness/load/locustfile.py
--headless`), so gevent never meets the threaded harness or the Docker SDK.
`workers > 1` uses Locust's own distributed mode on this machine
(`--processes N`: a master and N workers); generators on other machines
join a master started with `--master` (see docs/load-distributed.md). The
run is bounded: the shape ends it, and the harness stops Locust itself
when the plan's time plus a margin has passed. Progress is printed every
few seconds from Locust's own history file.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from contextlib import nullcontext
from typing import Any, Callable, ContextManager

from prometheus_client.parser import text_string_to_metric_families

from harness.backends.access import NodeAccess
from harness.errors import UserError
from harness.load.load_plan import ENV, LoadPlan
from harness.load.sampler import Sampler, Samples

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
MARGIN = 60.0  # seconds past the plan's length before Locust is stopped from outside
PROGRESS_EVERY = 5.0
Progress = Callable[[str], None]


@dataclass
class LocustRun:
    folder: Path
    returncode: int
    seconds: float
    samples: Samples
    metrics_before: dict[str, float]
    metrics_after: dict[str, float]
    stopped_from_outside: bool = False

    @property
    def prefix(self) -> Path:
        return self.folder / "locust"


def command(plan: LoadPlan, folder: Path, workers: int, master: bool = False, expect_workers: int = 0) -> list[str]:
    argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", plan.http_url,
            "--csv", str(folder / "locust"), "--csv-full-history", "--only-summary",
            # a stepped run's steps are recorded when it stops: its users need not finish what they were doing
            "--stop-timeout", "0" if plan.shape == "steps" else "10",
            "--exit-code-on-error", "0", "--loglevel", "WARNING", "--html", str(folder / "locust.html")]
    if master:
        argv += ["--master", "--expect-workers", str(max(1, expect_workers))]
    elif workers > 1:
        argv += ["--processes", str(workers)]
    return argv


def middleware_requests(access: NodeAccess | None, port: int = 8009) -> dict[str, float]:
    """Per middleware node, the HTTP API requests its /metrics has counted so far (empty without access)."""
    import httpx

    found: dict[str, float] = {}
    if access is None:
        return found
    for node in access.layout.names("middleware"):
        published = access.published(node, port)
        if not published:
            continue
        try:
            text = httpx.get(f"http://{published[0]}:{published[1]}/metrics", timeout=5).text
        except httpx.HTTPError:
            continue
        found[node] = sum(sample.value for family in text_string_to_metric_families(text)
                          for sample in family.samples if sample.name == "appsuite_httpapi_requests_seconds_count")
    return found


def run_locust(plan: LoadPlan, folder: Path, access: NodeAccess | None, progress: Progress, workers: int = 1,
               master: bool = False, expect_workers: int = 0,
               alongside: Callable[[], ContextManager[Any]] | None = None) -> LocustRun:
    folder.mkdir(parents=True, exist_ok=True)
    plan_file = plan.write(folder / "plan.json")
    limit = plan.planned_seconds() + MARGIN
    before = middleware_requests(access)
    argv = command(plan, folder, workers, master, expect_workers)
    (folder / "command.txt").write_text(" ".join(argv) + "\n")
    log = (folder / "locust.log").open("w")
    started = time.monotonic()
    process = subprocess.Popen(argv, env={**os.environ, ENV: str(plan_file)}, stdout=log, stderr=subprocess.STDOUT)
    stopped = False
    with Sampler(access, process.pid, limit) as sampler, (alongside or nullcontext)():
        try:
            while process.poll() is None:
                elapsed = time.monotonic() - started
                if elapsed > limit:
                    stopped = True
                    progress(f"Locust still runs {elapsed:.0f} s after it should have ended: stopping it")
                    process.terminate()
                    try:
                        process.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        process.kill()
                    break
                try:
                    process.wait(timeout=PROGRESS_EVERY)  # returns as soon as Locust ends
                except subprocess.TimeoutExpired:
                    progress(_progress_line(folder, elapsed, plan.planned_seconds()))
        except KeyboardInterrupt:
            process.terminate()  # Locust writes its CSVs and steps on SIGTERM; the caller removes the users
            process.wait(timeout=30)
            raise
    log.close()
    seconds = time.monotonic() - started
    if not (folder / "locust_stats.csv").exists():
        tail = (folder / "locust.log").read_text()[-1500:]
        raise UserError(f"Locust stopped without writing its statistics (exit code {process.returncode}):\n{tail}",
                        f"see {folder / 'locust.log'}")
    return LocustRun(folder, process.returncode or 0, seconds, sampler.samples, before, middleware_requests(access),
                     stopped)


def _progress_line(folder: Path, elapsed: float, planned: float) -> str:
    history = folder / "locust_stats_history.csv"
    line = f"load: {elapsed:.0f} s of at most {planned:.0f} s"
    try:
        with history.open() as handle:
            rows = [row for row in csv.DictReader(handle) if row.get("Name") == "Aggregated"]
    except OSError:
        return line
    if rows:
        last = rows[-1]
        line += (f", {last['User Count']} users, {float(last['Requests/s']):.1f} req/s, "
                 f"{float(last['Failures/s']):.2f} failures/s, p95 " + (f"{last['95%']} ms" if last["95%"] != "N/A" else "–"))
    return line
