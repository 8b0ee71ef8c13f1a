"""The queueing model's MVA against closed forms of queueing theory and a recursion worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.sizing.queueing import Station, bounds, solve


def finite_source_throughput(demand: float, think: float, users: int, servers: int = 1) -> float:
    """M/M/c//N (the machine-repairman model), exactly: users alternate think time and service at c servers."""
    ratio = demand / think
    weights = []
    for k in range(users + 1):
        ways = math.comb(users, k) * ratio ** k
        weights.append(ways if k <= servers else ways * math.factorial(k) / (math.factorial(servers) *
                                                                            servers ** (k - servers)))
    total = sum(weights)
    return sum(min(k, servers) / demand * weight / total for k, weight in enumerate(weights))


@pytest.mark.parametrize("demand,think,users", [(0.05, 1.0, 40), (0.2, 3.0, 10), (1.0, 0.5, 5)])
def test_one_station_is_exactly_the_finite_source_queue(demand, think, users):
    solutions = solve([Station("cpu", demand)], think, users)
    assert [s.users for s in solutions] == list(range(1, users + 1))
    for solution in solutions:
        assert solution.throughput == pytest.approx(finite_source_throughput(demand, think, solution.users),
                                                    rel=1e-9)


def test_the_recursion_as_worked_by_hand_on_two_stations():
    first, second = solve([Station("app", 0.2), Station("db", 0.1)], think_seconds=1.0, users=2)
    assert first.throughput == pytest.approx(1 / 1.3)
    # n = 2: queues after n = 1 are X R = 0.2/1.3 and 0.1/1.3; residences 0.2 (1 + 0.2/1.3), 0.1 (1 + 0.1/1.3)
    response = 0.2 * (1 + 0.2 / 1.3) + 0.1 * (1 + 0.1 / 1.3)
    assert second.response_seconds == pytest.approx(response)
    assert second.throughput == pytest.approx(2 / (1.0 + response))
    assert second.bottleneck() == "app" and second.utilisation["app"] == pytest.approx(second.throughput * 0.2)


@pytest.mark.parametrize("servers,users", [(2, 20), (4, 60), (8, 100)])
def test_seidmanns_multi_core_station_stays_near_the_exact_multi_server_queue(servers, users):
    demand, think = 0.4, 2.0
    for solution in solve([Station("cpu", demand, servers)], think, users)[4::5]:
        exact = finite_source_throughput(demand, think, solution.users, servers)
        assert solution.throughput == pytest.approx(exact, rel=0.06), solution.users


def test_throughput_stays_within_its_asymptotic_bounds_and_saturates_at_the_bottleneck():
    stations = [Station("balancer", 0.002), Station("middleware", 0.03, 2), Station("database", 0.008)]
    for solution in solve(stations, think_seconds=5.0, users=400):
        lower, upper = bounds(stations, 5.0, solution.users)
        assert lower - 1e-9 <= solution.throughput <= upper + 1e-9
    assert solution.throughput == pytest.approx(2 / 0.03, rel=0.01) and solution.bottleneck() == "middleware"


def test_bad_networks_are_refused():
    with pytest.raises(ValueError):
        solve([Station("cpu", 0.1)], 1.0, 0)
    with pytest.raises(ValueError):
        Station("cpu", -1.0)


def test_steps_measured_on_a_known_network_are_predicted_from_the_lightest_one():
    from harness.load.load_result import StepClass, StepResult
    from harness.sizing.step_model import Swept, demands, predict, summary

    quota, host_cores, think = 0.2, 2, 4.0
    true = {"middleware": 0.01, "database": 0.003, "balancer": 0.001}  # CPU-seconds per request
    stations = [Station("middleware", true["middleware"] / quota, 3), Station("host", sum(true.values()), host_cores)]
    users = [10, 40, 160, 480]
    solutions = solve(stations, think, max(users))
    steps = []
    for index, count in enumerate(users):
        solution = solutions[count - 1]
        steps.append(StepResult(
            index=index, users=count, start=0, end=60, seconds=60,
            requests={"mail.all": StepClass(method="GET", requests=1000, failures=0, rps=solution.throughput,
                                            p50=solution.response_seconds * 1000)},
            tier_cpu_percent={tier: solution.throughput * demand * 100 for tier, demand in true.items()}))
    assert demands(steps[0]) == pytest.approx(true)
    predictions = predict(steps, Swept("middleware", 3, quota), host_cores)  # think time from the lightest step
    assert [p.users for p in predictions] == users[1:]
    median_error, worst = summary(predictions)
    assert worst < 1e-6 and predictions[-1].bottleneck == "middleware"
    assert predictions[-1].predicted == pytest.approx(3 * quota / true["middleware"], rel=0.05)  # saturated


