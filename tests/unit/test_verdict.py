"""The verdict: QUALIFIED only when every required requirement ran and passed; narrowed runs are PARTIAL."""

from __future__ import annotations

import pytest

from harness.report.requirement_catalogue import load_catalogue
from harness.report.verdict import NOT_QUALIFIED, PARTIAL, QUALIFIED, judge


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def entry(name: str, requirement: str, outcome: str = "passed", message: str = "") -> dict:
    return {"name": name, "nodeid": f"suites/x.py::{name}", "outcome": outcome, "duration": 0.1,
            "message": message, "requirements": [requirement]}


def every_requirement_passed(catalogue, *, but: dict[str, tuple[str, str]] = {}) -> dict:
    tests = []
    for req in catalogue.requirements:
        outcome, message = but.get(req.id, ("passed", ""))
        tests.append(entry(f"test_{req.id.lower()}", req.id, outcome, message))
    return {"exit_status": 0, "exit_reason": None, "tests": tests}


def run(kind: str = "docker", narrowed: bool = False, suites=("failover", "functional"), use: str = "ci") -> dict:
    return {"kind": kind, "use": use, "suites": list(suites), "narrowed": narrowed}


def test_a_full_run_with_everything_passed_qualifies(catalogue):
    verdict = judge(every_requirement_passed(catalogue), run(), catalogue)
    assert verdict.status == QUALIFIED and verdict.ok and verdict.reasons() == []


def test_a_required_requirement_skipped_is_not_qualified_and_named_with_its_reason(catalogue):
    results = every_requirement_passed(catalogue, but={
        "FAILOVER-DATABASE-LATENCY-200MS": ("skipped", "this kernel cannot add latency with tc netem")})
    verdict = judge(results, run(), catalogue)
    assert verdict.status == NOT_QUALIFIED and not verdict.ok
    assert verdict.reasons() == ["FAILOVER-DATABASE-LATENCY-200MS not run: this kernel cannot add latency with tc netem"]


def test_a_suite_not_selected_is_named_as_the_reason(catalogue):
    results = {"exit_status": 0, "tests": [t for t in every_requirement_passed(catalogue)["tests"]
                                           if not t["requirements"][0].startswith("FAILOVER")]}
    verdict = judge(results, run(suites=["functional"]), catalogue)
    assert verdict.status == NOT_QUALIFIED
    assert "FAILOVER-BALANCER-VIP-HOLDER-KILLED not run: suite failover not selected" in verdict.reasons()


def test_a_narrowed_run_is_partial_and_good_only_when_nothing_that_ran_failed(catalogue):
    results = {"exit_status": 0, "tests": [entry("test_replication", "DB-REPL")]}
    verdict = judge(results, run(narrowed=True, suites=["functional"]), catalogue)
    assert verdict.status == PARTIAL and verdict.ok and "no qualification" in verdict.headline()
    results["tests"].append(entry("test_vip", "VIP-BAL", "failed", "E   AssertionError: VIP held by lb-1, lb-2"))
    verdict = judge(results, run(narrowed=True, suites=["functional"]), catalogue)
    assert verdict.status == PARTIAL and not verdict.ok
    assert verdict.reasons() == ["VIP-BAL failed: AssertionError: VIP held by lb-1, lb-2"]


def test_a_requirement_checked_in_part_is_not_met(catalogue):
    results = every_requirement_passed(catalogue)
    results["tests"].append(entry("test_drift_other", "DRIFT", "skipped", "no files to compare"))
    verdict = judge(results, run(), catalogue)
    assert verdict.status == NOT_QUALIFIED
    assert verdict.reasons() == ["DRIFT not run: 1 of its 2 checks skipped: no files to compare"]


def test_a_remote_target_need_not_meet_what_needs_node_access(catalogue):
    results = every_requirement_passed(catalogue)
    for entry in results["tests"]:
        req = catalogue.get(entry["requirements"][0])
        if set(req.needs) - set(catalogue.kind("remote").gives):
            entry["outcome"], entry["message"] = "skipped", "needs access to the nodes"
    verdict = judge(results, run(kind="remote", use="acceptance"), catalogue)
    assert verdict.status == QUALIFIED
    assert {v.id for v in verdict.having("not required")} >= {"VIP-BAL", "DRIFT", "FAILOVER-MTA-STOPPED"}
    assert "needs node access" in next(v.reason for v in verdict.requirements if v.id == "VIP-BAL")


def test_a_remote_target_whose_database_checks_were_skipped_is_not_qualified(catalogue):
    results = every_requirement_passed(catalogue)
    for entry in results["tests"]:
        req = catalogue.get(entry["requirements"][0])
        if "databases" in req.needs:
            entry["outcome"], entry["message"] = "skipped", "the target lists 1 database account(s)"
        elif set(req.needs) - {"api"}:
            entry["outcome"] = "skipped"
    verdict = judge(results, run(kind="remote", use="acceptance"), catalogue)
    assert verdict.status == NOT_QUALIFIED
    assert "DB-REPL not run: the target lists 1 database account(s)" in verdict.reasons()


def test_a_run_that_stopped_never_qualifies(catalogue):
    results = every_requirement_passed(catalogue)
    results["exit_reason"] = "interrupted"
    assert judge(results, run(), catalogue).status == NOT_QUALIFIED
    results["exit_reason"], results["exit_status"] = None, 5
    assert judge(results, run(), catalogue).stopped == "no tests were collected"


def test_every_target_kind_has_a_required_set_and_an_unknown_kind_is_refused(catalogue):
    from harness.errors import UserError

    assert all(catalogue.required_for(kind) for kind in ("docker", "remote", "staging"))
    assert len(catalogue.required_for("docker")) == len(catalogue.requirements)
    with pytest.raises(UserError, match="target kind 'cloud' has no required set"):
        catalogue.kind("cloud")
