"""The sizing model of `oxh size`: capacity at SLO, the USL fit and its validation, demand, nodes per tier."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from harness.load.profile import LoadProfile, Slo, load_profile
from harness.sizing.demand import peak_demand, request_mix, requests_per_session_per_second
from harness.sizing.design_yaml import write_design
from harness.sizing.errors import SizingError
from harness.sizing.tier_demand import tier_demands
from harness.sizing.tier_plan import DesignRefused, count_interval, nodes_needed, plan_tiers, verdict
from harness.sizing.plots import plot_all
from harness.load.load_result import StepClass, StepResult
from harness.sizing.points import CapacityPoint, TierCost, capacity_at_slo, points_from_json
from harness.sizing.result import size
from harness.sizing.usl import fit_usl, usl
from harness.sizing.rehearsal import Floor
from harness.sizing.validation import validate_fit
from harness.models.sizing import SizingDesign, load_sizing

QUOTAS = (0.1, 0.2, 0.3)


def points_on_curve(sigma: float, kappa: float, per_core: float, nodes=(1, 2, 3), noise: float = 0.0,
                    seed: int = 0, tier: str = "middleware", **extra) -> list[CapacityPoint]:
    rng = np.random.default_rng(seed)
    return [CapacityPoint(tier, n, c, float(usl(n, c, sigma, kappa, per_core)) * (1 + rng.normal(0, noise)),
                          f"run-{n}n-{c}", **extra) for n in nodes for c in QUOTAS]


# --- throughput at SLO from a stepped run ---

SLOS = {"default": Slo(p95_ms=1000, p99_ms=2000, max_error_ratio=0.01),
        "mail.send": Slo(p95_ms=2000, p99_ms=4000, max_error_ratio=0.01)}


def step(users: int, **classes: tuple[float, int, int]) -> StepResult:
    """classes: name=(rps, p95, failures), 300 requests each."""
    return StepResult(index=0, users=users, start=0, end=30, seconds=30.0, requests={
        name.replace("_", "."): {"requests": 300, "failures": failures, "rps": rps, "p50": p95 // 2, "p95": p95,
                                 "p99": p95 * 2, "method": "GET"} for name, (rps, p95, failures) in classes.items()})


def test_capacity_is_interpolated_toward_the_first_failing_step_by_the_worst_p95_ratio():
    steps = [step(10, mail_all=(5, 300, 0), mail_send=(5, 1000, 0)),   # worst ratio 0.5 (mail.send, SLO 2000)
             step(20, mail_all=(10, 600, 0), mail_send=(10, 1000, 0)),  # worst 0.6
             step(40, mail_all=(14, 1600, 0), mail_send=(14, 1200, 0))]  # worst 1.6: fails
    found = capacity_at_slo(steps, SLOS)
    assert found.status == "at_slo"
    assert found.throughput == pytest.approx(20 + (28 - 20) * (1 - 0.6) / (1.6 - 0.6))
    assert (found.last_passing_users, found.first_failing_users) == (20, 40)
    assert "mail.all: p95 1600 ms over 1000 ms" in found.note


def test_a_step_failing_on_errors_only_gives_the_last_passing_step():
    steps = [step(10, mail_all=(10, 300, 0)), step(20, mail_all=(20, 400, 30))]
    found = capacity_at_slo(steps, SLOS)
    assert found.throughput == pytest.approx(10)
    assert "errors 10.0% over 1.0%" in found.note


def test_classes_with_few_requests_are_not_judged():
    steps = [step(10, mail_all=(10, 300, 0)), step(20, mail_all=(20, 400, 0))]
    steps[1].requests["login"] = StepClass(method="POST", requests=5, failures=5, rps=0.2, p95=9000)
    found = capacity_at_slo(steps, SLOS, min_requests=20)
    assert found.status == "lower_bound"
    assert capacity_at_slo(steps, SLOS, min_requests=5).status == "at_slo"


def test_no_failing_step_gives_a_lower_bound():
    found = capacity_at_slo([step(10, mail_all=(10, 300, 0)), step(20, mail_all=(19, 400, 0))], SLOS)
    assert found.status == "lower_bound" and found.throughput == pytest.approx(19)
    assert "lower bound, SLO not reached" in found.note


def test_a_first_step_that_fails_says_so():
    found = capacity_at_slo([step(10, mail_all=(10, 3000, 0)), step(20, mail_all=(19, 4000, 0))], SLOS)
    assert found.status == "first_step_fails" and found.throughput is None
    assert "first step (10 users) already misses the SLOs" in found.note


# --- points and costs ---

def test_points_and_costs_go_to_json_and_back():
    point = CapacityPoint("imap", 2, 0.2, 123.4, "runs/x", held_out=True, memory_per_session_mib=0.8)
    assert points_from_json(json.loads(json.dumps([point.to_dict()]))) == [point]
    with pytest.raises(SizingError, match="unknown key"):
        CapacityPoint.from_dict({**point.to_dict(), "colour": "blue"})
    with pytest.raises(SizingError, match="throughput must be positive"):
        CapacityPoint("middleware", 1, 0.1, 0.0, "r")


def test_a_cost_per_request_comes_from_counter_growth():
    cost = TierCost.from_counters("mail.all", "r", requests=200, database={"Questions": 1000, "Com_insert": 30,
                                                                            "Com_update": 10}, imap_ops=400)
    assert (cost.db_queries_per_request, cost.db_writes_per_request, cost.imap_ops_per_request) == (5, 0.2, 2)
    assert cost.filestore_ops_per_request is None
    assert TierCost.from_dict(cost.to_dict()) == cost


# --- the fit ---

def test_the_fit_recovers_known_parameters_and_its_intervals_contain_them():
    truth = dict(sigma=0.05, kappa=0.02, per_core=400.0)
    fit = fit_usl(points_on_curve(**truth, nodes=(1, 2, 3, 4, 5, 6), noise=0.02, seed=7), resamples=120, seed=1)
    assert fit.model == "usl"
    assert fit.sigma == pytest.approx(truth["sigma"], abs=0.03)
    assert fit.kappa == pytest.approx(truth["kappa"], abs=0.006)
    assert fit.per_core == pytest.approx(truth["per_core"], rel=0.03)
    assert fit.sigma_interval.contains(truth["sigma"])
    assert fit.kappa_interval.contains(truth["kappa"])
    assert fit.per_core_interval.contains(truth["per_core"])
    assert fit.n_star == 6  # floor(sqrt(0.95 / 0.02))
    prediction = fit.predict(8, 0.2)
    assert prediction.interval.contains(float(usl(8, 0.2, **truth)))
    assert prediction.interval.low <= prediction.curve.low <= prediction.value <= prediction.curve.high


def test_few_points_fall_back_to_amdahl_and_say_so():
    few = points_on_curve(0.1, 0.0, 100.0)[:5]
    fit = fit_usl(few, resamples=0)
    assert fit.model == "amdahl" and fit.kappa == 0 and fit.n_star is None
    assert "only 5 points" in fit.reason
    two_counts = fit_usl(points_on_curve(0.1, 0.0, 100.0, nodes=(1, 2)), resamples=0)
    assert two_counts.model == "amdahl" and "only node counts 1, 2" in two_counts.reason
    assert two_counts.sigma == pytest.approx(0.1, abs=1e-6)


def test_too_few_points_or_one_node_count_is_refused():
    with pytest.raises(SizingError, match="at least 3 points over at least 2 node counts"):
        fit_usl(points_on_curve(0.1, 0.0, 100.0)[:2])
    with pytest.raises(SizingError, match="node count\\(s\\) 1:"):
        fit_usl(points_on_curve(0.1, 0.0, 100.0, nodes=(1,)))


def test_generator_bound_points_are_left_out_of_the_fit():
    points = points_on_curve(0.1, 0.0, 100.0, nodes=(1, 2, 3))
    points.append(CapacityPoint("middleware", 3, 0.3, 5.0, "saturated", generator_bound=True))
    fit = fit_usl(points, resamples=0)
    assert len(fit.points) == 9 and fit.excluded[0][0].run == "saturated"
    assert fit.sigma == pytest.approx(0.1, abs=1e-6)


def test_host_bound_points_are_left_out_of_the_fit_while_enough_remain():
    from dataclasses import replace

    points = points_on_curve(0.1, 0.0, 100.0, nodes=(1, 2))
    host_bound = [replace(point, throughput=point.throughput * 0.6, run=f"busy-{point.run}", host_share=0.84)
                  for point in points_on_curve(0.1, 0.0, 100.0, nodes=(3,))]
    fit = fit_usl([replace(p, host_share=0.4) for p in points] + host_bound, resamples=0)
    assert {p.run for p, _ in fit.excluded} == {p.run for p in host_bound}
    assert all("84% of its cores" in why for _, why in fit.excluded)
    assert fit.sigma == pytest.approx(0.1, abs=1e-6) and "kept" not in fit.reason

    # one quota only: without its host-bound point too few points remain, so it stays and the reason says so
    few = points_on_curve(0.1, 0.0, 100.0, nodes=(1, 2, 3))[::3]
    few[-1] = replace(few[-1], host_share=0.9)
    kept = fit_usl(few, resamples=0)
    assert not kept.excluded and f"host-bound point(s) {few[-1].run} kept" in kept.reason


def test_points_whose_nodes_stayed_below_their_quota_are_left_out_and_named_by_what_else_was_busy():
    from dataclasses import replace

    points = [replace(p, swept_share=0.95) for p in points_on_curve(0.05, 0.0, 100.0, nodes=(1, 2, 3))]
    elsewhere = [replace(point, throughput=point.throughput * 0.5, run=f"db-{point.run}", swept_share=0.55,
                         busiest_other="db-1 at 98 % of a core") for point in points_on_curve(0.05, 0.0, 100.0,
                                                                                             nodes=(4,))]
    fit = fit_usl(points + elsewhere, resamples=0)
    assert {p.run for p, _ in fit.excluded} == {p.run for p in elsewhere}
    assert all("at most 55% of their CPU quota" in why and "db-1 at 98 % of a core" in why for _, why in fit.excluded)
    assert fit.sigma == pytest.approx(0.05, abs=1e-6)

    # without them too few points remain: they stay, and the reason says the curve may hold another tier's limit
    few = points_on_curve(0.1, 0.0, 100.0, nodes=(1, 2, 3))[::3]
    few[-1] = replace(few[-1], swept_share=0.5)
    kept = fit_usl(few, resamples=0)
    assert not kept.excluded and "may hold another tier's limit" in kept.reason

    # repeats: the median comes from the runs whose nodes reached their quota
    from harness.sizing.repeats import median_point
    runs = [replace(points[0], run="a", throughput=90.0, swept_share=0.9),
            replace(points[0], run="b", throughput=40.0, swept_share=0.5),
            replace(points[0], run="c", throughput=100.0, swept_share=0.97)]
    median = median_point(runs)
    assert median.throughput == 95.0 and median.run == "a+c" and not median.bound_elsewhere


def test_a_points_swept_share_is_its_nodes_highest_up_to_its_knee():
    from harness.load.load_result import StepResult
    from harness.sizing.step_validation import PointCheck, StepCheck, with_host_shares

    def checked(users: int, rps: float, swept: float | None, other: str = "") -> StepCheck:
        step = StepResult(index=users, users=users, start=0, end=10, seconds=10,
                          requests={"all": {"method": "GET", "requests": int(rps * 10), "failures": 0, "rps": rps}})
        return StepCheck(step, 0.4, None, swept, other)

    check = PointCheck("run-2n", "middleware", 2, 0.15,
                       [checked(10, 10.0, 0.3), checked(20, 19.0, 0.6, "imap-1 at 90 % of a core"),
                        checked(30, 18.0, 0.99)])
    point = with_host_shares([CapacityPoint("middleware", 2, 0.15, 18.5, "run-2n")], [check])[0]
    assert point.swept_share == 0.6 and point.bound_elsewhere and point.busiest_other == "imap-1 at 90 % of a core"
    assert CapacityPoint.from_dict(point.to_dict()) == point
    unknown = with_host_shares([CapacityPoint("middleware", 2, 0.15, 18.5, "run-2n")],
                               [PointCheck("run-2n", "middleware", 2, 0.15, [checked(10, 20.0, None)])])[0]
    assert unknown.swept_share is None and not unknown.bound_elsewhere


def test_a_points_host_share_is_read_up_to_its_knee():
    from harness.load.load_result import StepResult
    from harness.sizing.step_validation import PointCheck, StepCheck, with_host_shares

    def checked(users: int, rps: float, share: float) -> StepCheck:
        step = StepResult(index=users, users=users, start=0, end=10, seconds=10,
                          requests={"all": {"method": "GET", "requests": int(rps * 10), "failures": 0, "rps": rps}})
        return StepCheck(step, share, None)

    check = PointCheck("run-2n", "middleware", 2, 0.15,
                       [checked(10, 10.0, 0.3), checked(20, 19.0, 0.5), checked(30, 24.0, 0.7), checked(40, 22.0, 0.95)])
    point = CapacityPoint("middleware", 2, 0.15, 21.0, "run-2n")
    assert with_host_shares([point], [check])[0].host_share == 0.7  # the knee step, not the collapse after it
    assert with_host_shares([point], [check, check])[0].host_share is None  # two sweeps' folders of one name
    assert not with_host_shares([point], [check])[0].host_bound


# --- self-validation ---

def test_the_three_node_prediction_error_is_predicted_over_measured():
    training = points_on_curve(0.1, 0.0, 100.0, nodes=(1, 2))
    exact = float(usl(3, 0.2, 0.1, 0.0, 100.0))  # 100 * 0.2 * 3 / 1.2 = 50
    held = [CapacityPoint("middleware", 3, 0.2, 40.0, "low", held_out=True),
            CapacityPoint("middleware", 3, 0.1, exact / 2, "right", held_out=True)]
    check = validate_fit(training + held, resamples=10)
    by_run = {c.point.run: c for c in check.held_out}
    assert by_run["low"].predicted == pytest.approx(exact, rel=1e-6)
    assert by_run["low"].error == pytest.approx(50 / 40 - 1, rel=1e-6)
    assert by_run["right"].error == pytest.approx(0, abs=1e-6)
    assert check.held_out_max_error == pytest.approx(0.25, rel=1e-6)
    assert check.target_met is False and "NOT met (worst 25.0%" in check.verdict()
    assert "amdahl" in check.held_out_model
    assert len(check.leave_one_out) == 8
    assert check.loo_max_error == pytest.approx(max(abs(c.error) for c in check.leave_one_out))
    assert check.missed  # 25 % off its held-out point: the sizing built on it is not trusted


def test_without_marks_the_largest_pool_is_held_out():
    check = validate_fit(points_on_curve(0.05, 0.0, 200.0, noise=0.01, seed=2), resamples=0)
    assert {c.point.nodes for c in check.held_out} == {3}
    assert check.target_met is True and not check.missed


def test_a_sizing_whose_fit_misses_its_held_out_points_is_not_trusted():
    from dataclasses import replace

    points = points_on_curve(0.02, 0.0002, 100.0, noise=0.01, seed=3)
    good = size(load_sizing("reference-1m"), points, [], load_profile("webmail"), resamples=20)
    assert not good.untrusted and good.to_dict()["untrusted"] == []
    collapsed = [replace(p, throughput=p.throughput * 0.6) if p.nodes == 3 else p for p in points]
    bad = size(load_sizing("reference-1m"), collapsed, [], load_profile("webmail"), resamples=20)
    assert bad.untrusted and bad.untrusted[0].startswith("middleware: the fit missed the point(s) it had not seen")



def test_a_sizing_whose_held_out_points_were_all_left_out_is_not_trusted_either():
    from dataclasses import replace

    points = points_on_curve(0.02, 0.0002, 100.0, noise=0.01, seed=3)
    marked = [replace(p, held_out=p.nodes == 3, swept_share=0.6 if p.nodes == 3 else 0.98) for p in points]
    check = validate_fit(marked, resamples=0)
    assert check.target_met is None and check.unchecked and not check.missed
    unchecked = size(load_sizing("reference-1m"), marked, [], load_profile("webmail"), resamples=20)
    assert unchecked.untrusted[0].startswith("middleware: the fit could not be checked on the point(s) measured")
    unmarked = validate_fit([p for p in marked if p.nodes == 1], resamples=0)
    assert not unmarked.unchecked  # nothing was measured to be held out: nothing left unchecked

def test_the_rehearsal_starts_from_the_usls_count_and_follows_only_a_trusted_curves_refusal():
    from dataclasses import replace

    from harness.sizing.rehearsal_run import rehearsal_floors

    design, webmail = load_sizing("reference-1m"), load_profile("webmail")

    def groupware(result):
        return next(plan for plan in result.tiers if plan.name == "middleware_groupware")

    # a curve whose capacity division needs more groupware nodes than OX's session limit does
    points = points_on_curve(0.02, 0.0002, 100.0, noise=0.01, seed=3)
    good = size(design, points, [], webmail, resamples=0)
    plan = groupware(good)
    assert not good.untrusted and plan.nodes > plan.least_nodes and "sessions" in plan.least_why
    floors, keep = rehearsal_floors(good)
    assert floors["middleware_groupware"] == Floor(plan.nodes, "the capacity division (USL)") and not keep
    # the same curve missing its held-out points (they carried more) still raises the count, and says it is not
    # trusted
    raised = [replace(p, throughput=p.throughput * 1.3) if p.nodes == 3 else p for p in points]
    bad = size(design, raised, [], webmail, resamples=0)
    floors, keep = rehearsal_floors(bad)
    assert bad.untrusted and floors["middleware_groupware"] == Floor(
        groupware(bad).nodes, "the capacity division (USL, its fit not trusted)")
    assert not keep
    # a trusted curve whose contention caps the pool below the peak: the tier keeps the design's count
    capped = size(design, points_on_curve(0.0, 0.05, 100.0), [], webmail, resamples=0)
    assert not capped.untrusted and groupware(capped).refused
    assert rehearsal_floors(capped)[1] == {"middleware_groupware"}
    # an untrusted one that refuses is not followed: the search starts from the session floor
    wrong = size(design, points_on_curve(0.0, 0.2, 100.0), [], webmail, resamples=0)
    assert wrong.untrusted and groupware(wrong).refused
    floors, keep = rehearsal_floors(wrong)
    assert not keep and floors["middleware_groupware"].nodes == groupware(wrong).least_nodes


def test_the_design_sync_clients_are_a_flow_of_their_own_in_the_rehearsal_with_their_measured_demands():
    from harness.sizing.rehearsal import RoleDemand
    from harness.sizing.rehearsal_run import SYNC_FLOW, _rehearsal_inputs, rehearsal_floors

    design, webmail = load_sizing("reference-1m"), load_profile("webmail")
    mix = {"middleware": RoleDemand(0.004, 0.1, 9), "database": RoleDemand(0.0005, 0.0, 9)}
    synced = {"middleware": RoleDemand(0.002, 0.05, 8), "database": RoleDemand(0.0003, 0.0, 8)}
    *_, carriers, others = _rehearsal_inputs(design, 1_000_000, webmail, mix, synced=synced)
    assert "middleware_sync" not in carriers and "middleware_groupware" in carriers
    (flow,) = others
    clients = design.demand.sync_clients
    assert flow.name == SYNC_FLOW and flow.slo_p95_ms == load_profile("sync").slos["default"].p95_ms
    # 1M users × 0.24 clients × 26 DAV requests an hour × the peak factor 1.5
    assert flow.rate == pytest.approx(1_000_000 * clients.share.value * 26 / 3600 * 1.5)
    scaling = design.per_core_scaling("middleware_sync").value
    assert flow.demands == {"middleware": pytest.approx(0.002 / scaling), "database": 0.0003}
    assert "middleware_sync" in flow.carriers and "middleware_groupware" not in flow.carriers
    assert "database" in flow.carriers
    # without the sync pool's points there is no flow (the rehearsal says why), nor without sync clients
    assert _rehearsal_inputs(design, 1_000_000, webmail, mix)[-1] == ()
    plain = design.model_copy(update={"demand": design.demand.model_copy(update={"sync_clients": None})})
    assert _rehearsal_inputs(plain, 1_000_000, webmail, mix, synced=synced)[-1] == ()
    # the sync pool's search starts from its own capacity division, linear in nodes
    points = points_on_curve(0.02, 0.0002, 100.0, noise=0.01, seed=3) + [
        CapacityPoint("sync", 1, 0.1, 24.0, "sync-1n-0p1", repeats=(23.0, 25.0))]
    result = size(design, points, [], webmail, resamples=0)
    sync_plan = next(plan for plan in result.tiers if plan.name == "middleware_sync")
    floors, _ = rehearsal_floors(result)
    assert floors["middleware_sync"] == Floor(sync_plan.nodes, "the capacity division (linear in nodes)")


# --- nodes per tier ---

def linear_fit():
    return fit_usl(points_on_curve(0.0, 0.0, 100.0), resamples=0)  # X = 100 per core and node


def test_nodes_include_a_spare_for_one_lost_node_or_domain():
    count = nodes_needed(linear_fit(), cores=1, demand=240, utilisation=1.0, tier="middleware_groupware")
    assert (count.for_demand, count.total, count.lost) == (3, 4, 1)
    assert nodes_needed(linear_fit(), 1, 240, 0.5, "t").for_demand == 5
    domains = nodes_needed(linear_fit(), 1, 240, 1.0, "t", failure_domains=2)
    assert (domains.total, domains.lost) == (6, 3)


def test_a_demand_past_the_curves_peak_is_refused_with_the_tier_and_n_star():
    fit = fit_usl(points_on_curve(0.1, 0.01, 100.0, nodes=(1, 2, 3, 4, 5)), resamples=0)
    assert fit.n_star == 9
    peak = float(usl(9, 1, 0.1, 0.01, 100.0))
    assert nodes_needed(fit, 1, peak * 0.9, 1.0, "imap").for_demand <= 9
    with pytest.raises(DesignRefused, match=r"imap: the peak demand of .* \(N\* = 9: past it"):
        nodes_needed(fit, 1, peak * 1.01, 1.0, "imap")


def test_the_count_is_given_over_the_fits_draws_and_a_draw_that_caps_the_pool_below_the_demand_refuses():
    from dataclasses import replace

    fit = replace(linear_fit(), level=0.9, draws=np.array([[0.0, 0.0, 100.0]] * 90 + [[0.0, 0.0, 50.0]] * 10))
    # 240 req/s: 3 nodes of 100 (4 with the spare); at λ = 50, 5 (6): the upper 5 % tail reaches them
    spread = count_interval(fit, 1, 240, 1.0, "t")
    assert spread.bounds == (4, 6) and spread.refused == 0 and spread.text().endswith("lies in 4 – 6")
    capped = replace(fit, draws=np.array([[0.0, 0.0, 100.0]] * 90 + [[0.5, 0.0, 100.0]] * 10))
    # σ = 0.5 caps the pool at 200 req/s: no count carries 240, so the interval's top says so
    spread = count_interval(capped, 1, 240, 1.0, "t")
    assert spread.bounds == (4, None) and "4 – refused (10% of the draws refuse the tier)" in spread.text()
    mostly = replace(fit, draws=np.array([[0.0, 0.0, 100.0]] * 3 + [[0.5, 0.0, 100.0]] * 97))
    assert count_interval(mostly, 1, 240, 1.0, "t").text().startswith("97% of the fit's bootstrap draws")
    assert count_interval(replace(fit, draws=np.empty((0, 3))), 1, 240, 1.0, "t") is None


def test_verdicts_compare_with_the_vendor_count():
    assert verdict(16, 16) == "enough"
    assert verdict(17, 16) == "short by 1"
    assert verdict(4, 8) == "oversized by 4"


# --- demand ---

TINY = {
    "name": "tiny", "defaults": {"users": 1, "spawn_rate": 1, "duration": 1},
    "steps": {"users": [1], "hold_seconds": 1},
    "classes": [{"name": "web", "protocol": "http", "weight": 1,
                 "session": {"minutes": 30, "logout_share": 0.5, "source": "test"},
                 "actions": [{"request": "mail.all", "per_hour": 36, "source": "test"},
                             {"request": "mail.send", "per_hour": 9, "source": "test"}]}],
    "slos": {"default": {"p95_ms": 1000, "p99_ms": 2000, "max_error_ratio": 0.01}},
}


def tiny_design(**demand) -> SizingDesign:
    data = load_sizing("reference-1m").model_dump(exclude_none=True)
    data["users"] = 1000
    data["demand"]["peak_session_share"]["value"] = 0.2
    data["demand"]["peak_factor"]["value"] = 2
    data["demand"]["requests_per_session_per_second"] = {"from_profile": "tiny", "source": "test"}
    data["demand"].pop("sync_clients", None)
    data["demand"].update(demand)
    return SizingDesign.model_validate(data)


def test_peak_demand_multiplies_users_share_profile_rate_and_peak_factor():
    profile = LoadProfile.model_validate(TINY)
    per_hour = 36 + 9 + 2 * 3 + 2 * 0.5  # actions, then login/rampup/config twice an hour, logout in half
    assert requests_per_session_per_second(profile) == pytest.approx(per_hour / 3600)
    assert request_mix(profile)["logout"] == ("http", pytest.approx(1 / 3600))
    demand = peak_demand(tiny_design(), profile)
    assert demand.sessions == pytest.approx(200)
    assert demand.requests_per_second == pytest.approx(1000 * 0.2 * per_hour / 3600 * 2)
    assert demand.per_request["mail.send"] == pytest.approx(200 * 9 / 3600 * 2)
    with pytest.raises(SizingError, match="comes from load profile 'tiny' but the capacity was measured with"):
        peak_demand(tiny_design(), load_profile("webmail"))


def test_webmail_requests_per_session_per_second():
    # actions 47/h (mail.all 6, folders.list 6, mail.get 20, mail.send 3, refresh 12), sign-in 3 × 3 requests,
    # logout 0.6 × 3
    assert requests_per_session_per_second(load_profile("webmail")) == pytest.approx((47 + 9 + 1.8) / 3600)


def test_a_profile_with_dav_clients_gives_the_sync_pool_a_demand_and_no_count_without_its_points():
    with_dav = {**TINY, "classes": [*TINY["classes"], {
        "name": "dav", "protocol": "dav", "weight": 1, "session": {"minutes": 30, "logout_share": 0, "source": "t"},
        "actions": [{"request": "dav.report", "per_hour": 60, "source": "test"}]}]}
    profile = LoadProfile.model_validate(with_dav)
    demand = peak_demand(tiny_design(), profile)
    plans = {p.name: p for p in plan_tiers(tiny_design(), demand, {"middleware": linear_fit()})}
    assert demand.of_protocols("dav") > 0
    assert plans["middleware_sync"].demand["req/s"] == pytest.approx(demand.of_protocols("dav"))
    assert plans["middleware_sync"].nodes is None
    assert plans["middleware_sync"].verdict.startswith("not measured (no capacity points)")
    assert plans["middleware_docs"].verdict.startswith("not swept: the profile tiny has no document conversion")
    assert not plans["middleware_docs"].demand


def test_sync_clients_add_their_profiles_dav_requests_at_peak_beside_the_signed_in_users():
    profile = LoadProfile.model_validate(TINY)
    plain = peak_demand(tiny_design(), profile)
    clients = {"share": {"value": 0.3, "source": "test: three phones in ten users"}, "from_profile": "sync",
               "source": "test"}
    demand = peak_demand(tiny_design(sync_clients=clients), profile)
    # 1000 users × 0.3 clients × the sync profile's DAV rates (PROPFIND and REPORT 12/h, OPTIONS 2/h) × peak 2
    assert demand.sync_clients == pytest.approx(300)
    assert demand.per_request["dav.propfind"] == pytest.approx(300 * 12 / 3600 * 2)
    assert demand.of_protocols("dav") == pytest.approx(300 * 26 / 3600 * 2)
    assert "imap.select" not in demand.per_request  # the sync profile's IMAP users are not sync clients
    assert demand.requests_per_second == pytest.approx(plain.requests_per_second)
    assert demand.of_protocols("http") == pytest.approx(plain.of_protocols("http"))
    factors = {factor.name: factor for factor in demand.factors}
    assert factors["sync_client_share"].source == "test: three phones in ten users"
    assert factors["sync_requests_per_client_per_second"].value == pytest.approx(26 / 3600)
    found = tier_demands(demand)
    assert found["middleware_sync"].figures["req/s"] == pytest.approx(demand.of_protocols("dav"))
    assert found["balancer"].figures["req/s"] == pytest.approx(demand.of_protocols("http", "dav"))
    assert found["middleware_groupware"].figures["req/s"] == pytest.approx(plain.of_protocols("http"))
    with pytest.raises(SizingError, match="has no dav users"):
        peak_demand(tiny_design(sync_clients={**clients, "from_profile": "webmail"}), profile)


def sync_points(*runs: float, quota: float = 0.1) -> list[CapacityPoint]:
    """The sync pool's one node, its runs as one median point (as harness.sizing.repeats combines them)."""
    return [CapacityPoint("sync", 1, quota, float(np.median(runs)), "sync-1n-0p1", repeats=runs)]