def recorded_steps(point):
    """A stepped load run's files in `point`: three steps, the last on 80 % of a 2-core host."""
    import json

    point.mkdir()
    steps = []
    for index, (users, rps, cpu) in enumerate([(10, 5.0, 20.0), (20, 10.0, 40.0), (40, 12.0, 48.0)]):
        start = 1000 + 60 * index
        steps.append({"index": index, "users": users, "start": start, "end": start + 59, "seconds": 59.0, "rps": rps,
                      "requests": {"mail.all": {"method": "GET", "requests": int(rps * 59), "failures": 0, "rps": rps,
                                                "p50": 80.0, "p95": 200.0, "p99": 300.0}},
                      "errors": {}, "tier_cpu_percent": {"middleware": cpu, "database": cpu / 4}})
    (point / "results.json").write_text(json.dumps({"steps": steps, "point": {"speedup": 60}}))
    rows = ["time,node,role,cpu_percent,memory_bytes"]
    for second in range(1000, 1180):
        busy = 160.0 if second >= 1120 else 40.0  # the last step took 80 % of a 2-core host
        rows += [f"{second}.0,ox-1,middleware,{busy / 2:.1f},0", f"{second}.0,generator-1,generator,{busy / 2:.1f},"]
    (point / "resources.csv").write_text("\n".join(rows) + "\n")
    return point


def test_every_step_of_a_sweep_point_gets_its_host_cpu_and_the_models_throughput(tmp_path):
    from harness.sizing.step_validation import check_points

    point = recorded_steps(tmp_path / "middleware-2n-0p2")
    runs = [{"folder": point.name, "tier": "middleware", "nodes": 2, "cpu_per_node": 0.2},
            {"folder": "gone", "tier": "middleware", "nodes": 1, "cpu_per_node": 0.2}]
    found, missing = check_points([tmp_path], runs, host_cores=2)
    assert [step.users for step in found.steps] == [10, 20, 40]
    assert [step.host_share for step in found.steps] == [0.2, 0.2, 0.8] and found.host_bound
    assert found.steps[0].prediction is None and all(step.prediction for step in found.steps[1:])
    assert found.to_dict()["median_error"] is not None
    assert missing.problem and not missing.steps


def test_a_stepped_load_run_is_held_against_the_model_only_on_a_cluster_sharing_this_machine(tmp_path):
    from types import SimpleNamespace

    from rich.console import Console

    from harness.cli.load import print_model

    folder = recorded_steps(tmp_path / "load")
    layout = SimpleNamespace(pool_members=lambda pool: ["ox-1", "ox-2"] if pool == "oxcluster" else [])
    console = Console(record=True, width=200)
    print_model(console, SimpleNamespace(kind="docker", name="ci-small", access=SimpleNamespace(layout=layout)),
                folder)
    shown = console.export_text()
    assert "middleware ×2" in shown and "queueing model over 2 steps" in shown
    print_model(console, SimpleNamespace(kind="remote", name="customer", access=None), folder)
    assert "not held against this run (customer does not run on this machine's cores" in console.export_text()


def test_erlang_c_and_the_tier_p95_against_the_textbook_cases():
    from harness.sizing.rehearsal import erlang_c, tier_p95_ms

    assert erlang_c(1, 0.7) == pytest.approx(0.7)  # M/M/1: a request waits with the server's utilisation
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)  # M/M/2 at one erlang
    demand, rate = 0.01, 70.0  # M/M/1 at 70 %: the time in the system is exponential with rate mu - lambda
    exact = math.log(20) / (1 / demand - rate) * 1000
    bound = tier_p95_ms(demand, 1, rate)
    assert exact <= bound <= 2 * exact  # the service's p95 plus the wait's: a bound, not the exact quantile
    assert tier_p95_ms(demand, 1, 100.0) is None  # saturated
    assert tier_p95_ms(demand, 128, 100.0) == pytest.approx(math.log(20) * demand * 1000)  # nobody waits


def reference_at_half_load():
    """reference-1m with demands of a plausible mix, at the rate that keeps its groupware pool half busy."""
    from harness.models.sizing import load_sizing

    design = load_sizing("reference-1m")
    demands = {"balancer": 0.0002, "middleware": 0.02, "database": 0.002, "imap": 0.004, "filestore": 0.001,
               "mta": 0.0005}
    carriers = {name for name in design.tiers if name not in ("middleware_docs", "middleware_sync")}
    groupware = design.tiers["middleware_groupware"]
    return design, demands, carriers, 0.5 * groupware.count * groupware.cores / demands["middleware"]


