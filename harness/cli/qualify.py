"""`oxh qualify`: bring up (or reach) a cluster, run the suites, write the run folder, judge it.

With no `--suites`, every suite runs and the run is judged against the
required set of the target's kind: QUALIFIED only when every required
requirement ran and passed. Before the suites run, they are collected once
without the user's pytest arguments (inventory.json): a run that did not
select every test of that inventory, whatever removed it (`--suites`, `-k`,
`-m`, `--deselect`, `--ignore`, node ids, a plugin), is PARTIAL, and each
requirement with a removed test is "not run (deselected)". Limits the target
sets looser than the design's are waivers, written to run.json and printed
beside the verdict. The run folder `reports/<run-id>/` gets run.json (what
was run against what), inventory.json, results.json (every test with its
evidence and figures), junit.xml, report.html and, with `--baseline`,
comparison.json. Exit codes: 0 QUALIFIED, 1 NOT QUALIFIED (or anything
failed, or a regression), 2 bad input, 3 PARTIAL with nothing failed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness import __version__, resources
from harness.cli.runs import compare_with
from harness.errors import UserError
from harness.report import inventory
from harness.report.render import render
from harness.report.run_folder import RunFolder, find_run, verdict_of
from harness.report.verdict import EXIT_BAD_INPUT, EXIT_NOT_QUALIFIED, PARTIAL, QUALIFIED
from harness.scenario.waivers import waivers_of

# Faults last: they leave the cluster as a failover leaves it (a write VIP on the other master, say).
SUITE_ORDER = ("functional", "frontend", "load", "failover")
STYLE = {"passed": "green", "failed": "red", "not run": "yellow", "not required": "dim"}


def available_suites() -> list[str]:
    folder = resources.suites_dir()
    found = [p.name for p in folder.iterdir() if p.is_dir() and any(p.glob("test_*.py"))]
    return sorted(found, key=lambda name: (SUITE_ORDER.index(name) if name in SUITE_ORDER else len(SUITE_ORDER), name))


def check_suites(names: list[str] | None) -> list[str]:
    known = available_suites()
    if not names:
        return known
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UserError(f"unknown suite(s): {', '.join(unknown)}", f"choose from: {', '.join(known)}")
    return [name for name in known if name in names]


def run_qualify(console: Console, *, project: str, target_file: str | None, topology: str, suites: list[str] | None,
                pytest_args: list[str], confirm: str | None = None, baseline: str | None = None) -> int:
    suites = check_suites(suites)
    baseline_folder = find_run(baseline) if baseline else None
    target = resolve_target(console, project, target_file, topology)
    run_folder = RunFolder.new()
    folder, run_id = run_folder.path, run_folder.run_id
    run = {
        "run_id": run_id,
        "target": target.name,
        "kind": target.kind,
        "use": target.policy.use,
        "suites": suites,
        "narrowed": set(suites) != set(available_suites()),
        "waivers": waivers_of(target.policy.thresholds, target.policy.load_slos),
        "harness_version": __version__,
        "started_text": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "versions": {**_versions(target), **(_browser_version() if "frontend" in suites else {})},
    }
    run_folder.write("run.json", json.dumps(run, indent=2))
    pytest_base = [
        sys.executable, "-m", "pytest", *[str(resources.suites_dir() / name) for name in suites],
        "--rootdir", str(resources.suites_dir()), "-c", str(resources.suites_config()), "-p", "no:cacheprovider",
    ]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        pytest_base += ["-p", "harness.pytest_plugin"]  # the fixtures come from the plugin, found by its entry point
        if "frontend" in suites:
            pytest_base += ["-p", "pytest_playwright.pytest_playwright"]
    from harness.backends.target import RECORD

    record = run_folder.write(RECORD, json.dumps(target.record(), indent=2))
    pytest_base += ["--resolved-target", str(record.resolve())]
    _take_inventory(pytest_base, folder)
    command = [*pytest_base, "--run-id", run_id, "--report-dir", str(folder.resolve()),
               "--junitxml", str(folder.resolve() / "junit.xml"), "-q", "-rfEs", *pytest_args]
    if confirm:
        command += ["--confirm", confirm]
    console.print(f"running {', '.join(suites)} against {target.name}; report in {folder}/")
    started = time.monotonic()
    returncode = _run_suites(command)
    seconds = time.monotonic() - started
    if returncode in (3, 4) and not (folder / "results.json").exists():
        raise UserError(f"the suites could not start (pytest exit code {returncode}); see the lines above",
                        "mend what they name and run again")
    if not (folder / "results.json").exists():
        (folder / "results.json").write_text(json.dumps(
            {"started": time.time() - seconds, "finished": time.time(), "exit_status": returncode,
             "exit_reason": "the suites stopped before writing results", "tests": []}))
    regressions = compare_with(console, folder, baseline_folder) if baseline else []
    report = render(folder, target.endpoints.secrets())
    code = _summary(console, folder, report, seconds)
    stopped = verdict_of(folder).stopped
    if returncode == 2 and stopped and stopped != "interrupted":
        return EXIT_BAD_INPUT  # found at collection: a requirement marker, the catalogue, the target
    return EXIT_NOT_QUALIFIED if regressions else code


def _take_inventory(pytest_base: list[str], folder: Path) -> None:
    """Collect the chosen suites without the user's selection: the tests this run is meant to run."""
    result = subprocess.run([*pytest_base, "--collect-only", "-q", "--inventory", str(folder.resolve() / inventory.FILE)],
                            capture_output=True, text=True)
    if result.returncode != 0 or not (folder / inventory.FILE).exists():
        lines = (result.stdout + result.stderr).strip().splitlines()
        raise UserError(f"the suites could not be collected (pytest exit code {result.returncode}): "
                        + "\n".join(lines[-15:]), "mend what the lines above name and run again")