def test_a_pool_measured_on_one_node_is_fitted_linear_in_nodes_and_says_that_this_is_assumed():
    fit = fit_usl(sync_points(30.0, 36.0, 33.0), resamples=200, one_node=True)
    assert fit.model == "linear" and fit.sigma == 0 and fit.kappa == 0
    assert fit.per_core == pytest.approx(330.0)  # the median run per core
    assert fit.per_core_interval.low >= 300.0 and fit.per_core_interval.high <= 360.0
    assert fit.per_core_interval.low < fit.per_core_interval.high  # resampled runs, not one value
    assert "assumption: linear in nodes" in fit.reason and "one node measured" in fit.reason
    assert float(fit.throughput(4, 8)) == pytest.approx(4 * 8 * 330.0)
    with pytest.raises(SizingError, match="node count\\(s\\) 1:"):
        fit_usl(sync_points(30.0, 36.0), one_node=False)  # a pool whose scaling the sweep measures is refused
    check = validate_fit(sync_points(30.0, 36.0))
    assert check.doubt is None and check.target_met is None
    assert "one node measured" in check.not_done[0] and check.spread is not None


def test_the_sync_pool_is_sized_from_its_one_node_points_and_the_sync_clients_demand():
    clients = {"share": {"value": 0.3, "source": "test"}, "from_profile": "sync", "source": "test"}
    design = tiny_design(sync_clients=clients)
    design = design.model_copy(update={"users": 2_000_000})
    profile = LoadProfile.model_validate(TINY)
    points = points_on_curve(0.05, 0.0, 100.0) + sync_points(30.0, 30.0)  # λ 300 DAV req/s per core
    result = size(design, points, profile=profile, resamples=50)
    plans = {plan.name: plan for plan in result.tiers}
    sync = plans["middleware_sync"]
    need = result.demand.of_protocols("dav")  # 2M × 0.3 × 26/3600 × 2 = 8,667 req/s
    assert sync.basis == "extrapolated" and sync.demand["req/s"] == pytest.approx(need)
    survivors = math.ceil(need / (300 * 8 * 0.7))  # λ × 8 cores × 70 % per node
    assert (sync.for_demand, sync.nodes) == (survivors, survivors + 1)
    assert sync.bound_by == "throughput"  # the groupware sessions' floor is not the sync pool's
    assert any("assumption: one node measured" in note for note in sync.notes)
    assert result.fits["sync"].model == "linear"
    assert not [doubt for doubt in result.untrusted if doubt.startswith("sync")]
    provenance = result.provenance()
    assert any(line.startswith("sync: λ fitted to 1 capacity points") for line in provenance["measured"])
    assert any(line.startswith("sync: one node measured") for line in provenance["assumptions"])
    groupware = plans["middleware_groupware"]
    assert groupware.demand["req/s"] == pytest.approx(result.demand.of_protocols("http"))


