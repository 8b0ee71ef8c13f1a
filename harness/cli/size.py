"""`oxh size`: measured capacity → nodes, cores and RAM per tier for N users, against a sizing design.

`--measure` sweeps the reference project (brought up from the `sizing`
topology when it is not running) or, with `--target FILE --confirm NAME`, a
staging cluster by draining pool members; `--from RUN...` reuses earlier
sweeps. Prints the fit, its self-validation, the demand and a table per
tier; writes reports/<run>/sizing/ and re-renders that run's HTML report when
it has one. Exit code 0 when every tier of the design is enough and the N+1
proof held (or was not asked for), 1 otherwise, 2 for bad input.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from harness.errors import UserError
from harness.report.run_folder import RunFolder, reports_dir
from harness.sizing.errors import SizingError
from harness.models.sizing import SizingDesign
from harness.sizing.rehearsal import Scenario, SmallestDesign
from harness.sizing.result import SizingResult
from harness.sizing.points import CapacityPoint
from harness.cli.steps_table import steps_table
from harness.sizing.sweep import SweepSettings

if TYPE_CHECKING:
    from harness.sizing.rehearsal_run import Rehearsed


def _quotas(text: str | None, default: tuple[float, ...], flag: str = "--quotas") -> tuple[float, ...]:
    if not text:
        return default
    try:
        quotas = tuple(sorted({float(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise UserError(f"{flag} {text}: not a list of numbers", "write cores per node, e.g. 0.1,0.15") from None
    if not quotas or any(not 0 < q <= 4 for q in quotas):
        raise UserError(f"{flag} {text}: each quota must be above 0 and at most 4 cores", f"e.g. {flag} 0.1,0.15")
    return quotas


def _held_out_nodes(text: str | None, default: int | None) -> int | None:
    if text is None:
        return default
    if text.strip() == "none":
        return None
    if not text.strip().isdigit() or int(text) < 4:
        raise UserError(f"--held-out-nodes {text}: a pool size above the 1 to 3 members the fit is made on",
                        "give --held-out-nodes 4, or `none` to hold out the 3-member points")
    return int(text)


def _check_profile(design, name: str) -> None:
    """Refuse, before half an hour of measuring, a profile the design's demand cannot use or that sends nothing."""
    from harness.load.profile import load_profile
    from harness.sizing.demand import peak_demand
    from harness.sizing.sweep import requests_per_user_second

    profile = load_profile(name)
    if not any(user_class.protocol == "http" for user_class in profile.classes) or \
            requests_per_user_second(profile, 1) <= 0:
        raise SizingError(f"load profile {profile.name} has no HTTP API rates for the groupware pool to carry",
                          "measure with a profile of App Suite UI users, e.g. --profile webmail")
    peak_demand(design, profile)


def _run_folder(name: str) -> Path:
    path = Path(name)
    if not path.is_dir():
        path = reports_dir() / name
    if not path.is_dir():
        raise SizingError(f"no run {name!r} (neither a folder nor a run id under {reports_dir()})",
                          "give a run id from reports/ or a run folder's path")
    return path


def _target(console: Console, args: argparse.Namespace, project: str):
    from harness.cli.qualify import resolve_target

    def may_sweep(name: str, policy) -> None:
        policy.check_may_change(name, args.confirm, "a capacity sweep (it drains pool members)")

    return resolve_target(console, project, args.target, args.topology, check=may_sweep)


