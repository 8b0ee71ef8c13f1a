"""The capacity sweep's plan, the N+1 proof's arithmetic, reading earlier sweeps, and `oxh size`'s bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.backends.docker.node import DEFAULT_CPU_SHARES, set_cpu_quota
from harness.clients.balancer import drain_command
from harness.load.load_result import Crosscheck, GeneratorFigures, LoadResult, StepClass, StepResult, TierFigures
from harness.load.profile import load_profile
from harness.sizing.errors import SizingError
from harness.sizing.points import CapacityPoint
from harness.sizing.proof import design_point, steady_figures
from harness.load.history import read_history
from harness.sizing.sizing_run import read_sweeps, sweep_file
from harness.sizing.points import SloCapacity
from harness.sizing.measure import PointPlan, PointRun
from harness.sizing.sweep import (MIN_SPAWN_RATE, SweepSettings, _expected, _per_core, _profiles, moved, point_from_run,
                                   requests_per_user_second, spawn_rate_for, steps_for)


def test_a_cpu_quota_comes_with_a_weight_that_claims_it_first_and_both_are_lifted_together():
    class Container:
        def __init__(self):
            self.updates = []

        def update(self, **settings):
            self.updates.append(settings)

    class Handle:
        container = Container()

    set_cpu_quota(Handle, 0.15)
    set_cpu_quota(Handle, None)
    limited, lifted = Handle.container.updates
    assert limited["cpu_quota"] == 15_000 and limited["cpu_period"] == 100_000
    assert limited["cpu_shares"] == 10 * DEFAULT_CPU_SHARES
    assert lifted["cpu_quota"] == -1 and lifted["cpu_shares"] == DEFAULT_CPU_SHARES


def test_the_sweep_measures_the_most_members_under_the_smallest_quota_and_smallest_first():
    settings = SweepSettings(quotas=(0.15, 0.1), imap_quotas=(0.1,), core_quotas=(0.4, 0.15, 0.25))
    assert settings.points() == [("middleware", 1, 0.1), ("middleware", 2, 0.1), ("middleware", 3, 0.1),
                                 ("middleware", 4, 0.1),  # a fourth member, under the smallest quota only
                                 ("middleware", 1, 0.15), ("middleware", 2, 0.15),  # no third: the host's edge
                                 ("middleware", 1, 0.25), ("middleware", 1, 0.4),  # one node, for per-core scaling
                                 ("sync", 1, 0.1),  # the sync pool's node, under its DAV clients
                                 ("imap", 1, 0.1), ("imap", 2, 0.1)]
    # the fit on 1 to 3 members is held against the fourth: 7 points over three node counts, enough for a USL fit
    fitted = [p for p in settings.points() if p[0] == "middleware" and not settings.held_out(*p[:2])]
    assert len(fitted) >= 6 and {nodes for _, nodes, _ in fitted} == {1, 2, 3}
    assert settings.held_out("middleware", 4) and not settings.held_out("middleware", 3)
    assert not settings.held_out("imap", 2)  # too few mail nodes to hold one pool size out
    assert not settings.held_out("sync", 1)
    assert ("sync", 1, 0.1) not in SweepSettings(sync_quotas=()).points()


def test_the_sync_pool_runs_the_sync_profiles_dav_clients_alone_with_their_slos():
    profiles = _profiles(SweepSettings())
    sync = profiles["sync"]
    assert sync.protocols() == {"dav"} and sync.name == "sync-dav"
    assert set(sync.request_classes()) == {"dav.propfind", "dav.report", "eas.options"}
    assert set(sync.slos) == {"default"}  # smtp.send's SLO went with the SMTP users
    assert profiles["middleware"].name == "webmail" and profiles["imap"].name == "imap"
    with pytest.raises(ValueError, match="webmail has no dav users"):
        load_profile("webmail").of_protocol("dav")


def test_without_a_fourth_member_the_largest_pool_is_held_out():
    settings = SweepSettings(held_out_nodes=None)
    assert max(nodes for tier, nodes, _ in settings.points() if tier == "middleware") == 3
    assert settings.held_out("middleware", 3) and not settings.held_out("middleware", 2)


def test_the_default_sweep_runs_every_point_twice_within_55_minutes_of_load_at_most():
    settings = SweepSettings()
    assert settings.repeats >= 2  # a median and a spread per point
    # every step of every run, each held twice: steady steps are not, and a run ends at its knee
    assert settings.planned_seconds() <= 55 * 60
    # IMAP and DAV steps carry many requests a second: held for less, never under 5 s
    assert settings.hold_for("middleware") == 10 and settings.hold_for("imap") == settings.hold_for("sync") == 7
    assert SweepSettings(hold_seconds=6).hold_for("imap") == 5
    assert settings.planned_seconds() < SweepSettings(hold_share={}).planned_seconds()


def test_steps_bracket_the_expected_throughput():
    profile = load_profile("webmail")
    per_user = requests_per_user_second(profile, 60)
    assert 0.5 < per_user < 1.5  # about 65 actions an hour, sped up 60 times
    steps = steps_for(20.0, per_user, (0.6, 0.85, 1.1, 1.4))
    assert steps == tuple(sorted(steps)) and len(steps) == 4
    assert steps[0] * per_user < 20 < steps[-1] * per_user


def test_users_start_in_proportion_to_what_a_point_carries_so_sign_ins_take_the_same_share_of_it():
    per_user = requests_per_user_second(load_profile("webmail"), 60)
    one_node = spawn_rate_for(24.0, per_user)  # one node at 0.1 core, the point the rate was tuned on
    assert one_node == MIN_SPAWN_RATE
    four_nodes = spawn_rate_for(96.0, per_user)
    assert four_nodes > MIN_SPAWN_RATE
    # the knee's users start in the same time on both: four times the users, four times the rate
    assert 96.0 / per_user / four_nodes == pytest.approx(24.0 / per_user / one_node, rel=0.05)
    assert spawn_rate_for(1.0, per_user) == MIN_SPAWN_RATE  # a guess far too low never starves the ramp


def test_steps_move_past_a_lower_bound_and_the_next_points_start_from_it():
    every_step_passed = SloCapacity("lower_bound", 63.0, "lower bound", 37, None)
    assert moved(15.0, every_step_passed) == pytest.approx(94.5)  # half again what the last step carried
    assert moved(60.0, every_step_passed) == 120.0  # or twice the guess, whichever is higher
    assert moved(60.0, SloCapacity("first_step_fails", None, "too much", None, 5)) == 30.0
    point = CapacityPoint(tier="imap", nodes=1, cpu_per_node=0.2, throughput=40.0, run="r")
    assert _per_core([point], "imap", {}) == 200.0
    assert _per_core([point], "imap", {"imap": 250.0}) == 250.0  # a lower bound above the points counts
    assert _per_core([], "imap", {"imap": 250.0}) == 250.0 and _per_core([], "middleware", {}) is None
    # a second run of a point is placed around its first run, not around the rate per core of other quotas
    other = CapacityPoint(tier="imap", nodes=1, cpu_per_node=0.4, throughput=120.0, run="r2")
    assert _expected([point, other], "imap", 1, 0.4) == 120.0 and _expected([point], "imap", 1, 0.4) is None


def _results(nodes: int, steps: list[tuple[int, float, int]], bound: bool = False) -> PointRun:
    """A measured point with steps of (users, req/s, p95 ms) in one class."""
    plan = PointPlan("middleware", tuple(f"ox-{i}" for i in range(1, nodes + 1)), 0.1, tuple(u for u, _, _ in steps),
                     30, 60)
    load = LoadResult(
        profile="webmail", shape="steps", users=[u for u, _, _ in steps], speedup=60, seconds=60,
        stopped_from_outside=False, classes=[], errors={},
        steps=[StepResult(index=i, users=users, start=0, end=30, seconds=30, requests={"mail.all": StepClass(
            method="GET", requests=100, failures=0, rps=rps, p95=p95)}) for i, (users, rps, p95) in enumerate(steps)],
        tiers=TierFigures(cpu_percent={}, memory_bytes_peak={}),
        generator=GeneratorFigures(peak_cpu_percent=10, bound=bound),
        crosscheck=Crosscheck(generator_api_requests=0, middleware_counted=0, nodes=[]))
    return PointRun(plan, load)


def test_a_point_is_the_throughput_at_the_slo_and_a_knee_outside_the_steps_is_no_point():
    profile = load_profile("webmail")
    point, found = point_from_run(_results(3, [(10, 10.0, 400), (20, 20.0, 1400)]), profile, "run", held_out=True)
    assert found.status == "at_slo" and point is not None
    assert 10 < point.throughput < 20 and point.nodes == 3 and point.held_out
    missing, found = point_from_run(_results(1, [(10, 10.0, 400), (20, 20.0, 600)]), profile, "run")
    assert missing is None and found.status == "lower_bound"
    missing, found = point_from_run(_results(1, [(10, 10.0, 1400)]), profile, "run")
    assert missing is None and found.status == "first_step_fails"


def test_two_attempts_that_straddle_the_knee_are_judged_together():
    from harness.sizing.sweep import merged

    profile = load_profile("webmail")
    too_high = _results(2, [(25, 24.0, 1100), (35, 30.0, 1500)])  # noise: the first step already missed
    too_low = _results(2, [(13, 12.0, 300), (18, 17.0, 500), (23, 21.0, 800), (29, 23.7, 950)])
    assert point_from_run(too_high, profile, "a")[0] is None and point_from_run(too_low, profile, "b")[0] is None
    both = merged(too_high, too_low)
    assert [step.users for step in both.load.steps] == [13, 18, 23, 25, 29, 35]
    point, found = point_from_run(both, profile, "b")
    assert found.status == "at_slo" and 21.0 <= point.throughput <= 24.0


def test_a_generator_bound_point_is_marked_so_the_fit_leaves_it_out():
    point, _ = point_from_run(_results(2, [(10, 10.0, 400), (20, 20.0, 1400)], bound=True),
                                  load_profile("webmail"), "run")
    assert point.generator_bound


def _point(nodes: int, cpu: float, throughput: float) -> CapacityPoint:
    return CapacityPoint("middleware", nodes, cpu, throughput, "run")


def test_the_n_plus_one_design_point_is_the_largest_pool_under_the_load_of_one_node_fewer():
    points = [_point(1, 0.1, 8), _point(2, 0.1, 17), _point(3, 0.1, 25), _point(1, 0.15, 13), _point(2, 0.15, 27),
              _point(3, 0.15, 39)]
    top, spare = design_point(points)
    assert (top.nodes, top.cpu_per_node) == (3, 0.15) and (spare.nodes, spare.throughput) == (2, 27)
    assert design_point([_point(1, 0.1, 8)]) is None


def test_the_proof_judges_only_seconds_when_locusts_window_held_the_node_gone(tmp_path: Path):
    rows = ["Timestamp,Name,Requests/s,Failures/s,95%"]
    for second in range(100, 160):
        p95 = 3000 if 130 <= second < 135 else 400  # the kill's own spike, inside the 10-s window
        rows.append(f"{second},Aggregated,20,{1 if second == 131 else 0},{p95}")
        rows.append(f"{second},mail.all,5,0,9999")
    (tmp_path / "locust_stats_history.csv").write_text("\n".join(rows) + "\n")
    history = read_history(tmp_path / "locust")
    p95, errors = steady_figures(history, injected=130, healed=150)
    assert p95 == 400 and errors == 0
    p95, errors = steady_figures(history, injected=120, healed=150)  # the window then still holds the kill
    assert p95 == 3000 and errors == pytest.approx(1 / 400)


def test_the_load_a_proof_achieved_is_the_median_rate_before_the_fault(tmp_path: Path):
    from harness.sizing.proof import MAX_SHORTFALL, achieved_throughput

    rows = ["Timestamp,Name,Requests/s,Failures/s,95%"]
    rows += [f"{second},Aggregated,{2 if second < 110 else 17},0,400" for second in range(100, 140)]  # a ramp
    (tmp_path / "locust_stats_history.csv").write_text("\n".join(rows) + "\n")
    history = read_history(tmp_path / "locust")
    assert achieved_throughput(history, 110, 130) == 17
    assert 17 < (1 - MAX_SHORTFALL) * 20  # planned 20/s: 15 % short, so the proof does not hold
    assert achieved_throughput(history, 200, 210) is None


def test_draining_a_member_goes_through_the_balancer_manager_with_its_nonce():
    command = drain_command("oxcluster", "http://172.30.0.32:8009", True)
    assert "balancer-manager?xml=1" in command and "nonce=$n" in command
    assert "w_status_D=1" in command and "b=oxcluster" in command and "w=http://172.30.0.32:8009" in command
    assert "w_status_D=0" in drain_command("oxcluster", "http://172.30.0.32:8009", False)


def _sweep(run: Path, topology: str, profile: str = "webmail", **extra) -> Path:
    path = sweep_file(run)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"topology": topology, "target": f"{topology} (project p)", "profile": profile,
                                "imap_profile": "imap", "seconds": 600,
                                "points": [_point(1, 0.1, 8).to_dict()], "costs": [], "runs": [], "proof": None,
                                **extra}))
    return run


def test_a_sweep_keeps_how_many_worker_processes_its_nodes_ran(tmp_path: Path):
    from harness.sizing.sizing_run import Sweep, _write_sweep

    sweep = Sweep([_point(1, 0.1, 8)], [], "sizing", "sizing (project p)", "webmail", "imap", [], 600.0,
                  workers="auto")
    _write_sweep(sweep, sweep_file(tmp_path / "new"))
    assert read_sweeps([tmp_path / "new"]).workers == "auto"
    # a sweep recorded before nodes had workers ran one process per node, as None says
    assert read_sweeps([_sweep(tmp_path / "old", "sizing")]).workers is None


def test_sweeps_of_different_topologies_are_never_fitted_together(tmp_path: Path):
    one, other = _sweep(tmp_path / "a", "sizing"), _sweep(tmp_path / "b", "ci-small")
    with pytest.raises(SizingError, match="different topologies"):
        read_sweeps([one, other])
    assert len(read_sweeps([one]).points) == 1


def test_a_run_without_a_sweep_is_refused_with_what_to_give(tmp_path: Path):
    (tmp_path / "load").mkdir()
    with pytest.raises(SizingError, match="holds no capacity sweep"):
        read_sweeps([tmp_path])


@pytest.mark.parametrize("argv, message", [
    (["size"], "no capacity to size from"),
    (["size", "--from", "no-such-run"], "no run 'no-such-run'"),
    (["size", "--measure", "--quotas", "0,x"], "not a list of numbers"),
    (["size", "--measure", "--quotas", "9"], "at most 4 cores"),
    (["size", "--measure", "--core-quotas", "0.2,x"], "--core-quotas 0.2,x: not a list of numbers"),
    (["size", "--measure", "--imap-quotas", "0"], "--imap-quotas 0: each quota must be above 0"),
    (["size", "--measure", "--hold", "1"], "--hold 1"),
    (["size", "--measure", "--from", "x"], "not both"),
    (["size", "--users", "0", "--from", "x"], "at least one user"),
    (["size", "--measure", "--profile", "imap"], "has no HTTP API rates"),
    (["size", "--measure", "--profile", "groupware"], "the throughput of one mix says nothing about another"),
    (["size", "--measure", "--design", "ci-small"], "sizing design"),
])
def test_bad_input_to_size_is_named_and_exits_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("OXH_REPORTS_DIR", str(tmp_path))
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_run_of_another_topology_is_refused_by_size_with_exit_2(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("OXH_REPORTS_DIR", str(tmp_path))
    _sweep(tmp_path / "r1", "sizing")
    _sweep(tmp_path / "r2", "ci-small")
    assert main(["size", "--from", "r1", "r2"]) == 2
    assert "different topologies" in capsys.readouterr().err


def test_a_run_folder_with_a_sizing_shows_it_in_its_report(tmp_path: Path):
    from harness.report.render import render
    from harness.sizing.proof import ProofResult
    from harness.sizing.sizing_run import Sweep, model, write_outputs
    from harness.models.sizing import load_sizing

    points = [_point(n, q, 95 * q * n / (1 + 0.05 * (n - 1))) for q in (0.1, 0.15) for n in (1, 2, 3)]
    proof = ProofResult(3, 0.15, 27.0, 30, False, ["p95 1400 ms with one node gone, over the SLO's 1000 ms"],
                        1400.0, 0.0, ["ox-1"], "n-plus-one")
    sweep = Sweep(points, [], "sizing", "sizing (project p)", "webmail", "imap", [], 600.0, proof)
    design = load_sizing("reference-1m")
    (tmp_path / "run.json").write_text(json.dumps({
        "run_id": "r1", "target": "t", "kind": "docker", "use": "ci", "suites": ["load"], "narrowed": True,
        "harness_version": "0", "started_text": "now", "versions": {}}))
    (tmp_path / "results.json").write_text(json.dumps({"started": 0, "finished": 1, "exit_status": 0,
                                                       "exit_reason": None, "tests": []}))
    write_outputs(model(design, 500_000, sweep), design, sweep, tmp_path / "sizing", 700.0)
    html = render(tmp_path).read_text()
    assert "Sizing for 500,000 users" in html and 'href="sizing/design.yaml"' in html
    assert "middleware_groupware" in html and "extrapolated" in html
    assert "failed: p95 1400 ms with one node gone" in html  # a failed N+1 claim is shown as failed
    assert 'src="sizing/usl_middleware.png"' in html
    assert "Beyond the data:" in html and "8-core nodes lie ×53 beyond" in html  # measured to 0.15 core
    assert "Assumed, not measured:" in html and "per_core_scaling" in html
    header = (tmp_path / "sizing" / "design.yaml").read_text().split("\nname:")[0]
    assert "# Beyond the data: middleware_groupware: measured at 0.1–0.15 cores per node" in header


def test_the_imap_warm_up_signs_every_user_in_on_every_dovecot_node_and_names_the_failures(monkeypatch):
    import contextlib

    from harness.errors import UserError
    from harness.load import warm_up as module

    visited = []

    class Session:
        def __init__(self, server):
            self.server = server

        def select_folder(self, folder, readonly):
            visited.append((self.server, folder, readonly))

        def search(self, criteria):
            return [1, 2]

        def fetch(self, messages, items):
            assert all(isinstance(message, int) for message in messages)  # imapclient takes ids, not "1:*"
            return {}

        def folder_status(self, folder, items):
            return {}

    @contextlib.contextmanager
    def session(host, port, user, password):
        if (host, user) == ("imap-2", "b@example.org"):
            raise OSError("connection refused")
        yield Session(host)

    monkeypatch.setattr(module, "imap_session", session)
    accounts = [{"login": name, "email": f"{name}@example.org", "password": "x"} for name in ("a", "b")]
    module.warm_up_imap(accounts, [("imap-1", 143)], lambda line: None)
    assert sorted(visited) == [("imap-1", "INBOX", True)] * 2  # each user as itself, read only
    with pytest.raises(UserError, match=r"1 of 4 IMAP sign-ins .* b on imap-2:143: connection refused"):
        module.warm_up_imap(accounts, [("imap-1", 143), ("imap-2", 143)], lambda line: None)