def test_other_tiers_get_their_demand_in_their_own_units_and_keep_the_vendor_count():
    profile = LoadProfile.model_validate(TINY)
    design = tiny_design()
    demand = peak_demand(design, profile)
    costs = [TierCost("mail.all", "r", db_queries_per_request=4.0), TierCost("*", "r", db_queries_per_request=1.0)]
    plans = {p.name: p for p in plan_tiers(design, demand, {"middleware": linear_fit()}, costs)}
    queries = demand.per_request["mail.all"] * 4 + (demand.requests_per_second - demand.per_request["mail.all"])
    assert plans["database"].demand["queries/s"] == pytest.approx(queries)
    assert plans["database"].basis == "not measured" and plans["database"].nodes is None
    assert plans["database"].verdict.startswith("not swept: its peak demand is costed, but its capacity per core")
    assert plans["database"].verdict.endswith("the vendor design's count kept")
    assert plans["middleware_sync"].verdict.startswith(f"not swept: the profile {profile.name} has no sync")
    assert "and the design no sync clients (demand.sync_clients)" in plans["middleware_sync"].verdict
    assert plans["mta"].demand["messages/s"] == pytest.approx(demand.per_request["mail.send"])
    assert plans["imap"].verdict.startswith("not measured (no capacity points)")
    groupware = plans["middleware_groupware"]
    assert groupware.basis == "extrapolated" and groupware.nodes == groupware.for_demand + 1


