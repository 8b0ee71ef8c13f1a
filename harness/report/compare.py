"""Release over release: the figures of a run against a baseline run, with stated tolerances.

A run's figures are what its tests left (failover downtime and losses per
scenario, load percentiles and throughput, browser timings) and the
duration of every test that passed. A figure regressed when it moved the
wrong way by more than both its tolerances: a relative one (machines are
shared and noisy) and an absolute one (a 0.1 s outage doubling is no
regression). Counts of lost data have no tolerance. The default baseline is
the newest earlier run on the same target that qualified.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from harness.report.run_folder import load, runs, verdict_of
from harness.report.verdict import QUALIFIED


@dataclass(frozen=True)
class Tolerance:
    relative: float  # 0.5: 50 % worse is still within
    absolute: float  # in the figure's unit

    def describe(self, unit: str) -> str:
        return f"±{self.relative:.0%} and {self.absolute:g} {unit}".strip()


# By what a figure measures: its kind (the first word of its name) and its unit.
TOLERANCES: dict[tuple[str, str], Tolerance] = {
    ("failover", "s"): Tolerance(0.5, 1.0),
    ("failover", ""): Tolerance(0.0, 0.0),  # lost writes, lost mail, lost sessions
    ("duration", "s"): Tolerance(1.0, 5.0),
    ("load", "ms"): Tolerance(0.25, 20.0),
    ("load", "req/s"): Tolerance(0.15, 1.0),
    ("load", ""): Tolerance(0.5, 0.01),  # error ratios
    ("browser", "s"): Tolerance(0.5, 0.5),
    ("browser", ""): Tolerance(0.0, 0.0),  # accessibility violations
}
DEFAULT = Tolerance(0.5, 1.0)


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str = ""
    better: str = "lower"  # lower or higher

    @property
    def kind(self) -> str:
        return self.name.split(" ", 1)[0].rstrip(":")


@dataclass(frozen=True)
class Change:
    name: str
    baseline: float
    value: float
    unit: str
    better: str
    tolerance: str
    regressed: bool


@dataclass(frozen=True)
class Comparison:
    run: str
    baseline: str
    changes: list[Change]

    @property
    def regressions(self) -> list[Change]:
        return [change for change in self.changes if change.regressed]

    def save(self, folder: Path) -> Path:
        path = folder / "comparison.json"
        path.write_text(json.dumps({"run": self.run, "baseline": self.baseline,
                                    "changes": [asdict(change) for change in self.changes]}, indent=1))
        return path


def figures_of(folder: Path) -> dict[str, Figure]:
    _, results = load(folder)
    found: dict[str, Figure] = {}
    for test in results.get("tests", []):
        for figure in test.get("figures", []):
            if figure.get("value") is not None:
                found[figure["name"]] = Figure(figure["name"], float(figure["value"]), figure.get("unit", ""),
                                               figure.get("better", "lower"))
        if test["outcome"] == "passed":
            name = f"duration {test['nodeid']}"
            found[name] = Figure(name, round(test["duration"], 2), "s")
    return found


def regressed(figure: Figure, baseline: Figure, tolerance: Tolerance) -> bool:
    worse = figure.value - baseline.value if figure.better == "lower" else baseline.value - figure.value
    return worse > tolerance.absolute and worse > abs(baseline.value) * tolerance.relative


def compare(folder: Path, baseline: Path) -> Comparison:
    new, old = figures_of(folder), figures_of(baseline)
    changes = []
    for name in sorted(set(new) & set(old)):
        figure = new[name]
        tolerance = TOLERANCES.get((figure.kind, figure.unit), DEFAULT)
        changes.append(Change(name, old[name].value, figure.value, figure.unit, figure.better,
                              tolerance.describe(figure.unit), regressed(figure, old[name], tolerance)))
    return Comparison(folder.name, baseline.name, changes)


def default_baseline(folder: Path) -> Path | None:
    """The newest run before this one, on the same target, that qualified."""
    run, _ = load(folder)
    for candidate in reversed(runs()):
        if candidate.name >= folder.name:
            continue
        other, _ = load(candidate)
        if other.get("target") == run.get("target") and verdict_of(candidate).status == QUALIFIED:
            return candidate
    return None
