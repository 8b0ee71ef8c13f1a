"""Plots of a sizing result (matplotlib, PNG): the USL fit per measured tier, and capacity against demand.

The fit plot shows, per CPU quota, the fitted curve over the node count with
its bootstrap band, the measured points, and the held-out points with the
prediction of the fit that did not see them (interval and error). The
capacity plot shows, per extrapolated tier, the peak demand against what the
planned pool carries with all nodes up and after a failure, at target
utilisation, and what the vendor's count would carry.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
import numpy as np  # noqa: E402

from harness.sizing.tier_plan import MEASURED  # noqa: E402
from harness.sizing.result import SizingResult  # noqa: E402
from harness.sizing.usl import UslFit  # noqa: E402
from harness.sizing.validation import Validation  # noqa: E402

SIZE = (10, 5)
MOST_NODES_SHOWN = 24


CAPTION_WIDTH = 150  # characters per line of a caption under the plot
CAPTION_LINES = 4


def _save(figure, path: Path, caption: str = "") -> Path:
    """Write the figure; a caption (the validation's verdict) goes under the axes, wrapped, never over them."""
    if caption:
        lines = textwrap.wrap(caption, CAPTION_WIDTH)
        if len(lines) > CAPTION_LINES:
            lines = lines[:CAPTION_LINES - 1] + [lines[CAPTION_LINES - 1][:CAPTION_WIDTH - 2] + " …"]
        figure.text(0.01, 0.01, "\n".join(lines), fontsize="small", color="crimson", va="bottom")
        figure.tight_layout(rect=(0, 0.035 * len(lines) + 0.02, 1, 1))
    else:
        figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def _nodes_shown(fit: UslFit) -> int:
    measured = max(point.nodes for point in fit.points)
    wanted = fit.n_star + 1 if fit.n_star else measured + 2
    return max(3, measured, min(wanted, MOST_NODES_SHOWN))


def plot_fit(fit: UslFit, validation: Validation | None, path: Path) -> Path:
    figure, axis = plt.subplots(figsize=SIZE)
    shown = _nodes_shown(fit)
    smooth = np.linspace(1, shown, 200)
    whole = np.arange(1, shown + 1)
    quotas = sorted({point.cpu_per_node for point in fit.points})
    colours = plt.get_cmap("viridis")(np.linspace(0.1, 0.85, len(quotas)))
    for quota, colour in zip(quotas, colours):
        axis.plot(smooth, fit.throughput(smooth, quota), color=colour, label=f"fit, {quota:g} cores per node")
        if len(fit.draws):
            bands = [fit.predict(int(n), quota).curve for n in whole]
            axis.fill_between(whole, [b.low for b in bands], [b.high for b in bands], color=colour, alpha=0.15)
        mine = [p for p in fit.points if p.cpu_per_node == quota]
        axis.scatter([p.nodes for p in mine], [p.throughput for p in mine], color=colour, edgecolor="black", zorder=3)
    if fit.excluded:
        axis.scatter([p.nodes for p, _ in fit.excluded], [p.throughput for p, _ in fit.excluded], marker="v",
                     color="grey", zorder=3, label="generator-bound (left out)")
    for index, check in enumerate(validation.held_out if validation else ()):
        point, interval = check.point, check.prediction.interval if check.prediction else None
        axis.scatter([point.nodes], [point.throughput], marker="s", facecolor="none", edgecolor="crimson", s=60,
                     zorder=4, label="held out, measured" if index == 0 else None)
        error = None if interval is None else [[check.predicted - interval.low], [interval.high - check.predicted]]
        axis.errorbar([point.nodes + 0.08], [check.predicted], yerr=error, fmt="x", color="crimson", capsize=3,
                      zorder=4, label="held out, predicted without it" if index == 0 else None)
        axis.annotate(f"{check.error:+.1%}", (point.nodes + 0.12, check.predicted), fontsize="small", color="crimson")
    if fit.n_star and fit.n_star <= shown:
        axis.axvline(fit.n_star, color="grey", ls=":", label=f"N* = {fit.n_star}")
    peak = f"N* = {fit.n_star}" if fit.n_star else "no peak"
    axis.set_title(f"{fit.tier}: {fit.model.upper()} fit, σ = {fit.sigma:.3g}, κ = {fit.kappa:.3g}, "
                   f"λ = {fit.per_core:,.1f} {fit.units} per core, {peak}")
    axis.set_xlabel("nodes in the pool")
    axis.set_ylabel(f"throughput at SLO ({fit.units})")
    axis.set_xticks(whole)
    axis.set_ylim(bottom=0)
    axis.legend(fontsize="small")
    return _save(figure, path, validation.verdict() if validation is not None else "")


def plot_capacity(result: SizingResult, path: Path) -> Path | None:
    """Demand against capacity per extrapolated tier; None when no tier was extrapolated."""
    planned = [plan for plan in result.tiers if plan.nodes is not None]
    if not planned:
        return None
    figure, axes = plt.subplots(1, len(planned), figsize=(5 * len(planned), 4.5), squeeze=False)
    utilisation = next(f.value for f in result.planning_factors if f.name == "target_utilisation")
    for axis, plan in zip(axes[0], planned):
        fit = result.fits[MEASURED[plan.name]]
        units, need = next(iter(plan.demand.items()))
        cores = plan.cores * plan.per_core_scaling
        bars = {
            "peak demand": need,
            f"{plan.nodes} nodes, all up": float(fit.throughput(plan.nodes, cores)) * utilisation,
            f"{plan.nodes - plan.lost_in_failure} after a failure": float(
                fit.throughput(plan.nodes - plan.lost_in_failure, cores)) * utilisation,
            f"vendor's {plan.vendor_count} nodes": float(fit.throughput(plan.vendor_count, cores)) * utilisation,
        }
        colours = ["tab:red", "tab:blue", "tab:cyan", "tab:gray"]
        axis.bar(range(len(bars)), list(bars.values()), color=colours)
        axis.set_xticks(range(len(bars)), list(bars), rotation=20, ha="right", fontsize="small")
        axis.set_ylabel(f"{units} (capacity at {utilisation:.0%} utilisation)")
        axis.set_title(f"{plan.name}: {plan.verdict} (bound by {plan.bound_by})")
    figure.suptitle(f"{result.design}: peak demand against capacity at SLO ({result.users:,} users)")
    return _save(figure, path)


def plot_all(result: SizingResult, folder: Path) -> list[Path]:
    """Every plot the result has data for, written to `folder`; returns their files."""
    folder.mkdir(parents=True, exist_ok=True)
    made = [plot_fit(fit, result.validations.get(tier), folder / f"usl_{tier}.png")
            for tier, fit in result.fits.items()]
    capacity = plot_capacity(result, folder / "capacity_per_tier.png")
    return made + ([capacity] if capacity else [])
