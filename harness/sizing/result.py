"""The outcome of `oxh size`: fits, their validation, the demand and the plan per tier, as one JSON record.

`size` is the whole model in one call: it fits each measured tier's points,
validates the fit on held-out points and by leave-one-out, computes the
design's peak demand and plans every tier. The result keeps apart what was
measured (the fits), what was extrapolated from it (the measured tiers'
node counts) and what is only the vendor's or an assumption.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Sequence

from harness.load.profile import LoadProfile
from harness.sizing.demand import PeakDemand, Sourced, design_factors, peak_demand
from harness.sizing.errors import SizingError
from harness.sizing.tier_plan import MEASURED, TierPlan, beyond_the_data, plan_tiers
from harness.sizing.points import CapacityPoint, TierCost
from harness.sizing.usl import LEVEL, RESAMPLES, UslFit, fit_usl
from harness.sizing.validation import Validation, validate_fit
from harness.models.sizing import SizingDesign


REQUIRED_TIER = "middleware"  # the groupware pool: without its fit there is nothing to size
ONE_NODE_TIERS = {"sync"}  # pools the sweep measures on one node: λ per core, their scaling over nodes assumed


@dataclass(frozen=True)
class SizingResult:
    design: str
    users: int
    failure_domains: int | None
    demand: PeakDemand
    planning_factors: tuple[Sourced, ...]
    fits: dict[str, UslFit]
    validations: dict[str, Validation]
    tiers: tuple[TierPlan, ...]
    unfitted: dict[str, str] = field(default_factory=dict)  # measured tier -> why its points carry no fit

    @property
    def refused(self) -> list[str]:
        return [plan.verdict for plan in self.tiers if plan.refused]

    @property
    def untrusted(self) -> list[str]:
        """Measured tiers whose fit missed the points it was validated on, or could not be checked on the points
        measured for that, with the validation's verdict."""
        return [f"{tier}: {check.doubt}" for tier, check in self.validations.items() if check.doubt]

    def doubted(self, plan: TierPlan) -> bool:
        """Whether `plan` was extrapolated from a fit that missed, or could not be checked on, its held-out
        points."""
        return plan.basis == "extrapolated" and bool(self.validations[MEASURED[plan.name]].doubt)

    def provenance(self) -> dict[str, list[str]]:
        """What rests on measurement, what is extrapolated from it, and what is the vendor's or assumed."""
        factors = (*self.demand.factors, *self.planning_factors)
        return {
            "measured": [f"{tier}: {'λ' if fit.model == 'linear' else 'σ, κ, λ'} fitted to {len(fit.points)} "
                         f"capacity points "
                         f"(runs {', '.join(sorted({p.run for p in fit.points}))})" for tier, fit in self.fits.items()],
            "extrapolated": [f"{plan.name}: {plan.nodes} nodes" for plan in self.tiers
                             if plan.basis == "extrapolated" and not plan.refused],
            "vendor": [f"{plan.name}: {plan.vendor_count} nodes ({plan.verdict})" for plan in self.tiers
                       if plan.basis == "not measured"],
            "assumptions": [f"{factor.name} = {factor.value:g}: {factor.source}" for factor in factors
                            if factor.is_assumption]
                           + [f"{tier}: {fit.reason}" for tier, fit in self.fits.items() if fit.model == "linear"],
            "beyond_the_data": self.beyond_the_data(),
        }

    def beyond_the_data(self) -> list[str]:
        """How far each extrapolated tier's nodes lie past the cores per node and the node counts measured."""
        return [f"{plan.name}: {beyond_the_data(self.fits[MEASURED[plan.name]], plan.cores, plan.nodes)}"
                for plan in self.tiers if plan.basis == "extrapolated" and self.fits.get(MEASURED[plan.name])
                and self.fits[MEASURED[plan.name]].points]

    def to_dict(self) -> dict[str, Any]:
        return {
            "design": self.design, "users": self.users, "failure_domains": self.failure_domains,
            "demand": self.demand.to_dict(),
            "planning_factors": [factor.to_dict() for factor in self.planning_factors],
            "fits": {tier: {**fit.to_dict(), "validation": self.validations[tier].to_dict()}
                     for tier, fit in self.fits.items()},
            "tiers": [plan.to_dict() for plan in self.tiers],
            "refused": self.refused,
            "untrusted": self.untrusted,
            "unfitted": self.unfitted,
            "provenance": self.provenance(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def size(design: SizingDesign, points: Sequence[CapacityPoint], costs: Sequence[TierCost] = (),
         profile: LoadProfile | None = None, resamples: int = RESAMPLES, seed: int = 0,
         level: float = LEVEL) -> SizingResult:
    """Fit, validate and plan. `profile` is the load profile the middleware points were measured with: their
    req/s are throughput of that mix, so the design's demand must come from the same profile (IMAP points
    are IMAP operations per second, whatever the IMAP mix)."""
    if not points:
        raise SizingError("no capacity points to size from", "run the measurement sweep first (oxh size)")
    fits: dict[str, UslFit] = {}
    validations: dict[str, Validation] = {}
    unfitted: dict[str, str] = {}
    if not any(point.tier == REQUIRED_TIER for point in points):
        raise SizingError(f"no capacity points of the {REQUIRED_TIER} tier", "measure the groupware pool (oxh size --measure)")
    for tier in sorted({point.tier for point in points}):
        mine = [point for point in points if point.tier == tier]
        try:
            fits[tier] = fit_usl(mine, resamples=resamples, seed=seed, level=level,
                                 one_node=tier in ONE_NODE_TIERS)
            validations[tier] = validate_fit(mine, resamples=resamples, seed=seed, level=level)
        except SizingError as exc:
            if tier == REQUIRED_TIER:
                raise SizingError(f"{tier}: {exc.message}", exc.hint) from None
            unfitted[tier] = exc.message  # the tier keeps the design's count; the report says why
    demand = peak_demand(design, profile)
    return SizingResult(design.name, design.users, design.failure_domains, demand, design_factors(design), fits,
                        validations, plan_tiers(design, demand, fits, costs), unfitted)