def test_a_rehearsal_finds_the_tier_a_design_breaks_at_and_what_each_single_failure_costs():
    from harness.sizing.rehearsal import rehearse

    design, demands, carriers, rate = reference_at_half_load()
    groupware = design.tiers["middleware_groupware"]
    whole, *failures = rehearse(design, rate, demands, 1000.0, carriers)
    busy = {tier.tier: tier.utilisation for tier in whole.tiers}
    assert busy["middleware_groupware"] == pytest.approx(0.5) and busy["middleware_docs"] is None
    database = design.tiers["database"]
    assert busy["database"] == pytest.approx(rate * 0.002 / database.cores)  # one master serves the write VIP
    assert whole.holds and whole.bottleneck.tier == "middleware_groupware"
    lost = {scenario.name: scenario for scenario in failures}
    one_fewer = lost["middleware_groupware loses a node"]
    assert {t.tier: t.utilisation for t in one_fewer.tiers}["middleware_groupware"] == pytest.approx(
        0.5 * groupware.count / (groupware.count - 1))
    assert "the standby takes over" in lost["database loses a node"].notes[0]
    heavy = rehearse(design, rate, {**demands, "database": 0.02}, 1000.0, carriers)[0]
    assert not heavy.holds and heavy.verdict().startswith("breaks at database")


def test_the_smallest_design_holds_every_single_failure_at_the_target_utilisation_and_no_fewer_nodes_do():
    import math

    from harness.sizing.rehearsal import Floor, rehearse, smallest_design

    design, demands, carriers, rate = reference_at_half_load()
    groupware = design.tiers["middleware_groupware"]
    found = smallest_design(design, rate, demands, 1000.0, carriers,
                            floors={"middleware_groupware": Floor(3, "the sessions per node")})
    assert found.holds and all(scenario.holds for scenario in found.scenarios)
    target = design.demand.target_utilisation.value
    # groupware: enough nodes to stay under the target utilisation with every node serving (and a spare's worth
    # for a lost node is then within the SLO); its floor, the capacity division, was lower
    needed = math.ceil(rate * demands["middleware"] / (groupware.cores * target))
    assert found.counts["middleware_groupware"] == needed
    assert found.floors["middleware_groupware"] == Floor(3, "the sessions per node")
    assert found.floors["database"] == Floor(1, "one node")
    assert found.counts["database"] == 2  # one serves, one stands by: a lost master is taken over
    assert "middleware_docs" not in found.counts and found.design.tiers["middleware_docs"].count == 4
    for name, count in found.counts.items():  # one node fewer anywhere breaks a scenario or the target
        if count > found.floors[name].nodes:
            fewer = found.design.model_copy(update={"tiers": {**found.design.tiers, name: found.design.tiers[name]
                                                              .model_copy(update={"count": count - 1})}})
            scenarios = rehearse(fewer, rate, demands, 1000.0, carriers)
            busy = {t.tier: t.utilisation for t in scenarios[0].tiers}
            assert not all(s.holds for s in scenarios) or busy[name] > target, name

    # a database master that one node's cores cannot carry: more standbys do not help, and the search says so
    stuck = smallest_design(design, rate, {**demands, "database": 0.02}, 1000.0, carriers, floors={})
    assert not stuck.holds and "more nodes do not help" in stuck.problems[0] and "database" in stuck.problems[0]

    # an SLO below the service times themselves: the groupware tier, the busiest, is given nodes while they
    # shorten the p95, and the one that no longer did is taken back
    light = {"balancer": 0.00001, "middleware": 0.02, "database": 0.00002, "imap": 0.00004, "filestore": 0.00001,
             "mta": 0.00001}
    slow = smallest_design(design, rate, light, 5.0, carriers, floors={"middleware_groupware": Floor(needed, "")})
    assert not slow.holds and slow.problems[0].endswith(
        "another middleware_groupware node does not shorten it; the service times alone exceed the SLO")

    def worst_with(groupware_nodes: int) -> float:
        tiers = {**slow.design.tiers, "middleware_groupware": slow.design.tiers["middleware_groupware"]
                 .model_copy(update={"count": groupware_nodes})}
        return _worst(rehearse(slow.design.model_copy(update={"tiers": tiers}), rate, light, 5.0, carriers))

    kept = slow.counts["middleware_groupware"]
    assert kept >= needed and worst_with(kept + 1) >= 0.99 * worst_with(kept)


