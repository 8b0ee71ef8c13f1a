"""`oxh qualify`: bring up (or reach) a cluster, run the suites, write the run folder and report.

The run folder `reports/<run-id>/` gets run.json (what was run against
what), results.json (every test with its evidence), junit.xml and
report.html. The exit code is 0 only when every requirement that ran passed;
2 for bad input (unknown suite, bad target file, unreachable target).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness import __version__
from harness.errors import UserError
from harness.report.catalogue import load_catalogue
from harness.report.render import render, verdicts

REPO = Path(__file__).resolve().parents[2]
SUITES_DIR = REPO / "suites"
REPORTS_DIR = Path(os.environ.get("OXH_REPORTS_DIR", REPO / "reports"))


def available_suites() -> list[str]:
    return sorted(p.name for p in SUITES_DIR.iterdir() if p.is_dir() and any(p.glob("test_*.py")))


def check_suites(names: list[str]) -> list[str]:
    known = available_suites()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UserError(f"unknown suite(s): {', '.join(unknown)}", f"choose from: {', '.join(known)}")
    return names


def run_qualify(console: Console, *, project: str, target_file: str | None, topology: str, suites: list[str],
                pytest_args: list[str]) -> int:
    suites = check_suites(suites)
    endpoints = _resolve(console, project, target_file, topology)
    run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"
    folder = REPORTS_DIR / run_id
    folder.mkdir(parents=True, exist_ok=True)
    versions = _versions(endpoints)
    run = {
        "run_id": run_id,
        "target": endpoints.name,
        "kind": endpoints.kind,
        "use": endpoints.use,
        "suites": suites,
        "harness_version": __version__,
        "started_text": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "versions": versions,
    }
    (folder / "run.json").write_text(json.dumps(run, indent=2))
    command = [
        sys.executable, "-m", "pytest", *[str(SUITES_DIR / name) for name in suites],
        "--rootdir", str(REPO), "-c", str(REPO / "pyproject.toml"), "-p", "no:cacheprovider",
        "--run-id", run_id, "--report-dir", str(folder), "--junitxml", str(folder / "junit.xml"),
        "-q", "-rfEs", *pytest_args,
    ]
    command += ["--target", target_file] if target_file else ["--project", project]
    console.print(f"running {', '.join(suites)} against {endpoints.name}; report in {folder}/")
    started = time.monotonic()
    returncode = _run_suites(command)
    seconds = time.monotonic() - started
    if returncode in (2, 3, 4) and not (folder / "results.json").exists():
        raise UserError(f"the suites could not start (pytest exit code {returncode}); see the lines above",
                        "mend what they name and run again")
    if not (folder / "results.json").exists():
        (folder / "results.json").write_text(json.dumps(
            {"started": time.time() - seconds, "finished": time.time(), "exit_status": returncode,
             "exit_reason": "the suites stopped before writing results", "tests": []}))
    report = render(folder, endpoints.secrets())
    return _summary(console, folder, report, returncode, seconds)


def _run_suites(command: list[str]) -> int:
    """Run pytest; on Ctrl-C let it finish its own clean-up (it got the signal too) before going on."""
    process = subprocess.Popen(command, cwd=REPO)
    try:
        return process.wait()
    except KeyboardInterrupt:
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
        raise


def _resolve(console: Console, project: str, target_file: str | None, topology: str):
    from harness.backends.endpoints import from_project, from_target
    from harness.topology.target import load_target

    if target_file:
        return from_target(load_target(target_file))
    from harness.backends.docker.cluster import DockerCluster
    from harness.backends.docker.engine import connect
    from harness.cli.progress import RichReporter
    from harness.topology.loader import load

    cluster = DockerCluster(project, connect())
    if not cluster.exists():
        console.print(f"project {project} is not running: bringing {topology} up")
        with RichReporter(console) as reporter:
            cluster.up(load(topology), reporter)
    else:
        unhealthy = [s.node for s in cluster.status() if s.health != "healthy"]
        if unhealthy:
            console.print(f"[yellow]note:[/] project {project} runs, but not healthy: {', '.join(unhealthy)}")
    return from_project(project)


def _versions(endpoints) -> dict[str, str]:
    if endpoints.cluster is None:
        return {"components": "not visible from outside a remote cluster"}
    from harness.report.environment import component_versions

    return component_versions(endpoints.cluster)


def _summary(console: Console, folder: Path, report: Path, exit_code: int, seconds: float) -> int:
    results = json.loads((folder / "results.json").read_text())
    found = verdicts(results, load_catalogue())
    table = Table(title=f"requirements ({seconds:.0f} s)", title_justify="left")
    for column in ("id", "verdict", "requirement"):
        table.add_column(column)
    style = {"passed": "green", "failed": "red", "not run": "yellow"}
    for verdict in found:
        table.add_row(verdict.id, f"[{style[verdict.status]}]{verdict.status}[/]", verdict.text)
    console.print(table)
    slowest = sorted(results["tests"], key=lambda t: t["duration"], reverse=True)[:10]
    if slowest:
        console.print("ten slowest: " + ", ".join(f"{t['name']} {t['duration']:.1f} s" for t in slowest), highlight=False)
    failed = [v.id for v in found if v.status == "failed"]
    ran = [v.id for v in found if v.status == "passed"]
    if results.get("exit_reason"):
        console.print(f"[bold red]stopped:[/] {results['exit_reason']}", highlight=False)
    console.print(f"report: {report}")
    if exit_code == 0 and ran and not failed:
        console.print(f"[bold green]QUALIFIED[/]: {len(ran)} requirement(s) met")
        return 0
    console.print(f"[bold red]NOT QUALIFIED[/]: failed {', '.join(failed) or 'none'}; pytest exit code {exit_code}")
    return 2 if exit_code in (2, 3, 4) else 1


def rerender(console: Console, run: str) -> int:
    folder = Path(run) if Path(run).is_dir() else REPORTS_DIR / run
    if not folder.is_dir():
        known = sorted(p.name for p in REPORTS_DIR.iterdir() if p.is_dir()) if REPORTS_DIR.exists() else []
        raise UserError(f"no run folder {run!r}", f"give one of: {', '.join(known[-5:]) or 'none yet (run oxh qualify)'}")
    console.print(f"report: {render(folder)}")
    return 0
