"""`oxh size --measure` on the `sizing` topology, cut to one CPU quota, two runs per point and short steps:
the groupware pool measured with 1, 2 and 3 members (no fourth member and no further one-node quotas: CI time;
both are the sweep's defaults, their points: tests/unit/test_sizing_sweep.py), the sync pool's node under
the sync profile's DAV clients, the mail tier with 1 and 2 Dovecot nodes, the N+1 proof killing a groupware node under load, then the fits, the plan per tier and the
files; and `--from` that run again.

The figures of a run this short on a shared machine are not capacity figures (the full sweep's are, see
`oxh size --measure`); what is checked is that each part really ran against the cluster and says what
it found."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.models.sizing import load_sizing

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def oxh(*args: str, reports: Path, timeout: float = 1200) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli.main", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=timeout, env={**os.environ, "OXH_REPORTS_DIR": str(reports)})


@pytest.fixture(scope="module")
def sizing_project(start_topology):
    from harness.models.loader import load

    with start_topology(load("sizing"), prefix="oxh-size") as (cluster, _):
        yield cluster


def test_a_short_sweep_measures_each_pool_size_proves_n_plus_one_and_sizes_every_tier(sizing_project, tmp_path):
    cluster = sizing_project
    result = oxh("size", "--measure", "--project", cluster.project, "--quotas", "0.15", "--core-quotas", "none",
                 "--held-out-nodes", "none", "--imap-quotas", "0.5", "--hold", "6", "--repeats", "2", "--users", "1000000",
                 reports=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode in (0, 1), output[-5000:]
    folder = Path(re.search(r"sizing written to (\S+)/ ", result.stdout).group(1))
    record = json.loads((folder / "sizing.json").read_text())
    sweep = json.loads((folder / "points" / "sweep.json").read_text())

    assert sweep["topology"] == "sizing"
    measured = {(run["tier"], run["nodes"]) for run in sweep["runs"]}
    assert {("middleware", 1), ("middleware", 2), ("middleware", 3), ("sync", 1), ("imap", 1), ("imap", 2)} <= measured
    one_node = {run["cpu_per_node"] for run in sweep["runs"] if run["tier"] == "middleware" and run["nodes"] == 1}
    assert one_node == {0.15}, sweep["runs"]  # `--core-quotas none`: no one-node point under another quota
    for point in measured:  # every point measured twice
        assert {run["repeat"] for run in sweep["runs"] if (run["tier"], run["nodes"]) == point} == {1, 2}, point
    # Before a run that follows runs which sent mail, the test users' mailboxes go back to their seeded messages:
    # the mail sent (each user mails itself) is removed, so that later points list no fuller inboxes than earlier.
    restored = [int(found) for found in re.findall(r"mailboxes back to their 5 seeded messages \((\d+) sent since "
                                                   r"removed\)", " ".join(result.stdout.split()))]
    assert restored and sum(restored) > 0 and len(restored) < len(sweep["runs"]), restored
    # Users start in proportion to what a point carries: a pool of three starts them faster than one node.
    rates = {n: max(run["spawn_rate"] for run in sweep["runs"] if (run["tier"], run["nodes"]) == ("middleware", n))
             for n in (1, 3)}
    assert rates[3] > rates[1] >= 4, rates
    # Before the mail tier's first point every test user signs in on both Dovecot nodes as itself.
    assert "test users signed in over IMAP on 2 Dovecot node(s)" in " ".join(result.stdout.split())
    # The test users are provisioned and seeded once: the N+1 proof runs with the sweep's own.
    assert len(re.findall(r"provisioning \d+ test users", result.stdout)) == 1, result.stdout[:3000]
    for run in sweep["runs"]:  # each point's own load run, with its steps, is kept beside the sweep
        steps = json.loads((folder / "points" / run["folder"] / "results.json").read_text())["steps"]
        assert len(steps) == len(run["steps"]), run
        assert run["capacity"]["note"], run

    fit = record["fits"]["middleware"]
    # Three points at one quota are too few for the USL: the model must say it fell back to Amdahl.
    assert fit["model"] == "amdahl" and "Amdahl" in fit["reason"], fit
    assert fit["lambda_per_core"] > 0 and fit["intervals"]["lambda_per_core"]
    assert "validation" in fit and ("held_out" in fit["validation"] or fit["validation"]["not_done"])
    # Two runs per point: the point is their median (runs that found no knee give none), and how far the runs lie
    # apart is printed beside the fit's errors.
    repeated = [point for point in fit["points"] if point["repeats"]]
    assert repeated, fit["points"]
    for point in repeated:
        assert len(point["repeats"]) == 2 and point["throughput"] == pytest.approx(
            sum(point["repeats"]) / 2, abs=0.02), point
    spread = fit["validation"]["spread"]
    assert spread["points"] == len(repeated) and 0 <= spread["median"] <= spread["highest"], spread
    assert f"run-to-run spread {spread['median']:.1%} (median; highest {spread['highest']:.1%}" in \
        " ".join(result.stdout.split()), result.stdout[-3000:]

    # One node under one quota: too few for a per-core exponent (three are needed), which the sizing says
    # while the per-core factor stays the design's assumption (the fit itself: tests/unit/test_per_core.py;
    # a one-node point under another quota is measured like the one-node point here).
    per_core = record["per_core"]
    scaling = next(f for f in record["planning_factors"] if f["name"] == "per_core_scaling")
    assert "needs 3" in per_core["not_done"] and scaling["assumption"], per_core
    assert "per-core scaling: not measured (one middleware node was measured under" in result.stdout

    proof = record["proof"]
    assert proof is not None, "the N+1 proof was not made"
    assert proof["nodes"] == 3 and proof["killed"] == ["ox-1"], proof
    assert "N+1 proof:" in result.stdout
    assert (result.returncode == 1) == (not proof["holds"] or bool(record["untrusted"]) or any(
        tier["verdict"].startswith(("short", "refused")) for tier in record["tiers"])), output[-3000:]
    doubted = fit["validation"]["missed"] or fit["validation"]["unchecked"]
    assert bool(record["untrusted"]) == doubted and ("NOT TRUSTED" in result.stdout) == doubted

    tiers = {tier["name"]: tier for tier in record["tiers"]}
    # The sync pool: its one node under the sync profile's DAV clients gives λ per core; the design's sync clients
    # give its demand; its count is extrapolated with its scaling over nodes stated as assumed.
    sync_runs = [run for run in sweep["runs"] if run["tier"] == "sync"]
    assert {run["cpu_per_node"] for run in sync_runs} == {0.1}, sync_runs  # the default --sync-quotas
    sync_fit = record["fits"]["sync"]
    assert sync_fit["model"] == "linear" and "assumption: linear in nodes" in sync_fit["reason"], sync_fit
    assert sync_fit["lambda_per_core"] > 0 and sync_fit["intervals"]["lambda_per_core"], sync_fit
    assert "one node measured" in " ".join(sync_fit["validation"]["not_done"]), sync_fit["validation"]
    sync = tiers["middleware_sync"]
    assert sync["basis"] == "extrapolated" and sync["demand"]["req/s"] > 0, sync
    assert any("assumption" in note and "linear" in note for note in sync["notes"]), sync["notes"]
    assert {factor["name"] for factor in record["demand"]["factors"]} >= {"sync_client_share",
                                                                          "sync_requests_per_client_per_second"}
    # Every DAV run costed its database work per request, which the database tier's demand now counts.
    assert any(cost["request"] == "*dav" and cost["db_queries_per_request"] for cost in sweep["costs"]), sweep["costs"]
    assert "dav.propfind" not in tiers["database"]["demand_how"], tiers["database"]["demand_how"]
    groupware = tiers["middleware_groupware"]
    assert groupware["basis"] == "extrapolated"
    generated_sync = yaml.safe_load((folder / "design.yaml").read_text())["tiers"]["middleware_sync"]
    assert sync["refused"] or generated_sync["count"] == sync["nodes"], (sync, generated_sync)
    generated = yaml.safe_load((folder / "design.yaml").read_text())["tiers"]["middleware_groupware"]
    # A short sweep on a shared machine may measure a curve too flat for 1M users: then the tier is refused with
    # the reason, and the generated design keeps the vendor's count and says why; otherwise it holds the count.
    if groupware["refused"]:
        assert groupware["nodes"] is None and groupware["verdict"].startswith("refused: ")
        assert generated["count"] == groupware["vendor_count"] and "refuses" in generated["source"], generated
    else:
        assert groupware["nodes"] >= 2 and generated["count"] == groupware["nodes"], (groupware, generated)
    assert tiers["database"]["basis"] == "not measured"  # costed per request, not extrapolated
    assert load_sizing(folder / "design.yaml").users == 1_000_000
    # The fit's plot always; demand against capacity only where a tier was planned (a refused one has no count).
    expected_plots = {"usl_middleware.png", "usl_sync.png"} | (set() if groupware["refused"]
                                                               else {"capacity_per_tier.png"})
    assert expected_plots <= set(record["plots"]), record["plots"]
    assert all((folder / plot).stat().st_size > 5000 for plot in record["plots"])
    assert "Nodes per tier" in result.stdout

    # The same points again, from the run folder, without measuring: the same plan.
    again = oxh("size", "--from", str(folder.parent), "--users", "1000000", reports=tmp_path, timeout=300)
    assert again.returncode == result.returncode, again.stdout[-3000:] + again.stderr[-2000:]
    replanned = json.loads((folder / "sizing.json").read_text())
    assert [t["nodes"] for t in replanned["tiers"]] == [t["nodes"] for t in record["tiers"]]

    # Every measured step, with the host's CPU and the queueing model's throughput and p95 from the point's lightest
    # step.
    assert "Every step: host CPU" in result.stdout and "measured: the reference middleware" in result.stdout
    assert "of their quota" in result.stdout and all(point["swept_share"] for point in fit["points"]), fit["points"]
    checked = {check["folder"]: check for check in record["steps_check"]}
    for run in sweep["runs"]:
        check = checked[run["folder"]]
        assert not check["problem"] and len(check["steps"]) == len(run["steps"]), check
        assert all(0 < step["host_share"] < 1.5 for step in check["steps"]), check
        # the swept nodes' CPU against their quota on every step, and what else was busiest beside them
        assert all(0 < step["swept_share"] < 1.5 and step["busiest_other"] for step in check["steps"]), check
        assert (check["median_error"] is not None) == (len(run["steps"]) > 1), check
        # each class's p95 simulated where the step had enough of its requests; none on the lightest step
        assert not check["steps"][0]["p95_ms"], check
        assert all(0 < figures["measured"] and 0 < figures["predicted"]
                   for step in check["steps"] for figures in step["p95_ms"].values()), check

    # The design rehearsed in the queueing model from the sweep's demands: whole and with each single failure.
    rehearsed = oxh("size", "--from", str(folder.parent), "--rehearse", reports=tmp_path, timeout=120)
    assert rehearsed.returncode in (0, 1), rehearsed.stdout[-3000:] + rehearsed.stderr[-2000:]
    rehearsal = json.loads((folder / "rehearsal.json").read_text())
    scenarios, smallest = rehearsal["design"], rehearsal["smallest"]
    assert scenarios[0]["name"] == "every node" and all(s["verdict"] for s in scenarios)
    assert {"middleware_groupware loses a node", "database loses a node"} <= {s["name"] for s in scenarios}
    assert "Rehearsal: each single failure" in rehearsed.stdout
    # The generated design is the smallest that holds the rehearsal, or the search says why there is none.
    assert "The smallest design that holds the rehearsal" in rehearsed.stdout
    assert smallest["counts"] and smallest["holds"] == (not smallest["problems"]), smallest
    # holding means every scenario within the SLO and every tier under the target utilisation as well, so a design
    # whose scenarios all hold can still be refused, with the tier that stays too busy named
    if smallest["holds"]:
        assert all(s["holds"] for s in smallest["scenarios"]), smallest
    else:
        assert smallest["problems"][0][:60] in " ".join(rehearsed.stdout.split()), rehearsed.stdout[-3000:]
    # The rehearsal rests on the CPU per request measured over the steps, printed with its interval.
    assert rehearsal["demands"]["middleware"]["seconds"] > 0 and "CPU per request of the mix" in rehearsed.stdout
    # Its search starts from the nodes the sessions need, or from the USL's count where that is more.
    start = smallest["floors"]["middleware_groupware"]
    groupware = next(plan for plan in json.loads((folder / "sizing.json").read_text())["tiers"]
                     if plan["name"] == "middleware_groupware")
    assert start["nodes"] == max(groupware["least_nodes"], groupware["nodes"] or 0), (start, groupware)
    rehearsed_design = yaml.safe_load((folder / "design.yaml").read_text())["tiers"]
    for name, count in smallest["counts"].items():
        assert rehearsed_design[name]["count"] == count
        assert rehearsed_design[name]["source"].startswith("oxh size --rehearse: the smallest count"), name
    # The design's sync clients are a flow of their own, with the CPU per DAV request measured on the sync points'
    # steps: the sync pool is sized by the rehearsal too, from its capacity division, and every scenario gives
    # their p95.
    assert rehearsal["sync_demands"]["middleware"]["seconds"] > 0, rehearsal["sync_demands"]
    assert "CPU per DAV request of the sync clients" in rehearsed.stdout
    assert all("the sync clients" in s["others_p95_ms"] for s in scenarios), scenarios[0]
    assert "middleware_sync" in smallest["counts"], smallest["counts"]
    assert smallest["floors"]["middleware_sync"]["why"].startswith("the capacity division (linear in nodes"), smallest
    assert smallest["counts"]["middleware_sync"] >= smallest["floors"]["middleware_sync"]["nodes"]

    # The sweep left the cluster as it found it: every member of every pool enabled, no CPU quota.
    manager = cluster.node("lb-1").exec("curl -s -H 'Referer: http://127.0.0.1/' "
                                        "'http://127.0.0.1/balancer-manager?xml=1'").output
    assert "<httpd:status>" in manager and " Dis " not in manager, manager[-2000:]
    for node in ("ox-1", "ox-2", "ox-3", "ox-4", "imap-1", "imap-2"):
        assert cluster.node(node).container.attrs["HostConfig"]["CpuQuota"] in (0, -1), node