def _worst(scenarios) -> float:
    return max(scenario.p95_ms or float("inf") for scenario in scenarios)


def test_a_tiers_demand_is_the_slope_of_its_cpu_over_throughput_with_its_idle_cpu_taken_out():
    from harness.load.load_result import StepClass, StepResult
    from harness.sizing.rehearsal import measured_demands

    steps = [StepResult(index=i, users=10 * (i + 1), start=0, end=30, seconds=30,
                        requests={"mail.all": StepClass(method="GET", requests=100, failures=0, rps=rate)},
                        tier_cpu_percent={"balancer": (0.2 + 0.0005 * rate) * 100, "middleware": 0.01 * rate * 100})
             for i, rate in enumerate([5.0, 10.0, 20.0, 40.0])]
    found = measured_demands(steps)
    assert found["balancer"].seconds == pytest.approx(0.0005) and found["balancer"].idle_cores == pytest.approx(0.2)
    assert found["middleware"].seconds == pytest.approx(0.01) and found["middleware"].steps == 4
    assert found["middleware"].interval == pytest.approx((0.01, 0.01)) and found["middleware"].r_squared == 1
    untouched = measured_demands([step.model_copy(update={"tier_cpu_percent": {"mta": 0.0}}) for step in steps])
    assert untouched["mta"].seconds == 0 and untouched["mta"].interval == (0, 0)  # CPU that never moved: no NaN
    assert untouched["mta"].r_squared is None
    light = measured_demands(steps[:1])  # one step: the utilisation law, idle CPU and all
    assert light["balancer"].seconds == pytest.approx((0.2 + 0.0025) / 5.0) and light["balancer"].interval is None

    # CPU samples scattered around 10 ms per request: the interval holds the true demand and is no wider than
    # the scatter allows
    rng = np.random.default_rng(1)
    rates = np.linspace(5, 50, 20)
    noisy = [StepResult(index=i, users=10, start=0, end=30, seconds=30,
                        requests={"mail.all": StepClass(method="GET", requests=100, failures=0, rps=float(rate))},
                        tier_cpu_percent={"middleware": (0.05 + 0.01 * rate * (1 + rng.normal(0, 0.05))) * 100})
             for i, rate in enumerate(rates)]
    scattered = measured_demands(noisy)["middleware"]
    low, high = scattered.interval
    assert low < 0.01 < high and high - low < 0.002 and 0.9 < scattered.r_squared < 1


def test_each_step_says_how_near_its_quota_the_swept_nodes_ran_and_which_other_node_was_busiest(tmp_path):
    import json

    from harness.sizing.step_validation import check_points

    point = recorded_steps(tmp_path / "middleware-1n-0p5")
    results = json.loads((point / "results.json").read_text())
    results["point"]["members"] = ["ox-1"]
    (point / "results.json").write_text(json.dumps(results))
    rows = (point / "resources.csv").read_text().splitlines()
    rows += [f"{second}.0,imap-1,imap,25.0,0" for second in range(1000, 1180)]
    (point / "resources.csv").write_text("\n".join(rows) + "\n")
    found, = check_points([tmp_path], [{"folder": point.name, "tier": "middleware", "nodes": 1, "cpu_per_node": 0.5}],
                          host_cores=2)
    # ox-1 at 20 % of a core under a 0.5-core quota: 40 %; then 80 % of a core: 160 %
    assert [step.swept_share for step in found.steps] == [0.4, 0.4, 1.6]
    assert found.steps[0].busiest_other == "imap-1 at 25 % of a core"  # the generator is not a node of the cluster

    # a run of the whole cluster names no swept members: no swept share
    del results["point"]["members"]
    (point / "results.json").write_text(json.dumps(results))
    whole, = check_points([tmp_path], [{"folder": point.name, "tier": "middleware", "nodes": 1,
                                        "cpu_per_node": 0.5}], host_cores=2)
    assert all(step.swept_share is None and not step.busiest_other for step in whole.steps)


def sync_flow(design, rate: float, slo_ms: float = 1000.0, database: float = 0.001):
    from harness.sizing.rehearsal import Flow

    carriers = frozenset(name for name, tier in design.tiers.items()
                         if tier.role != "middleware" or name == "middleware_sync")
    return Flow("the sync clients", rate, {"balancer": 0.0002, "middleware": 0.004, "database": database},
                carriers, slo_ms)


