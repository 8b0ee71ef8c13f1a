"""A sizing result for people: the fit per measured tier, the demand factors, the plan per tier (rich tables)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from harness.sizing.tier_plan import TierPlan
from harness.sizing.result import SizingResult
from harness.sizing.usl import Interval


def _with_interval(value: float, interval: Interval | None, digits: str) -> str:
    text = format(value, digits)
    return f"{text} [{format(interval.low, digits)} – {format(interval.high, digits)}]" if interval else text


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def fit_table(result: SizingResult) -> Table:
    level = next(iter(result.fits.values())).level if result.fits else 0.9
    table = Table(title=f"Scalability fit per measured tier ({level:.0%} bootstrap intervals)", title_justify="left")
    for column in ("tier", "model", "σ", "κ", "λ per core", "N*", "held-out error", "leave-one-out median / max",
                   "run-to-run spread median / max"):
        table.add_column(column)
    for tier, fit in result.fits.items():
        check = result.validations[tier]
        table.add_row(tier, fit.model, _with_interval(fit.sigma, fit.sigma_interval, ".3g"),
                      _with_interval(fit.kappa, fit.kappa_interval, ".3g"),
                      _with_interval(fit.per_core, fit.per_core_interval, ",.1f") + f" {fit.units}",
                      str(fit.n_star) if fit.n_star else "no peak", _percent(check.held_out_max_error),
                      f"{_percent(check.loo_median_error)} / {_percent(check.loo_max_error)}",
                      f"{_percent(check.spread[0])} / {_percent(check.spread[1])}" if check.spread else "one run")
    return table


def factor_table(result: SizingResult) -> Table:
    demand = result.demand
    sync = (f", and {demand.of_protocols('dav'):,.0f} req/s from {demand.sync_clients:,.0f} sync clients"
            if demand.sync_clients else "")
    table = Table(title=f"Demand of {result.users:,} users: {demand.requests_per_second:,.0f} req/s at peak "
                        f"from {demand.sessions:,.0f} sessions{sync}", title_justify="left")
    for column in ("factor", "value", "source"):
        table.add_column(column)
    for factor in (*result.demand.factors, *result.planning_factors):
        style = "yellow" if factor.is_assumption else None
        table.add_row(factor.name, f"{factor.value:g}", factor.source, style=style)
    return table


def _needed(plan: TierPlan) -> str:
    low, high = plan.nodes_interval or (None, None)  # the count over the fit's draws (tier_plan.CountSpread)
    spread = "" if low is None else f" [{low} – {'refused' if high is None else high}]"
    if plan.nodes is None:
        return "–" + spread
    return f"{plan.nodes} ({plan.for_demand} + {plan.nodes - plan.for_demand} spare){spread}"


def _ram(plan: TierPlan) -> str:
    needed = "–" if plan.ram_gib is None else f"{plan.ram_gib:.1f}"
    return f"{needed} / {plan.vendor_ram_gib}"


def plan_table(result: SizingResult) -> Table:
    table = Table(title="Nodes per tier against the vendor design", title_justify="left")
    for column in ("tier", "basis", "peak demand", "per node at SLO", "needed nodes", "vendor", "cores",
                   "RAM GiB need / vendor", "verdict"):
        table.add_column(column)
    for plan in result.tiers:
        demand = ", ".join(f"{value:,.1f} {units}" for units, value in plan.demand.items()) or "–"
        per_node = "–" if plan.capacity_per_node is None else f"{plan.capacity_per_node:,.0f}"
        style = "red" if plan.refused else ("yellow" if plan.verdict.startswith("short") else None)
        table.add_row(plan.name, plan.basis, demand, per_node, _needed(plan), str(plan.vendor_count),
                      str(plan.cores), _ram(plan), plan.verdict, style=style)
    return table


def render(result: SizingResult, console: Console) -> None:
    """Every table, the validation verdicts, the notes and the refusals."""
    console.print(fit_table(result))
    for tier, check in result.validations.items():
        console.print(f"{tier}: {check.verdict()}", soft_wrap=True)
        for reason in check.not_done:
            console.print(f"  [yellow]{reason}[/]", highlight=False)
    for tier, fit in result.fits.items():
        console.print(f"{tier}: {fit.model}: {fit.reason}", highlight=False)
        for point, why in fit.excluded:
            console.print(f"  left out {point.run}: {why}", highlight=False)
    console.print(factor_table(result))
    console.print(plan_table(result))
    for plan in result.tiers:
        for note in plan.notes:
            console.print(f"{plan.name}: {note}", highlight=False)
    for refusal in result.refused:
        console.print(f"[red]REFUSED[/] {refusal}", highlight=False)
    for doubt in result.untrusted:
        console.print(f"[red]NOT TRUSTED[/] {doubt}: the node counts built on it are not a design to buy", highlight=False)
