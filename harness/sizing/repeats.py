"""Repeated sweep points as one: the median of the runs is the point, their spread is printed beside it.

A sweep measures each (tier, nodes, cores per node) more than once, and
`oxh size --from` may read several sweeps of one topology; either way the
fits see one point per configuration, its throughput the median of the runs
that were neither generator- nor host-bound nor bound elsewhere (all runs
when every one was), so
that one noisy run moves the point less and the fit's errors can be read
against how far two runs of the same point lie apart.
"""

from __future__ import annotations

import statistics
from typing import Iterable, Sequence

from harness.sizing.points import CapacityPoint


def _key(point: CapacityPoint) -> tuple[str, int, float]:
    return point.tier, point.nodes, point.cpu_per_node


def _median_of(values: Iterable[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return statistics.median(known) if known else None


def median_point(runs: Sequence[CapacityPoint]) -> CapacityPoint:
    """One point from runs of the same configuration: the median of the runs no bound spoiled."""
    if len({_key(run) for run in runs}) != 1:
        raise ValueError("median_point: runs of different configurations")
    if len(runs) == 1:
        return runs[0]
    free = [run for run in runs if not (run.generator_bound or run.host_bound or run.bound_elsewhere)] or list(runs)
    first = free[0]
    return CapacityPoint(
        tier=first.tier, nodes=first.nodes, cpu_per_node=first.cpu_per_node,
        throughput=round(statistics.median(run.throughput for run in free), 2),
        run="+".join(run.run for run in free),
        generator_bound=all(run.generator_bound for run in free),
        held_out=any(run.held_out for run in runs),
        memory_per_session_mib=_median_of(run.memory_per_session_mib for run in free),
        host_share=_median_of(run.host_share for run in free),
        repeats=tuple(sorted(run.throughput for run in free)) if len(free) > 1 else (),
        swept_share=_median_of(run.swept_share for run in free),
        busiest_other=next((run.busiest_other for run in free if run.busiest_other), ""),
    )


def combine_repeats(points: Sequence[CapacityPoint]) -> list[CapacityPoint]:
    """One median point per configuration, in the order each configuration was first measured."""
    groups: dict[tuple[str, int, float], list[CapacityPoint]] = {}
    for point in points:
        groups.setdefault(_key(point), []).append(point)
    return [median_point(runs) for runs in groups.values()]


def spread_summary(points: Sequence[CapacityPoint]) -> tuple[float, float, int] | None:
    """(median, highest, how many points) of the run-to-run spread of the repeated points; None when no point
    was repeated."""
    spreads = [point.spread for point in points if point.spread is not None]
    return (statistics.median(spreads), max(spreads), len(spreads)) if spreads else None