def run_size_command(console: Console, args: argparse.Namespace, project: str) -> int:
    from harness.sizing.demand import own_scalings
    from harness.sizing.report import render
    from harness.sizing.sizing_run import (check_steps, measure, measured_scaling, model, read_sweeps,
                                           sized_points, write_outputs)
    from harness.load.profile import load_profile
    from harness.sizing.rehearsal_run import rehearse_design
    from harness.models.sizing import load_sizing

    started = time.monotonic()
    if args.users < 1:
        raise UserError(f"--users {args.users}: at least one user", "give the installation's user count")
    if args.measure and args.from_runs:
        raise UserError("--measure and --from both given", "measure now, or reuse earlier sweeps, not both")
    if not args.measure and not args.from_runs:
        raise UserError("no capacity to size from", "measure it (oxh size --measure, about 30 minutes) or reuse a "
                                                    "sweep (oxh size --from RUN)")
    design = load_sizing(args.design)
    runs = [_run_folder(name) for name in args.from_runs]
    into = _run_folder(args.run) if args.run else None
    if args.measure:
        _check_profile(design, args.profile)
        if args.hold < 5:
            raise UserError(f"--hold {args.hold:g}: a step needs at least 5 s to say anything", "give --hold 5 or more")
        if not 1 <= args.repeats <= 5:
            raise UserError(f"--repeats {args.repeats}: between 1 and 5 runs per point",
                            "give --repeats 2 (a median and a spread) or 1 (a quick look)")
        defaults = SweepSettings()
        settings = SweepSettings(profile=args.profile, quotas=_quotas(args.quotas, defaults.quotas),
                                 imap_quotas=_quotas(args.imap_quotas, defaults.imap_quotas, "--imap-quotas"),
                                 hold_seconds=args.hold, repeats=args.repeats,
                                 held_out_nodes=_held_out_nodes(args.held_out_nodes, defaults.held_out_nodes),
                                 core_quotas=() if (args.core_quotas or "").strip() == "none"
                                 else _quotas(args.core_quotas, defaults.core_quotas, "--core-quotas"),
                                 sync_quotas=() if (args.sync_quotas or "").strip() == "none"
                                 else _quotas(args.sync_quotas, defaults.sync_quotas, "--sync-quotas"))
        target = _target(console, args, project)
        folder = (into or RunFolder.new().path) / "sizing"
        console.print(f"sizing run {folder.parent.name} against {target.name}; results in {folder}/", soft_wrap=True)
        sweep = measure(target, settings, folder, console.print, proof=not args.no_proof, confirm=args.confirm,
                        utilisation=design.demand.target_utilisation.value)
    else:
        sweep = read_sweeps(runs)
        sweep_run = runs[0] if len(runs) == 1 else None
        folder = (into or sweep_run or RunFolder.new().path) / "sizing"
    checks = check_steps(sweep)
    points = sized_points(sweep, checks)
    design, per_core = measured_scaling(design, points, sweep.workers)
    result = model(design, args.users, sweep, points)
    rehearsal = (rehearse_design(design, args.users, load_profile(sweep.profile), checks, result)
                 if args.rehearse else None)
    record = write_outputs(result, design, sweep, folder, time.monotonic() - started, checks, per_core, rehearsal)
    render(result, console)
    console.print(f"measured: {sweep.software}", soft_wrap=True)
    console.print("per-core scaling: " + (
        "; ".join(f"{', '.join(names)}: {factor.source}" for factor, names in own_scalings(design))
        + "; every other tier: the design's factor"
        if not isinstance(per_core, str) else f"not measured ({per_core}); the design's factor kept"),
        soft_wrap=True, highlight=False)
    _print_points(console, sweep, points)
    console.print(steps_table(checks, sweep.host_cores))
    _print_proof(console, sweep.proof)
    _rerender(folder.parent)
    console.print(f"sizing written to {folder}/ (sizing.json, design.yaml, {', '.join(record['plots'])}); "
                  f"sweep {sweep.seconds / 60:.1f} min, this command {record['wall_seconds'] / 60:.1f} min",
                  soft_wrap=True)
    short = [plan for plan in result.tiers if plan.verdict.startswith(("short", "refused"))]
    proof_failed = sweep.proof is not None and not sweep.proof.holds
    broken = False
    if rehearsal:
        for table in rehearsal_tables(rehearsal.scenarios, design.name, args.users):
            console.print(table)
        _print_demands(console, rehearsal)
        console.print(smallest_table(rehearsal.smallest, design, result))
        if rehearsal.count_range:
            console.print(rehearsal.count_range.text(), highlight=False, soft_wrap=True)
        for problem in rehearsal.smallest.problems:
            console.print(f"[red]no design holds the rehearsal[/]: {problem}", highlight=False, soft_wrap=True)
        broken = not all(scenario.holds for scenario in rehearsal.scenarios) or not rehearsal.smallest.holds
    return 1 if short or proof_failed or broken or result.untrusted else 0


