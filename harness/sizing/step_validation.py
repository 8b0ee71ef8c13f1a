"""The queueing model and the host, read against every measured step of a sweep.

For each point of a sweep, from the files its own load run left beside the
sweep (`results.json`: the steps with each tier's CPU; `resources.csv`: the
CPU of every container and of the generator, second by second): the host's
CPU during each step, as a share of the host's cores (a step above
`HOST_BOUND` measured the host, not the swept tier), the swept nodes' CPU
as a share of their quota (below `SWEPT_SATURATED` up to the knee, the
point's limit lay elsewhere) with the busiest node outside them, and the queueing
model's throughput for every step but the lightest, from the demands of the
lightest (harness.sizing.step_model).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from statistics import mean
from typing import Any

from harness.load.load_result import StepResult
from harness.sizing.points import HOST_BOUND, CapacityPoint
from harness.sizing.step_model import StepPrediction, Swept, p95_summary, predict, summary


@dataclass(frozen=True)
class StepCheck:
    step: StepResult
    host_share: float  # the host's CPU during the step, as a share of its cores
    prediction: StepPrediction | None  # None on the lightest step, whose demands the model takes
    swept_share: float | None = None  # the swept nodes' CPU during the step, as a share of their quota
    busiest_other: str = ""  # the busiest node outside the swept ones (the generator aside), with its CPU

    @property
    def users(self) -> int:
        return self.step.users

    @property
    def measured(self) -> float:
        """Requests per second."""
        return self.step.rps

    @property
    def host_bound(self) -> bool:
        return self.host_share > HOST_BOUND


@dataclass
class PointCheck:
    folder: str
    tier: str
    nodes: int
    cores_each: float
    steps: list[StepCheck] = field(default_factory=list)
    problem: str = ""  # why the point could not be read

    @property
    def predictions(self) -> list[StepPrediction]:
        return [step.prediction for step in self.steps if step.prediction is not None]

    @property
    def host_bound(self) -> bool:
        return any(step.host_bound for step in self.steps)

    def to_dict(self) -> dict[str, Any]:
        errors, percentiles = summary(self.predictions), p95_summary(self.predictions)
        return {"folder": self.folder, "tier": self.tier, "nodes": self.nodes, "cores_each": self.cores_each,
                "problem": self.problem, "host_bound": self.host_bound,
                "steps": [{"users": step.users, "host_share": step.host_share, "swept_share": step.swept_share,
                           "busiest_other": step.busiest_other, "measured": round(step.measured, 2),
                           "predicted": round(step.prediction.predicted, 2) if step.prediction else None,
                           "bottleneck": step.prediction.bottleneck if step.prediction else None,
                           "p95_ms": {found.name: {"measured": round(found.measured_ms, 1),
                                                   "predicted": round(found.predicted_ms, 1)}
                                      for found in step.prediction.p95} if step.prediction else {}}
                          for step in self.steps],
                "median_error": round(errors[0], 4) if errors else None,
                "worst_error": round(errors[1], 4) if errors else None,
                "p95_median_error": round(percentiles[0], 4) if percentiles else None,
                "p95_worst_error": round(percentiles[1], 4) if percentiles else None}


def check_points(folders: list[Path], runs: list[dict[str, Any]], host_cores: int) -> list[PointCheck]:
    """One PointCheck per measured run of the sweep (`folders`: where the sweep's point folders may be)."""
    checks = []
    for run in runs:
        swept = Swept(run["tier"], run["nodes"], run["cpu_per_node"])
        found = point_folder(folders, run)
        if found is None:
            checks.append(PointCheck(run["folder"], swept.tier, swept.members, swept.cores_each,
                                     problem="its load run's files are not beside the sweep"))
            continue
        checks.append(check_run(found, swept, host_cores))
    return checks


def check_run(folder: Path, swept: Swept, host_cores: int) -> PointCheck:
    """The host's CPU, the swept nodes' and the queueing model on every step of one stepped load run (its
    results.json and resources.csv in `folder`): a sweep point's, or an `oxh load --shape steps` run's on the
    whole cluster (which names no swept members, so its steps have no swept share)."""
    check = PointCheck(folder.name, swept.tier, swept.members, swept.cores_each)
    steps = read_steps(folder)
    members = swept_members(folder)
    host, generator, nodes = cpu_per_step(folder / "resources.csv", steps)
    predicted = {p.users: p for p in predict(steps, swept, host_cores, generator)}
    check.steps = sorted((StepCheck(step, round(total / 100 / host_cores, 3), predicted.get(step.users),
                                    *swept_cpu(per_node, members, swept.cores_each))
                          for step, total, per_node in zip(steps, host, nodes)), key=lambda found: found.users)
    return check


def swept_cpu(per_node: dict[str, float], members: list[str], cores_each: float) -> tuple[float | None, str]:
    """The swept nodes' CPU (percent of one core per node) as a share of their quota, and the busiest other node
    with its CPU; (None, "") without swept members or CPU samples of them."""
    if not members or not any(member in per_node for member in members):
        return None, ""
    share = sum(per_node.get(member, 0.0) for member in members) / 100 / (len(members) * cores_each)
    others = {node: percent for node, percent in per_node.items() if node not in members}
    busiest = max(others, key=others.get, default=None)
    return round(share, 3), (f"{busiest} at {others[busiest]:.0f} % of a core" if busiest else "")


def with_host_shares(points: list[CapacityPoint], checks: list[PointCheck]) -> list[CapacityPoint]:
    """The points, each with the host's and the swept nodes' CPU up to its knee: the highest share of the steps
    up to the first that carried the point's throughput, and the busiest other node on that step. A point whose
    steps were not read keeps None, as does one whose folder name several sweeps share (a point names its
    folder, not its sweep)."""
    names = [check.folder for check in checks]
    by_folder = {check.folder: check for check in checks if check.steps and names.count(check.folder) == 1}
    found = []
    for point in points:
        check = by_folder.get(point.run)
        if check is None:
            found.append(point)
            continue
        upto = []
        for step in check.steps:  # sorted by users
            upto.append(step)
            if step.measured >= point.throughput:
                break
        swept = [step.swept_share for step in upto if step.swept_share is not None]
        found.append(replace(point, host_share=max(step.host_share for step in upto),
                             swept_share=max(swept) if swept else None, busiest_other=upto[-1].busiest_other))
    return found


def point_folder(folders: list[Path], run: dict[str, Any]) -> Path | None:
    """Where a sweep point's own load run is kept (its results.json), if it still is."""
    return next((folder / run["folder"] for folder in folders if (folder / run["folder"] / "results.json").is_file()),
                None)


def swept_members(folder: Path) -> list[str]:
    """The nodes a sweep point loaded (its results.json's `point`); [] for a run that swept none."""
    results = json.loads((folder / "results.json").read_text())
    return list((results.get("point") or {}).get("members") or [])


def read_steps(folder: Path) -> list[StepResult]:
    """A point's steps, from its results.json."""
    results = json.loads((folder / "results.json").read_text())
    return [StepResult.model_validate({key: value for key, value in step.items() if key != "rps"})
            for step in results.get("steps", [])]


def cpu_per_step(path: Path, steps: list[StepResult]) -> tuple[list[float], dict[int, float],
                                                              list[dict[str, float]]]:
    """Per step, the mean CPU of the whole host (every container and the generator, percent of one core), the
    generator's alone by step index, and each container's mean by node name: each node's mean over the
    step, summed over the nodes (the file's times are rounded to a tenth, so seconds are not slotted)."""
    rows: list[tuple[float, str, bool, float]] = []  # (time, node, is the generator, percent)
    if path.is_file():
        with path.open() as handle:
            for row in csv.DictReader(handle):
                try:
                    rows.append((float(row["time"]), row["node"], row.get("role") == "generator",
                                 float(row["cpu_percent"])))
                except (KeyError, TypeError, ValueError):
                    continue
    host, generator, nodes = [], {}, []
    for step in steps:
        per_node: dict[tuple[str, bool], list[float]] = {}
        for at, node, is_generator, percent in rows:
            if step.start <= at <= step.end:
                per_node.setdefault((node, is_generator), []).append(percent)
        host.append(sum(mean(values) for values in per_node.values()))
        generator[step.index] = sum(mean(values) for (_, is_generator), values in per_node.items() if is_generator)
        nodes.append({node: mean(values) for (node, is_generator), values in per_node.items() if not is_generator})
    return host, generator, nodes
