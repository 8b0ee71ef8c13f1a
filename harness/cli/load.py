"""`oxh load`: a load profile through Locust against the reference project or a target, with its figures.

Writes `reports/<run-id>/load/` (Locust's CSVs and HTML, results.json,
resources.csv, plots) and prints, per request class, throughput, p50/p95/p99,
errors and the SLO verdict, per step the throughput and CPU per tier, and
whether the generator kept up. Exit code 0 when every SLO held on a valid
run, 1 otherwise, 2 for bad input. `--worker --master-host H --plan FILE`
joins a master started elsewhere with `--master --expect-workers N`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness.errors import UserError
from harness.load.load_plan import ENV, LoadPlan
from harness.load.profile import load_profile
from harness.load.runner import LOCUSTFILE
from harness.load.load_run import LoadOptions, run_load
from harness.report.run_folder import new_run_folder


def run_worker(console: Console, master_host: str, plan_file: str | None) -> int:
    """A Locust worker for a master on another machine, on the plan that master's run folder holds."""
    if not plan_file or not Path(plan_file).is_file():
        raise UserError("a worker needs the master's plan", "copy load/plan.json from the master's run folder and "
                                                           "give it with --plan FILE")
    LoadPlan.model_validate_json(Path(plan_file).read_text())
    console.print(f"worker joining the Locust master on {master_host}")
    env = {**os.environ, ENV: str(Path(plan_file).resolve())}
    return subprocess.call([sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker", "--master-host",
                            master_host], env=env)


def run_load_command(console: Console, *, profile_name: str, project: str, target_file: str | None,
                     confirm: str | None, options: LoadOptions, fault: str | None = None) -> int:
    from harness.backends.target import resolve

    profile = load_profile(profile_name)
    target = resolve(project, target_file)
    target.check_load(options.users, confirm)
    run_id = (run := new_run_folder()).name
    folder = run / "load"
    console.print(f"load run {run_id}: profile {profile.name} against {target.name}; results in {folder}/",
                  soft_wrap=True)
    say = console.print
    if fault:
        from harness.scenario.under_load import parse_fault, run_load_with_fault

        parse_fault(fault)  # bad input stops here, before any user is made
        results = run_load_with_fault(target, profile, options, folder, say, fault, confirm)
    else:
        results = run_load(target, profile, options, folder, say)
    print_results(console, results)
    valid = not results["generator"]["bound"] and not results["generator"]["invalid"]
    fault_ok = not results.get("fault", {}).get("violations")
    if fault:
        return 0 if valid and fault_ok else 1  # under a fault the SLO may break for a while; the fault's own judge
    return 0 if valid and not results["slo_violations"] else 1


def print_results(console: Console, results: dict) -> None:
    table = Table(title=f"profile {results['profile']}: {results['shape']}, {results['users']} users, "
                        f"speed-up {results['speedup']:g}, {results['seconds']:.0f} s", title_justify="left")
    for column in ("request class", "requests", "failed", "req/s", "p50 ms", "p95 ms", "p99 ms", "SLO"):
        table.add_column(column, justify="left" if column in ("request class", "SLO") else "right")
    for c in sorted(results["classes"], key=lambda c: c["name"]):
        verdict = "[red]" + "; ".join(v.split(": ", 1)[1] for v in c["violations"]) + "[/]" if c["violations"] else "[green]met[/]"
        table.add_row(c["name"], str(c["requests"]), str(c["failures"]), f"{c['rps']:.2f}", _ms(c["p50"]), _ms(c["p95"]),
                      _ms(c["p99"]), verdict)
    console.print(table)
    if results["errors"]:
        console.print("errors by code: " + "; ".join(f"{name}: " + ", ".join(f"{code} × {n}" for code, n in codes.items())
                                                      for name, codes in results["errors"].items()))
    for step in results["steps"]:
        cpu = ", ".join(f"{role} {value:.0f} %" for role, value in sorted(step["tier_cpu_percent"].items()))
        console.print(f"step {step['index']}: {step['users']} users for {step['seconds']:.0f} s, "
                      f"{step['rps']:.1f} req/s; CPU per tier (% of a core): {cpu}")
    generator = results["generator"]
    line = f"generator peak CPU {generator['peak_cpu_percent']:.0f} % of a core"
    console.print(f"[red]{line}: generator-bound, the figures are not the cluster's[/]" if generator["bound"] else line)
    if generator["invalid"]:
        console.print(f"[red]the run is invalid: {generator['invalid']}[/]")
    check = results["crosscheck"]
    console.print(f"the middleware counted {check['middleware_counted']} API requests; the generator sent "
                  f"{check['generator_api_requests']}")
    fault = results.get("fault")
    if fault:
        console.print(f"fault {fault['scenario']} at {fault['at']:g} s on {', '.join(fault['nodes']) or 'no node'}")
        for window in ("before", "during", "after"):
            if window in fault:
                figures = fault[window]
                console.print(f"  {window}: error ratio {figures['error_ratio']:.1%}, worst p95 "
                              f"{_ms(figures['worst_p95_ms'])} ms over {figures['seconds']} s")
        if "back_to_slo_seconds" in fault:
            back = fault["back_to_slo_seconds"]
            console.print(f"  back within the SLO {back:.0f} s after the heal" if back is not None
                          else "  [red]never back within the SLO after the heal[/]")
        console.print("  [green]the fault cost users nothing they could see[/]" if not fault["violations"]
                      else "  [red]" + "; ".join(fault["violations"]) + "[/]")
    console.print("SLO: " + ("[green]every request class met its SLO[/]" if not results["slo_violations"]
                             else f"[red]{len(results['slo_violations'])} violation(s)[/]"))


def _ms(value) -> str:
    return "–" if value is None else f"{value:.0f}"

