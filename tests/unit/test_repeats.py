"""Repeated sweep points: the median is the point, the spread is carried beside it and read with the errors."""

from __future__ import annotations

import json

import pytest

from harness.sizing.points import CapacityPoint, points_from_json
from harness.sizing.repeats import combine_repeats, median_point, spread_summary
from harness.sizing.validation import validate_fit


def run(throughput: float, name: str, nodes: int = 1, cores: float = 0.1, **extra) -> CapacityPoint:
    return CapacityPoint("middleware", nodes, cores, throughput, name, **extra)


def test_three_runs_of_a_point_become_their_median_with_the_spread_beside_it():
    point = median_point([run(30.0, "a"), run(36.0, "b"), run(33.0, "c")])
    assert point.throughput == 33.0 and point.repeats == (30.0, 33.0, 36.0)
    assert point.spread == pytest.approx(6 / 33)
    assert point.run == "a+b+c"


def test_a_run_the_generator_or_the_host_bound_does_not_move_the_median():
    point = median_point([run(30.0, "a", host_share=0.5), run(10.0, "bound", generator_bound=True),
                          run(34.0, "b", host_share=0.6), run(90.0, "host", host_share=0.95)])
    assert point.throughput == 32.0 and point.repeats == (30.0, 34.0) and not point.generator_bound
    assert not point.host_bound and point.host_share == pytest.approx(0.55)


def test_a_point_whose_every_run_was_generator_bound_stays_marked():
    point = median_point([run(10.0, "a", generator_bound=True), run(12.0, "b", generator_bound=True)])
    assert point.generator_bound and point.throughput == 11.0


def test_one_point_per_configuration_in_the_order_first_measured():
    points = combine_repeats([run(20.0, "1a"), run(38.0, "2a", nodes=2), run(22.0, "1b"), run(40.0, "2b", nodes=2),
                              run(55.0, "3", nodes=3, held_out=True)])
    assert [(p.nodes, p.throughput) for p in points] == [(1, 21.0), (2, 39.0), (3, 55.0)]
    assert points[2].repeats == () and points[2].spread is None and points[2].held_out


def test_runs_of_different_configurations_are_not_one_point():
    with pytest.raises(ValueError):
        median_point([run(20.0, "a"), run(20.0, "b", cores=0.2)])


def test_a_median_point_goes_to_json_and_back():
    point = median_point([run(30.0, "a"), run(36.0, "b")])
    again = points_from_json(json.loads(json.dumps([point.to_dict()])))[0]
    assert again == point and again.repeats == (30.0, 36.0)


def test_the_fit_reports_its_errors_beside_the_run_to_run_spread():
    # 1, 2 and 3 nodes at two quotas, each run twice 10 % apart.
    runs = [run(value * factor, f"{nodes}-{cores}-{factor}", nodes=nodes, cores=cores, held_out=nodes == 3)
            for nodes, value in ((1, 100.0), (2, 190.0), (3, 270.0)) for cores in (0.1, 0.2)
            for factor in (0.95, 1.05)]
    points = combine_repeats(runs)
    assert len(points) == 6
    check = validate_fit(points, resamples=0)
    assert check.spread == pytest.approx((0.1, 0.1, 6))
    assert "run-to-run spread 10.0% (median; highest 10.0%, over 6 repeated point(s))" in check.verdict()
    assert check.to_dict()["spread"]["points"] == 6
    assert spread_summary([run(10.0, "once")]) is None
    assert "not measured (each point ran once)" in validate_fit(
        [run(100.0, "a"), run(190.0, "b", nodes=2), run(270.0, "c", nodes=3)], resamples=0).verdict()