def _run_suites(command: list[str]) -> int:
    """Run pytest; on Ctrl-C let it finish its own clean-up (it got the signal too) before going on."""
    process = subprocess.Popen(command)
    try:
        return process.wait()
    except KeyboardInterrupt:
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
        raise


def resolve_target(console: Console, project: str, target_file: str | None, topology: str, check=None):
    """The target file's cluster, or the project's, bringing `topology` up when the project is not running;
    `check` (harness.backends.target.Check) judges its policy first."""
    from harness.backends.target import resolve

    if target_file:
        return resolve(project, target_file, check)
    from harness.backends.docker.cluster import DockerCluster
    from harness.backends.docker.engine import connect
    from harness.cli.progress import RichReporter
    from harness.models.loader import load

    cluster = DockerCluster(project, connect())
    if not cluster.exists():
        console.print(f"project {project} is not running: bringing {topology} up")
        with RichReporter(console) as reporter:
            cluster.up(load(topology), reporter)
    else:
        unhealthy = [s.node for s in cluster.status() if s.health != "healthy"]
        if unhealthy:
            console.print(f"[yellow]note:[/] project {project} runs, but not healthy: {', '.join(unhealthy)}")
    return resolve(project, None, check)


def _versions(target) -> dict[str, str]:
    if target.access is None:
        return {"components": "not visible from outside a remote cluster"}
    from harness.backends.access import versions

    return versions(target.access)


def _browser_version() -> dict[str, str]:
    """The Chromium the frontend suite drives, beside the one the pinned Playwright expects."""
    from harness.browser.chromium import BrowserUnavailable, check

    try:
        return {"browser": check().describe()}
    except BrowserUnavailable as exc:
        return {"browser": f"none usable: {exc}"}


def _summary(console: Console, folder: Path, report: Path, seconds: float) -> int:
    verdict = verdict_of(folder)
    results = json.loads((folder / "results.json").read_text())
    table = Table(title=f"requirements ({seconds:.0f} s)", title_justify="left")
    for column in ("id", "verdict", "requirement"):
        table.add_column(column)
    for requirement in verdict.requirements:
        if requirement.status == "not required":
            continue
        table.add_row(requirement.id, f"[{STYLE[requirement.status]}]{requirement.status}[/]", requirement.text)
    console.print(table)
    slowest = sorted(results["tests"], key=lambda t: t["duration"], reverse=True)[:10]
    if slowest:
        console.print("ten slowest: " + ", ".join(f"{t['name']} {t['duration']:.1f} s" for t in slowest),
                      highlight=False, markup=False)
    not_required = verdict.having("not required")
    if not_required:
        console.print(f"not required on a {verdict.kind} target: {', '.join(v.id for v in not_required)}",
                      highlight=False)
    console.print(f"report: {report}")
    for line in verdict.reasons():
        console.print(f"  {line}", highlight=False, markup=False)
    for line in verdict.waivers:
        console.print(f"  waiver: {line}", highlight=False, markup=False)
    if verdict.deselected:
        console.print(f"  {len(verdict.deselected)} test(s) of the chosen suites deselected, e.g. "
                      f"{', '.join(verdict.deselected[:3])}", highlight=False, markup=False)
    colour = {QUALIFIED: "green", PARTIAL: "yellow"}.get(verdict.status, "red")
    console.print(f"[bold {colour}]{verdict.title()}[/]: {verdict.headline()}", highlight=False)
    return verdict.exit_code