def _print_points(console: Console, sweep, points: list[CapacityPoint]) -> None:
    console.print("measured runs (throughput at SLO):")
    for run in sweep.runs:
        capacity = run["capacity"]
        flag = " [red]generator-bound: left out[/]" if run.get("generator_bound") else ""
        console.print(f"  {run['tier']} ×{run['nodes']} at {run['cpu_per_node']:g} core: {capacity['note']}{flag}",
                      soft_wrap=True)
    if points:
        console.print("points fitted (the median of their runs), with the host's CPU and the swept nodes' up to the "
                      "knee:")
    for point in points:
        runs = (f"runs {', '.join(f'{value:.1f}' for value in point.repeats)}; spread {point.spread:.0%}; "
                if point.repeats else "")
        host = "host not read" if point.host_share is None else f"host {point.host_share:.0%}"
        swept = "" if point.swept_share is None else f", nodes at {point.swept_share:.0%} of their quota"
        flag = (" [red]host-bound[/]" if point.host_bound else "") + (
            f" [red]bound elsewhere ({point.busiest_other or 'not in CPU'})[/]" if point.bound_elsewhere else "")
        console.print(f"  {point.tier} ×{point.nodes} at {point.cpu_per_node:g} core: {point.throughput:.1f} "
                      f"{point.units} ({runs}{host}{swept}){flag}", highlight=False, soft_wrap=True)


def rehearsal_tables(scenarios: list[Scenario], design: str, users: int) -> list[Table]:
    """The design whole, tier by tier; then every single failure with its verdict."""
    whole = scenarios[0]
    flows = "".join(f"; {flow.name}: {flow.rate:,.0f} req/s, SLO p95 {flow.slo_p95_ms:.0f} ms" for flow in whole.others)
    tiers = Table(title=f"Rehearsal of {design} for {users:,} users at its peak: every node serving "
                        f"(p95 per tier in an M/M/c queue; SLO p95 {whole.slo_p95_ms:.0f} ms{flows})",
                  title_justify="left")
    for column in ("tier", "serving nodes", "cores", "CPU-ms per request", "busy", "p95 ms",
                   *(f"p95 ms of {flow.name}" for flow in whole.others)):
        tiers.add_column(column, justify="left" if column == "tier" else "right")
    for tier in whole.tiers:
        measured = tier.demand is not None
        tiers.add_row(tier.tier, str(tier.serving_nodes), str(tier.cores),
                      f"{tier.demand * 1000:.2f}" if measured else
                      "not in the mix" + (" (other flows only)" if tier.utilisation else ""),
                      f"{tier.utilisation:.0%}" if tier.utilisation is not None else "",
                      f"{tier.p95_ms:.0f}" if tier.p95_ms is not None else "",
                      *(f"{tier.others_p95_ms[flow.name]:.0f}" if flow.name in tier.others_p95_ms else ""
                        for flow in whole.others))
    failures = Table(title="Rehearsal: each single failure", title_justify="left")
    failures.add_column("scenario")
    failures.add_column("verdict")
    for scenario in scenarios:
        colour = "green" if scenario.holds else "red"
        notes = f" ({'; '.join(scenario.notes)})" if scenario.notes else ""
        failures.add_row(scenario.name, f"[{colour}]{scenario.verdict()}[/]{notes}")
    return [tiers, failures]


