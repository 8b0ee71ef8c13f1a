"""The smoke profile through Locust against the target, once per run, judged against its SLOs.

Test users are provisioned for the run and removed after it; Locust's files,
results.json and the plots go into the run folder's `load/`, where the HTML
report shows them. Against a remote target load runs only when its target
file says `load: allowed`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import resources
from harness.load.profile import load_profile
from harness.load.load_run import LoadOptions, run_load

PROFILE = "smoke"
TOLERANCE = 0.05  # the middleware's count may differ from the generator's by this share
MEANINGFUL = 50  # requests of a class before its p95 is compared release over release


@pytest.fixture(scope="session")
def smoke_run(request, target, tmp_path_factory):
    if not target.policy.load_allowed:
        pytest.skip(f"target {target.name} does not allow load (its target file says no `load: allowed`)")
    report_dir = request.config.getoption("--report-dir", default=None)
    folder = Path(report_dir) / "load" if report_dir else tmp_path_factory.mktemp("load")
    profile = load_profile(resources.loadprofiles_dir() / f"{PROFILE}.yaml")
    options = LoadOptions(users=min(profile.defaults.users, target.policy.load_max_users or profile.defaults.users))
    return run_load(target, profile, options, folder, lambda line: None), folder


@pytest.mark.requirement("LOAD-SLO")
def test_every_request_class_meets_its_slo_under_the_smoke_profile(request, smoke_run):
    result, folder = smoke_run
    # Release-over-release figures: throughput, and the p95 of classes with enough requests to mean something.
    request.node.oxh_figures = [{"name": "load smoke throughput", "value": result.rps, "unit": "req/s",
                                 "better": "higher"}] + [
        {"name": f"load {c.name} p95", "value": c.p95, "unit": "ms", "better": "lower"}
        for c in result.classes if c.p95 is not None and c.requests >= MEANINGFUL]
    assert not result.generator.bound, (
        f"the run is invalid: the generator reached {result.generator.peak_cpu_percent} % of a core, so the "
        "figures are its own limit")
    assert not result.generator.invalid, f"the run is invalid: {result.generator.invalid}"
    made = {c.name for c in result.classes if c.requests}
    expected = set(load_profile(resources.loadprofiles_dir() / f"{PROFILE}.yaml").request_classes()) - {"logout"}
    assert expected <= made, f"request classes never made: {sorted(expected - made)} (see {folder}/locust.log)"
    assert not result.slo_violations, "; ".join(result.slo_violations) + f" (errors by code: {result.errors})"


@pytest.mark.requirement("LOAD-CROSSCHECK")
def test_the_middleware_counts_the_requests_the_generator_made(smoke_run, node_access):
    check = smoke_run[0].crosscheck
    sent, counted = check.generator_api_requests, check.middleware_counted
    assert check.nodes, "no middleware node's /metrics could be read"
    assert sent > 0, "the generator made no HTTP API request"
    assert abs(counted - sent) <= TOLERANCE * sent, (
        f"the middleware nodes ({', '.join(check.nodes)}) counted {counted} API requests, "
        f"the generator sent {sent}: the figures do not describe the cluster's work")
