"""The discrete-event simulation of the closed network against exact results: the finite-source queue, exact MVA
on a two-station network, and the exponential response time of a lone user."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.sizing.queueing import Station, solve
from harness.sizing.simulation import RequestClass, simulate

from tests.unit.test_queueing import finite_source_throughput


@pytest.mark.parametrize("servers", [1, 3])
def test_the_finite_source_queue_is_reproduced_within_three_percent(servers):
    demand, think, users = 0.1, 1.0, 25
    simulated = simulate([Station("cpu", demand, servers)], think, users, requests=40_000)
    assert simulated.throughput == pytest.approx(finite_source_throughput(demand, think, users, servers), rel=0.03)


def test_means_agree_with_exact_mva_on_two_single_server_stations():
    stations = [Station("app", 0.02), Station("db", 0.01)]
    exact = solve(stations, think_seconds=0.5, users=20)[-1]
    simulated = simulate(stations, 0.5, 20, requests=40_000)
    assert simulated.throughput == pytest.approx(exact.throughput, rel=0.03)
    assert simulated.mean_response() == pytest.approx(exact.response_seconds, rel=0.05)


def test_a_lone_users_response_is_exponential_plus_the_fixed_delay():
    simulated = simulate([Station("cpu", 0.2)], think_seconds=0.0, users=1, delay_seconds=0.05, requests=40_000)
    assert simulated.mean_response() == pytest.approx(0.25, rel=0.03)
    assert simulated.p95() == pytest.approx(0.2 * math.log(20) + 0.05, rel=0.04)


def test_classes_keep_their_share_and_their_size():
    classes = [RequestClass("small", 3, scale=0.5), RequestClass("large", 1, scale=2.5)]
    simulated = simulate([Station("cpu", 0.01)], 1.0, 5, classes=classes, requests=20_000)
    small, large = (len(simulated.response_seconds[name]) for name in ("small", "large"))
    assert small / (small + large) == pytest.approx(0.75, abs=0.02)
    assert simulated.mean_response("large") / simulated.mean_response("small") == pytest.approx(5, rel=0.15)


def test_the_same_seed_gives_the_same_figures_and_bad_input_is_refused():
    stations = [Station("cpu", 0.05, 2)]
    assert simulate(stations, 1.0, 10, seed=7).p95() == simulate(stations, 1.0, 10, seed=7).p95()
    with pytest.raises(ValueError):
        simulate(stations, 1.0, 0)
    with pytest.raises(ValueError):
        simulate(stations, -1.0, 3)
    with pytest.raises(ValueError):
        simulate(stations, 1.0, 3, classes=[RequestClass("none", 0)])


def test_each_classs_p95_is_predicted_on_steps_made_by_a_known_network():
    """Steps measured on a path the model can represent (the swept tier under its quota, two classes, one twice
    the other's size, a fixed delay for the rest of the way) are predicted from the lightest one, p95 per class
    included."""
    from harness.load.load_result import StepClass, StepResult
    from harness.sizing.step_model import Swept, network, p95_summary, predict

    quota, host_cores, think, delay = 0.5, 2, 1.0, 0.004
    true = {"middleware": 0.004, "database": 0.001}
    swept = Swept("middleware", 2, quota)
    stations = network(true, swept, host_cores)
    assert stations[0].quota == quota
    classes = [RequestClass("mail.all", 2, scale=2 / 1.5), RequestClass("config", 2, scale=1 / 1.5)]
    steps = []
    for index, users in enumerate([5, 40, 80]):
        run = simulate(stations[:1], think, users, delay, classes, requests=20_000, seed=100 + index)
        requests = {name: len(times) for name, times in run.response_seconds.items()}
        total = sum(requests.values())
        steps.append(StepResult(
            index=index, users=users, start=0, end=60, seconds=60,
            requests={name: StepClass(method="GET", requests=requests[name], failures=0,
                                      rps=run.throughput * requests[name] / total,
                                      p50=float(np.median(run.response_seconds[name])) * 1000,
                                      p95=run.p95(name) * 1000) for name in requests},
            tier_cpu_percent={tier: run.throughput * demand * 100 for tier, demand in true.items()}))
    predictions = predict(steps, swept, host_cores)
    assert [len(p.p95) for p in predictions] == [2, 2]
    median_error, worst, count = p95_summary(predictions)
    assert count == 4 and worst < 0.25, [(f.name, f.measured_ms, f.predicted_ms) for p in predictions for f in p.p95]


def test_a_container_under_a_cpu_quota_serves_a_lone_request_at_full_speed_and_a_busy_one_at_its_quota():
    quota, work = 0.2, 0.01  # 20 ms of quota per 100 ms period; 10 ms of CPU per request
    lone = simulate([Station("ox", work / quota, 1, quota)], think_seconds=1.0, users=1, requests=4_000)
    # mostly inside one period's quota: near the 10 ms of a free core, far from the 50 ms of a core slowed to 0.2
    assert work < lone.mean_response() < 0.4 * work / quota
    busy = simulate([Station("ox", work / quota, 1, quota)], think_seconds=0.0, users=20, requests=4_000)
    assert busy.throughput == pytest.approx(quota / work, rel=0.05)  # 20 requests per second
