"""`oxh report RUN` and `oxh compare RUN [BASELINE]`: a run folder rendered again, or compared with a baseline."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness.errors import UserError
from harness.report.render import render
from harness.report.run_folder import find_run


def compare_with(console: Console, folder: Path, baseline: Path) -> list:
    """Compare a run folder with a baseline, save comparison.json, print it; the regressions."""
    from harness.report.compare import compare

    comparison = compare(folder, baseline)
    comparison.save(folder)
    print_comparison(console, comparison)
    return comparison.regressions


def print_comparison(console: Console, comparison) -> None:
    shown = [c for c in comparison.changes if c.regressed or not c.name.startswith("duration")]
    table = Table(title=f"{comparison.run} against {comparison.baseline}", title_justify="left")
    for column in ("figure", "baseline", "this run", "tolerance", ""):
        table.add_column(column)
    for change in shown:
        table.add_row(change.name, f"{change.baseline:g} {change.unit}", f"{change.value:g} {change.unit}",
                      change.tolerance, "[red]regressed[/]" if change.regressed else "[green]within[/]")
    console.print(table)
    worse = comparison.regressions
    console.print(f"[bold {'red' if worse else 'green'}]{len(worse)} regression(s)[/] among "
                  f"{len(comparison.changes)} figure(s)", highlight=False)


def rerender(console: Console, run: str) -> int:
    console.print(f"report: {render(find_run(run))}")
    return 0


def run_compare(console: Console, run: str, baseline: str | None) -> int:
    from harness.report.compare import compare, default_baseline

    folder = find_run(run)
    base = find_run(baseline) if baseline else default_baseline(folder)
    if base is None:
        raise UserError(f"no earlier run on the same target qualified, so {folder.name} has no baseline",
                        "name one: oxh compare RUN BASELINE")
    comparison = compare(folder, base)
    print_comparison(console, comparison)
    return 1 if comparison.regressions else 0
