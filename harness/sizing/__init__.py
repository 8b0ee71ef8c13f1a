"""`oxh size`: measured capacity points, the USL fit, self-validation, the demand model and nodes per tier.

The measurement sweep (measure.py, sweep.py, sizing_run.py) produces capacity
points; everything else here is pure functions over them and a sizing design.
"""

__all__ = [
    "demand", "design_yaml", "measure", "plots", "points", "proof", "report", "result", "sizing_run", "sweep",
    "tier_plan", "usl", "validation",
]