def test_a_tiers_own_per_core_scaling_extrapolates_that_tier_only():
    from harness.models.sizing import Factor

    design = tiny_design()
    demand = peak_demand(design, LoadProfile.model_validate(TINY))
    fits = {"middleware": linear_fit(), "imap": fit_usl(points_on_curve(0.0, 0.0, 50.0, tier="imap"), resamples=0)}
    costs = [TierCost("*", "r", imap_ops_per_request=0.5)]
    plain = {p.name: p for p in plan_tiers(design, demand, fits, costs)}
    halved = Factor(value=0.5, source="measured: one middleware node, b = 0.7")
    tiers = {**design.tiers, "middleware_groupware": design.tiers["middleware_groupware"].model_copy(
        update={"per_core_scaling": halved})}
    scaled = {p.name: p for p in plan_tiers(design.model_copy(update={"tiers": tiers}), demand, fits, costs)}
    groupware = scaled["middleware_groupware"]
    assert groupware.per_core_scaling == 0.5 and "measured: one middleware node" in groupware.notes[0]
    assert groupware.capacity_per_node == pytest.approx(plain["middleware_groupware"].capacity_per_node / 2)
    assert scaled["imap"].per_core_scaling == plain["imap"].per_core_scaling == 1.0
    assert scaled["imap"].capacity_per_node == plain["imap"].capacity_per_node


