"""Limits a target file sets looser than the design's are named waivers; data-loss limits cannot be loosened."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.errors import UserError
from harness.load.profile import load_profile
from harness.report.requirement_catalogue import load_catalogue
from harness.report.verdict import EXIT_QUALIFIED, QUALIFIED, judge
from harness.scenario.waivers import failover_waivers, slo_waivers, waivers_of
from harness.models.target_file import load_target_file

STAGING = Path(__file__).resolve().parents[2] / "topologies" / "examples" / "staging-drill.yaml"


@pytest.fixture(scope="module")
def profiles():
    return [load_profile(name) for name in ("webmail", "groupware", "imap")]


def test_limits_as_strict_as_the_design_or_stricter_are_no_waiver(profiles):
    assert failover_waivers({"database-write-master-killed": {"max_write_downtime": 10.0, "max_probe_downtime": 2}}) == []
    assert slo_waivers({"login": {"p95_ms": 1500, "p99_ms": 2000, "max_error_ratio": 0.001}}, profiles) == []


def test_a_looser_downtime_is_a_waiver_naming_scenario_limit_and_both_values():
    assert failover_waivers({"database-write-master-killed": {"max_write_downtime": 15.0}}) == [
        "failover database-write-master-killed: max_write_downtime 15 s instead of the design's 10 s"]


def test_lost_sessions_allowed_are_a_waiver():
    assert failover_waivers({"middleware-node-killed": {"max_lost_sessions": 2}}) == [
        "failover middleware-node-killed: max_lost_sessions 2 session(s) instead of the design's 0 session(s)"]


def test_a_looser_slo_is_a_waiver_against_the_strictest_profile_with_that_request_class(profiles):
    lines = slo_waivers({"login": {"p95_ms": 5000, "p99_ms": 3000, "max_error_ratio": 0.05}}, profiles)
    assert lines == ["load SLO login: p95_ms 5000 ms instead of the design's 1500 ms (profile webmail)",
                     "load SLO login: max_error_ratio 0.05 instead of the design's 0.01 (profile webmail)"]
    assert slo_waivers({"default": {"p95_ms": 800, "p99_ms": 1500, "max_error_ratio": 0.01}}, profiles) == [
        "load SLO default: p95_ms 800 ms instead of the design's 500 ms (profile imap)"]


def test_every_waiver_of_a_policy_together(profiles):
    lines = waivers_of({"mta-stopped": {"max_recovery": 60}}, {"login": {"p95_ms": 1600, "p99_ms": 1, "max_error_ratio": 0}},
                       profiles)
    assert len(lines) == 2 and lines[0].startswith("failover mta-stopped: max_recovery 60 s")


def test_the_verdict_carries_its_waivers_beside_it():
    catalogue = load_catalogue()
    tests = [{"name": f"t{r.id}", "nodeid": f"s::{r.id}", "outcome": "passed", "duration": 0, "message": "",
              "requirements": [r.id]} for r in catalogue.requirements]
    waivers = ["failover mta-stopped: max_recovery 60 s instead of the design's 15 s", "load SLO login: ..."]
    verdict = judge({"exit_status": 0, "tests": tests}, {"kind": "docker", "suites": ["functional"], "waivers": waivers},
                    catalogue)
    assert verdict.status == QUALIFIED and verdict.exit_code == EXIT_QUALIFIED
    assert verdict.title() == "QUALIFIED with 2 waivers"
    assert "waived: failover mta-stopped: max_recovery 60 s" in verdict.headline()
    plain = judge({"exit_status": 0, "tests": tests}, {"kind": "docker", "suites": ["functional"]}, catalogue)
    assert plain.title() == "QUALIFIED" and "waived" not in plain.headline()


@pytest.mark.parametrize("value", [1, 5])
def test_a_file_that_allows_lost_writes_is_refused_with_exit_code_2(tmp_path, value):
    data = yaml.safe_load(STAGING.read_text())
    data["failover_thresholds"]["database-write-master-killed"]["max_lost_writes"] = value
    path = tmp_path / "target.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(UserError, match=r"max_lost_writes.*cannot be loosened.*lost data") as raised:
        load_target_file(path)
    assert raised.value.exit_code == 2


def test_a_file_that_says_no_lost_write_is_accepted(tmp_path):
    data = yaml.safe_load(STAGING.read_text())
    data["failover_thresholds"]["database-write-master-killed"]["max_lost_writes"] = 0
    path = tmp_path / "target.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert load_target_file(path).failover_thresholds["database-write-master-killed"].max_lost_writes == 0
