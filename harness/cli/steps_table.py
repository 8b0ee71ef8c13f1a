"""The queueing model held against every measured step, as a table for people: `oxh size` prints it for
each sweep point, `oxh load --shape steps` for its run on the whole cluster."""

from __future__ import annotations

from rich.table import Table

from harness.sizing.points import HOST_BOUND, SWEPT_SATURATED
from harness.sizing.step_model import p95_summary, summary
from harness.sizing.step_validation import PointCheck


def steps_table(checks: list[PointCheck], host_cores: int | None) -> Table:
    """Every measured step: the host's CPU, the swept nodes' against their quota, and the queueing model's
    throughput from the point's lightest step."""
    cores = f"{host_cores} cores" if host_cores else "cores (not recorded: this machine's)"
    table = Table(title=f"Every step: host CPU (share of the host's {cores}; above {HOST_BOUND:.0%} a step measured "
                        f"the host), the swept nodes' CPU (share of their quota; a point whose nodes stay below "
                        f"{SWEPT_SATURATED:.0%} up to its knee was bound elsewhere) and the queueing model (demands "
                        f"from each point's lightest step)", title_justify="left")
    for column in ("point", "users", "host CPU", "swept CPU", "busiest other", "measured req/s", "model req/s",
                   "error", "p95 measured / model", "model bottleneck"):
        table.add_column(column, justify="left" if column in ("point", "busiest other", "model bottleneck") else "right")
    for check in checks:
        label = f"{check.tier} ×{check.nodes} at {check.cores_each:g} core"
        if check.problem:
            table.add_row(label, "", "", "", "", "", "", "", "", check.problem)
        for step in check.steps:
            host = f"{step.host_share:.0%}" + (" [red]host-bound[/]" if step.host_bound else "")
            swept = "" if step.swept_share is None else f"{step.swept_share:.0%}"
            found = step.prediction
            table.add_row(label, str(step.users), host, swept, step.busiest_other, f"{step.measured:.1f}",
                          f"{found.predicted:.1f}" if found else "", f"{found.error:.0%}" if found else "",
                          _p95_cell(found), found.bottleneck if found else "demands measured here")
            label = ""
    predicted = [step for check in checks for step in check.steps if step.prediction]
    every = summary([step.prediction for step in predicted])
    free = [step.prediction for step in predicted if not step.host_bound]
    if every:
        unbound = (f"; on the {len(free)} steps the host did not bound: median {summary(free)[0]:.0%}, "
                   f"worst {summary(free)[1]:.0%}") if free else ""
        percentiles = p95_summary([step.prediction for step in predicted])
        p95 = ""
        if percentiles:
            p95 = (f"\np95 per request class (the swept tier simulated) over {percentiles[2]} class-steps: median "
                   f"error {percentiles[0]:.0%}, worst {percentiles[1]:.0%}; the p95 column shows the class whose p95 "
                   f"the model missed most. Assumed: exponential service in the swept tier, first come first served, "
                   f"classes sized by their medians on the point's lightest step (one mix cannot tell their CPU "
                   f"apart)")
        table.caption = (f"queueing model over {len(predicted)} steps: throughput median error {every[0]:.0%}, "
                         f"worst {every[1]:.0%}{unbound}{p95}")
    return table


def _p95_cell(prediction) -> str:
    if prediction is None or not prediction.p95:
        return ""
    worst = max(prediction.p95, key=lambda found: found.error)
    return f"{worst.name} {worst.measured_ms:.0f} / {worst.predicted_ms:.0f} ms"