def test_memory_per_session_can_set_the_node_count():
    design = tiny_design()  # 200 sessions at peak, 16 GiB groupware nodes, 2 GiB base
    fit = fit_usl(points_on_curve(0.0, 0.0, 100.0, memory_per_session_mib=100.0), resamples=0)
    plans = {p.name: p for p in plan_tiers(design, peak_demand(design, LoadProfile.model_validate(TINY)),
                                            {"middleware": fit})}
    groupware = plans["middleware_groupware"]
    assert (groupware.for_demand, groupware.nodes, groupware.bound_by) == (2, 3, "memory")
    assert groupware.ram_gib == pytest.approx(2 + 100 * 100 / 1024)
    assert groupware.verdict == "oversized by 13"


# --- the whole result, the generated design, the plots ---

@pytest.fixture(scope="module")
def result():
    points = points_on_curve(0.02, 0.0002, 100.0, noise=0.02, seed=3, memory_per_session_mib=1.0)
    return size(load_sizing("reference-1m"), points, [TierCost("*", "r", 3.0, 0.5, 0.1, 2.0)],
                load_profile("webmail"), resamples=20)


def test_the_result_serialises_and_separates_measured_from_assumed(result):
    data = json.loads(result.to_json())
    assert set(data) >= {"design", "demand", "planning_factors", "fits", "tiers", "refused", "provenance"}
    assert data["fits"]["middleware"]["validation"]["held_out"]["points"]
    groupware = next(t for t in data["tiers"] if t["name"] == "middleware_groupware")
    assert groupware["basis"] == "extrapolated" and groupware["nodes"] > groupware["for_demand"]
    assert any("middleware_groupware" in line for line in data["provenance"]["extrapolated"])
    assert any(line.startswith("database") for line in data["provenance"]["vendor"])
    assert any(line.startswith("per_core_scaling") for line in data["provenance"]["assumptions"])
    # points at 0.1-0.3 core on 1-3 nodes; the design's groupware nodes have 8 cores: x27 past the data
    beyond = next(line for line in data["provenance"]["beyond_the_data"] if line.startswith("middleware_groupware"))
    assert "measured at 0.1–0.3 cores per node and 1–3 nodes" in beyond and "8-core nodes lie ×27 beyond" in beyond
    assert f"its {groupware['nodes']} nodes" in beyond