def test_a_second_flow_loads_the_tiers_it_passes_shares_their_queues_and_is_held_to_its_own_slo():
    from harness.sizing.rehearsal import rehearse, tier_p95_ms

    design, demands, carriers, rate = reference_at_half_load()
    sync = sync_flow(design, 1000.0)
    alone = rehearse(design, rate, demands, 1000.0, carriers)[0]
    whole, *failures = rehearse(design, rate, demands, 1000.0, carriers, [sync])
    busy = {tier.tier: tier for tier in whole.tiers}
    pool = design.tiers["middleware_sync"]
    assert busy["middleware_sync"].utilisation == pytest.approx(1000 * 0.004 / (pool.count * pool.cores))
    assert busy["middleware_sync"].demand is None and busy["middleware_sync"].p95_ms is None  # not the mix's
    assert busy["middleware_groupware"].utilisation == pytest.approx(0.5)  # the sync clients do not pass it
    assert "the sync clients" not in busy["middleware_groupware"].others_p95_ms
    database = design.tiers["database"]
    assert busy["database"].utilisation == pytest.approx((rate * 0.002 + 1000 * 0.001) / database.cores)
    # the database's queue is shared: the mix waits longer there than alone, and each flow pays its own service
    shared = (rate + 1000, rate * 0.002 + 1000 * 0.001)
    assert busy["database"].p95_ms == pytest.approx(tier_p95_ms(0.002, database.cores, rate, shared))
    assert busy["database"].p95_ms >= {t.tier: t for t in alone.tiers}["database"].p95_ms
    assert busy["database"].others_p95_ms["the sync clients"] == pytest.approx(
        tier_p95_ms(0.001, database.cores, 1000, shared))
    assert whole.flow_p95_ms(sync) == pytest.approx(sum(t.others_p95_ms.get(sync.name, 0) for t in whole.tiers))
    assert whole.holds and "the sync clients" in whole.verdict()
    lost = {scenario.name: scenario for scenario in failures}["middleware_sync loses a node"]
    assert {t.tier: t.utilisation for t in lost.tiers}["middleware_sync"] == pytest.approx(
        1000 * 0.004 / ((pool.count - 1) * pool.cores))

    flood = rehearse(design, rate, demands, 1000.0, carriers, [sync_flow(design, 10_000.0)])[0]
    assert not flood.holds and flood.verdict().startswith("breaks at middleware_sync")
    strict = rehearse(design, rate, demands, 1000.0, carriers, [sync_flow(design, 1000.0, slo_ms=5.0)])[0]
    assert strict.p95_ms <= 1000 and not strict.holds  # the mix holds; the sync clients' own SLO does not
    assert strict.verdict().startswith("breaks: p95") and "of the sync clients over their SLO's 5 ms" in \
        strict.verdict()


def test_the_smallest_design_sizes_the_pool_only_a_second_flow_passes():
    import math

    from harness.sizing.rehearsal import Floor, rehearse, smallest_design

    design, demands, carriers, rate = reference_at_half_load()
    sync = sync_flow(design, 20_000.0, database=0.0001)  # 80 cores of sync pool work: more than 4 nodes of 8
    found = smallest_design(design, rate, demands, 1000.0, carriers, [sync],
                            floors={"middleware_groupware": Floor(3, "the sessions per node")})
    assert found.holds, found.problems
    target = design.demand.target_utilisation.value
    pool = design.tiers["middleware_sync"]
    needed = math.ceil(20_000 * 0.004 / (pool.cores * target))
    assert found.counts["middleware_sync"] >= needed > pool.count
    assert found.floors["middleware_sync"] == Floor(1, "one node")
    fewer = found.design.model_copy(update={"tiers": {**found.design.tiers, "middleware_sync": found.design.tiers[
        "middleware_sync"].model_copy(update={"count": found.counts["middleware_sync"] - 1})}})
    scenarios = rehearse(fewer, rate, demands, 1000.0, carriers, [sync])
    busy = {t.tier: t.utilisation for t in scenarios[0].tiers}
    assert not all(s.holds for s in scenarios) or busy["middleware_sync"] > target
    # without the flow the sync pool is not the rehearsal's to size
    assert "middleware_sync" not in smallest_design(design, rate, demands, 1000.0, carriers, floors={}).counts
    # an SLO of the sync clients below their own service times: nodes that do not shorten it are not added
    slow = smallest_design(design, rate, demands, 1000.0, carriers, [sync_flow(design, 1000.0, slo_ms=5.0)],
                           floors={})
    assert not slow.holds and "does not shorten it" in slow.problems[0], slow.problems
