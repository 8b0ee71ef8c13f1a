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
from harness.load.load_result import FaultUnderLoad, LoadResult
from harness.load.load_run import LoadOptions, run_load
from harness.load.profile import load_profile
from harness.load.runner import LOCUSTFILE
from harness.report.run_folder import RunFolder


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
    target = resolve(project, target_file, check=lambda name, policy: policy.check_load(name, options.users, confirm))
    run = RunFolder.new()
    run_id, folder = run.run_id, run.part("load")
    console.print(f"load run {run_id}: profile {profile.name} against {target.name}; results in {folder}/",
                  soft_wrap=True)
    say = console.print
    if fault:
        from harness.scenario.under_load import parse_fault, run_load_with_fault

        parse_fault(fault)  # bad input stops here, before any user is made
        result = run_load_with_fault(target, profile, options, folder, say, fault, confirm)
    else:
        result = run_load(target, profile, options, folder, say)
    print_results(console, result)
    if result.shape == "steps" and not fault:
        print_model(console, target, folder)
    if fault:  # under a fault the SLO may break for a while; the fault's own judge says what users may see
        return 0 if result.generator.kept_up and result.fault and not result.fault.violations else 1
    return 0 if result.generator.kept_up and not result.slo_violations else 1


def print_results(console: Console, result: LoadResult) -> None:
    table = Table(title=f"profile {result.profile}: {result.shape}, {result.users} users, "
                        f"speed-up {result.speedup:g}, {result.seconds:.0f} s", title_justify="left")
    for column in ("request class", "requests", "failed", "req/s", "p50 ms", "p95 ms", "p99 ms", "SLO"):
        table.add_column(column, justify="left" if column in ("request class", "SLO") else "right")
    for c in sorted(result.classes, key=lambda c: c.name):
        verdict = ("[red]" + "; ".join(v.split(": ", 1)[1] for v in c.violations) + "[/]" if c.violations
                   else "[green]met[/]")
        table.add_row(c.name, str(c.requests), str(c.failures), f"{c.rps:.2f}", _ms(c.p50), _ms(c.p95), _ms(c.p99),
                      verdict)
    console.print(table)
    if result.errors:
        console.print("errors by code: " + "; ".join(f"{name}: " + ", ".join(f"{code} × {n}" for code, n in codes.items())
                                                      for name, codes in result.errors.items()))
    for step in result.steps:
        cpu = ", ".join(f"{role} {value:.0f} %" for role, value in sorted(step.tier_cpu_percent.items()))
        console.print(f"step {step.index}: {step.users} users for {step.seconds:.0f} s, "
                      f"{step.rps:.1f} req/s; CPU per tier (% of a core): {cpu}")
    generator = result.generator
    line = f"generator peak CPU {generator.peak_cpu_percent or 0:.0f} % of a core"
    console.print(f"[red]{line}: generator-bound, the figures are not the cluster's[/]" if generator.bound else line)
    if generator.invalid:
        console.print(f"[red]the run is invalid: {generator.invalid}[/]")
    check = result.crosscheck
    console.print(f"the middleware counted {check.middleware_counted} API requests; the generator sent "
                  f"{check.generator_api_requests}")
    if result.fault:
        _print_fault(console, result.fault)
    console.print("SLO: " + ("[green]every request class met its SLO[/]" if not result.slo_violations
                             else f"[red]{len(result.slo_violations)} violation(s)[/]"))


def print_model(console: Console, target, folder: Path) -> None:
    """The queueing model of `oxh size` held against the run's steps: the groupware pool as the swept tier, the
    host's cores shared by every container and the generator. Only a cluster on this machine shares its cores."""
    from harness.cli.steps_table import steps_table
    from harness.sizing.step_model import Swept
    from harness.sizing.step_validation import check_run

    if target.kind != "docker" or target.access is None:
        console.print(f"queueing model: not held against this run ({target.name} does not run on this machine's "
                      f"cores, which the model shares among the tiers)")
        return
    cores = os.cpu_count() or 1
    members = len(target.access.layout.pool_members("oxcluster"))
    check = check_run(folder, Swept("middleware", members, float(cores)), cores)
    if not check.predictions:
        console.print("queueing model: not held against this run (it needs two steps that carried requests)")
        return
    console.print(steps_table([check], cores))


def _print_fault(console: Console, fault: FaultUnderLoad) -> None:
    console.print(f"fault {fault.scenario} at {fault.at:g} s on {', '.join(fault.nodes) or 'no node'}")
    for name, window in (("before", fault.before), ("during", fault.during), ("after", fault.after)):
        if window is not None:
            console.print(f"  {name}: error ratio {window.error_ratio:.1%}, worst p95 "
                          f"{_ms(window.worst_p95_ms)} ms over {window.seconds} s")
    if fault.injected_second is not None:
        back = fault.back_to_slo_seconds
        console.print(f"  back within the SLO {back:.0f} s after the heal" if back is not None
                      else "  [red]never back within the SLO after the heal[/]")
    console.print("  [green]the fault cost users nothing they could see[/]" if not fault.violations
                  else "  [red]" + "; ".join(fault.violations) + "[/]")


def _ms(value) -> str:
    return "–" if value is None else f"{value:.0f}"

