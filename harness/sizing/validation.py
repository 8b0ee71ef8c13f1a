"""Self-validation of the scalability fit: predict points the fit has not seen.

Held out: the fit on the smaller pools (the points not marked `held_out`, or,
when none is marked, those below the largest node count) predicts the
largest pool's points; each gets its predicted value, prediction interval,
relative error and whether the measurement fell inside the interval.
Leave-one-out: each point predicted by a fit on all the others. The target
(at most 15 % error, inside the prediction interval) is reported as met or
not; nothing is tuned to meet it. A fit that misses its held-out points
makes the sizing untrusted, and so does one that could not be checked on the
points measured to be held out (each was left out, or no fit remained
without them): an unchecked fit is not a validated one.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any, Sequence

from harness.sizing.errors import SizingError
from harness.sizing.points import CapacityPoint
from harness.sizing.repeats import spread_summary
from harness.sizing.usl import LEVEL, Prediction, fit_usl, usable_points

TARGET_ERROR = 0.15


@dataclass(frozen=True)
class Check:
    """One measured point against its prediction by a fit that did not see it."""

    point: CapacityPoint
    predicted: float
    prediction: Prediction | None = None

    @property
    def error(self) -> float:
        """Relative error of the prediction: predicted / measured − 1."""
        return self.predicted / self.point.throughput - 1

    @property
    def inside(self) -> bool | None:
        interval = self.prediction.interval if self.prediction else None
        return interval.contains(self.point.throughput) if interval else None

    def to_dict(self) -> dict[str, Any]:
        interval = self.prediction.interval if self.prediction else None
        return {"nodes": self.point.nodes, "cpu_per_node": self.point.cpu_per_node, "run": self.point.run,
                "measured": self.point.throughput, "predicted": self.predicted, "error": self.error,
                "interval": interval.to_list() if interval else None, "inside": self.inside}


def _worst(checks: Sequence[Check]) -> float | None:
    return max((abs(check.error) for check in checks), default=None)


@dataclass(frozen=True)
class Validation:
    held_out: tuple[Check, ...]
    held_out_model: str  # the training fit's model and why
    leave_one_out: tuple[Check, ...]
    not_done: tuple[str, ...]  # why a part could not be done
    target: float = TARGET_ERROR
    spread: tuple[float, float, int] | None = None  # run-to-run (median, highest, points); None: each ran once
    planned: bool = False  # the sweep measured points to hold out (a pool larger than the fit's)

    @property
    def held_out_max_error(self) -> float | None:
        return _worst(self.held_out)

    @property
    def loo_median_error(self) -> float | None:
        errors = [abs(check.error) for check in self.leave_one_out]
        return statistics.median(errors) if errors else None

    @property
    def loo_max_error(self) -> float | None:
        return _worst(self.leave_one_out)

    @property
    def target_met(self) -> bool | None:
        """Every held-out point within the target error; None when nothing was held out."""
        worst = self.held_out_max_error
        return None if worst is None else worst <= self.target

    @property
    def loo_target_met(self) -> bool | None:
        worst = self.loo_max_error
        return None if worst is None else worst <= self.target

    @property
    def unchecked(self) -> bool:
        """Points were measured to be held out, but none could be predicted (left out, or no fit without them)."""
        return self.planned and self.target_met is None

    @property
    def doubt(self) -> str | None:
        """Why the sizing built on this fit is not trusted, with the verdict; None when it is."""
        if self.missed:
            return f"the fit missed the point(s) it had not seen: {self.verdict()}"
        if self.unchecked:
            return f"the fit could not be checked on the point(s) measured to be held out: {self.verdict()}"
        return None

    @property
    def missed(self) -> bool:
        """The fit missed a point it had not seen: over the target error, or outside its prediction interval."""
        return bool(self.held_out) and (self.target_met is False or any(c.inside is False for c in self.held_out))

    def spread_text(self) -> str:
        """How far repeated runs of one point lie apart, to read the errors against."""
        if self.spread is None:
            return "run-to-run spread not measured (each point ran once)"
        median, highest, count = self.spread
        return f"run-to-run spread {median:.1%} (median; highest {highest:.1%}, over {count} repeated point(s))"

    def verdict(self) -> str:
        """One line for people: the target met or not, with the figures."""
        if self.target_met is None:
            return (f"held-out target ≤ {self.target:.0%}: not checked ({'; '.join(self.not_done)}); "
                    f"{self.spread_text()}")
        met = "met" if self.target_met else "NOT met"
        inside = sum(1 for check in self.held_out if check.inside)
        return (f"held-out target ≤ {self.target:.0%} error: {met} (worst {self.held_out_max_error:.1%}, "
                f"{inside} of {len(self.held_out)} inside the prediction interval); {self.spread_text()}")

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "verdict": self.verdict(),
                "held_out": {"model": self.held_out_model, "points": [c.to_dict() for c in self.held_out],
                             "max_error": self.held_out_max_error, "target_met": self.target_met},
                "leave_one_out": {"points": [c.to_dict() for c in self.leave_one_out],
                                  "median_error": self.loo_median_error, "max_error": self.loo_max_error,
                                  "target_met": self.loo_target_met},
                "not_done": list(self.not_done), "missed": self.missed, "unchecked": self.unchecked,
                "spread": None if self.spread is None else {"median": self.spread[0], "highest": self.spread[1],
                                                            "points": self.spread[2]}}


def split_held_out(points: Sequence[CapacityPoint]) -> tuple[list[CapacityPoint], list[CapacityPoint]]:
    """(training, held out): the points marked held_out, or else those of the largest node count."""
    if any(point.held_out for point in points):
        return [p for p in points if not p.held_out], [p for p in points if p.held_out]
    largest = max((point.nodes for point in points), default=0)
    return [p for p in points if p.nodes < largest], [p for p in points if p.nodes == largest]


def validate_fit(points: Sequence[CapacityPoint], resamples: int = 500, seed: int = 0,
                 level: float = LEVEL, target: float = TARGET_ERROR) -> Validation:
    """Held-out and leave-one-out checks of the fit method on one tier's points."""
    used, _ = usable_points(points)
    not_done: list[str] = []
    held_out: tuple[Check, ...] = ()
    model = ""
    if used and {point.nodes for point in used} == {1}:
        return Validation((), "", (), ("one node measured: no pool of more nodes to predict, so the scaling over "
                                       "nodes is assumed, not checked",), target, spread_summary(used),
                          planned=any(point.held_out for point in points))
    training, kept_back = split_held_out(used)
    try:
        fit = fit_usl(training, resamples=resamples, seed=seed, level=level)
        model = f"{fit.model}: {fit.reason}"
        predictions = [(point, fit.predict(point.nodes, point.cpu_per_node)) for point in kept_back]
        held_out = tuple(Check(point, prediction.value, prediction) for point, prediction in predictions)
    except SizingError as exc:
        not_done.append(f"held-out: the smaller pools cannot be fitted alone ({exc.message})")
    loo = []
    for index, point in enumerate(used):
        try:
            others = fit_usl(used[:index] + used[index + 1:], resamples=0)
        except SizingError as exc:
            not_done.append(f"leave-one-out without {point.run}: {exc.message}")
            continue
        loo.append(Check(point, float(others.throughput(point.nodes, point.cpu_per_node))))
    return Validation(held_out, model, tuple(loo), tuple(not_done), target, spread_summary(used),
                      planned=any(point.held_out for point in points))