def test_the_generated_design_loads_and_says_where_counts_come_from(result, tmp_path):
    path = write_design(load_sizing("reference-1m"), result.tiers, tmp_path / "sized.yaml")
    design = load_sizing(path)
    groupware = next(p for p in result.tiers if p.name == "middleware_groupware")
    assert design.name == "reference-1m-sized"
    assert design.tiers["middleware_groupware"].count == groupware.nodes
    assert design.tiers["middleware_groupware"].source.startswith("oxh size, extrapolated from measured capacity")
    assert "vendor design" in design.tiers["database"].source
    assert path.read_text().startswith("# Generated by `oxh size`")


def test_plots_are_written_as_png(result, tmp_path):
    files = plot_all(result, tmp_path)
    assert {f.name for f in files} == {"usl_middleware.png", "capacity_per_tier.png"}
    assert all(f.read_bytes()[:4] == b"\x89PNG" for f in files)


def test_the_count_is_given_at_the_ends_of_the_per_core_factors_interval_too():
    from dataclasses import replace

    from harness.models.sizing import Factor

    fit = replace(linear_fit(), level=0.9, draws=np.array([[0.0, 0.0, 100.0]] * 100))
    # 240 req/s at 100 per node: 3 nodes, 4 with the spare; at factor 0.5, 5 + 1; at 1.2, 2 + 1
    scaling = Factor(value=1.0, source="measured", interval=(0.5, 1.2))
    spread = count_interval(fit, 1.0, 240, 1.0, "t", scaling=scaling)
    assert spread.per_core == (0.5, 1.2, 6, 3) and spread.bounds == (3, 6)
    assert spread.text().endswith("over the per-core exponent's interval (factor 0.50 – 1.20, the fit's σ, κ and λ) "
                                  "it lies in 3 – 6")
    # an end at which σ caps the pool below the demand refuses, and so does the interval's top
    capped = replace(fit, sigma=0.5, draws=np.array([[0.0, 0.0, 100.0]] * 100))
    refusing = count_interval(capped, 1.0, 240, 1.0, "t", scaling=Factor(value=1.0, source="m", interval=(0.5, 4.0)))
    assert refusing.bounds[1] is None and refusing.text().endswith("– refused")
    assert count_interval(fit, 1.0, 240, 1.0, "t", scaling=Factor(value=1.0, source="assumption: x")).per_core is None