def _print_demands(console: Console, rehearsal: Rehearsed) -> None:
    """The CPU per request each role's rehearsal rests on, with its interval and how well the steps fit it."""
    console.print("CPU per request of the mix, the slope of each tier's CPU over the throughput of the groupware "
                  "points' steps:", highlight=False)
    for role, found in rehearsal.demands.items():
        console.print(f"  {role}: {_demand_text(found)}", highlight=False)
    if rehearsal.sync_demands:
        console.print("CPU per DAV request of the sync clients, over the steps of the sync pool's points:",
                      highlight=False)
        for role, found in rehearsal.sync_demands.items():
            console.print(f"  {role}: {_demand_text(found)}", highlight=False)
    for note in rehearsal.notes:
        console.print(f"[yellow]{note}[/]", highlight=False, soft_wrap=True)


def _demand_text(found) -> str:
    figures = f"{found.seconds * 1000:.2f} ms"
    if found.interval:
        low, high = found.interval
        fitted = f", r² {found.r_squared:.2f}" if found.r_squared is not None else ", its CPU never moved"
        figures += f" [{low * 1000:.2f} – {high * 1000:.2f}] over {found.steps} steps{fitted}"
    else:
        figures += f" (one step's ratio, {found.steps} step(s))"
    return f"{figures}; idle {found.idle_cores:.2f} core"


def smallest_table(smallest: SmallestDesign, design: SizingDesign, result: SizingResult) -> Table:
    """Per tier: the vendor's count, the capacity division's, where the rehearsal's search started and the
    smallest count that holds the rehearsal."""
    division = {plan.name: plan for plan in result.tiers}
    table = Table(title="The smallest design that holds the rehearsal (every single failure, every tier under the "
                        f"target utilisation {design.demand.target_utilisation.value:.0%}): written to design.yaml",
                  title_justify="left")
    for column in ("tier", "vendor design", "capacity division", "search started from", "rehearsal's smallest"):
        table.add_column(column, justify="left" if column == "tier" else "right")
    for name, tier in design.tiers.items():
        plan = division.get(name)
        divided = ("refused" if plan and plan.refused else str(plan.nodes) if plan and plan.nodes else "–")
        if plan and result.doubted(plan):
            divided += " (fit not trusted)"
        start = smallest.floors.get(name)
        found = (str(smallest.counts[name]) if name in smallest.counts
                 else "kept: refused" if plan and plan.refused
                 else f"{plan.nodes}: the capacity division's (no flow passes it)" if plan and plan.nodes
                 else "kept: not in the mix or not measured")
        table.add_row(name, str(tier.count), divided, f"{start.nodes}: {start.why}" if start else "–", found)
    return table


def _print_proof(console: Console, proof) -> None:
    if proof is None:
        console.print("N+1 proof: [yellow]not made[/] (--no-proof, or no pool with a node fewer was measured)")
        return
    head = (f"N+1 proof: {proof.nodes} groupware nodes at {proof.cpu_per_node:g} core under {proof.load_per_second:.1f}"
            f"/s ({proof.users} users; {proof.nodes - 1} node(s) at the target utilisation {proof.utilisation:g}), "
            f"{', '.join(proof.killed) or 'no node'} killed: ")
    figures = (f"p95 {proof.steady_p95_ms:.0f} ms, error ratio {proof.error_ratio_during:.1%} with the node gone"
               if proof.steady_p95_ms is not None and proof.error_ratio_during is not None else "")
    if proof.holds:
        console.print(head + f"[green]the SLO held[/] ({figures})")
    else:
        console.print(head + "[red]the N+1 claim failed[/]: " + "; ".join(proof.reasons))


def _rerender(run: Path) -> None:
    """The run's HTML report shows the sizing when the run has a report (a qualify run measured into)."""
    if (run / "results.json").is_file():
        from harness.report.render import render

        render(run)
