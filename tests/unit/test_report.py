"""The requirements catalogue matches the suites, and verdicts follow the tests' outcomes."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from harness.report.catalogue import load_catalogue
from harness.report.render import mask, qualified, render, verdicts

SUITES = Path(__file__).resolve().parents[2] / "suites"


def suite_tests() -> set[str]:
    names = set()
    for path in SUITES.glob("*/test_*.py"):
        tree = ast.parse(path.read_text())
        names |= {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}
    return names


def test_every_catalogued_test_exists_and_every_test_is_catalogued():
    catalogue = load_catalogue()
    catalogued = {name for req in catalogue.requirements for name in req.tests}
    assert catalogued - suite_tests() == set(), "the catalogue names tests that do not exist"
    assert suite_tests() - catalogued == set(), "these tests check no requirement of the catalogue"
    ids = [req.id for req in catalogue.requirements]
    assert len(ids) == len(set(ids))


def results(*outcomes: tuple[str, str], exit_status: int = 0) -> dict:
    return {"started": 0, "finished": 1, "exit_status": exit_status, "exit_reason": None,
            "tests": [{"name": name, "nodeid": name, "outcome": outcome, "duration": 0.1, "message": "",
                       "evidence": {}, "requirements": [], "doc": ""} for name, outcome in outcomes]}


def test_a_requirement_fails_when_one_of_its_tests_fails():
    found = {v.id: v.status for v in verdicts(results(
        ("test_jsessionid_route_sticks", "passed"),
        ("test_an_unpinned_client_stays_on_the_node_it_was_given", "failed"),
        ("test_replication_runs_in_both_directions", "passed"),
        ("test_the_balancer_vip_is_held_by_exactly_one_balancer", "skipped"),
    ), load_catalogue())}
    assert found["BAL-STICKY"] == "failed" and found["DB-REPL"] == "passed"
    assert found["VIP-BAL"] == "not run" and found["MON"] == "not run"


def test_parametrized_tests_count_for_their_requirement():
    found = {v.id: v.status for v in verdicts(results(
        ("test_nodes_of_one_role_have_the_same_configuration[balancer]", "passed"),
        ("test_nodes_of_one_role_have_the_same_configuration[database]", "failed"),
    ), load_catalogue())}
    assert found["DRIFT"] == "failed"


def test_qualified_needs_a_clean_exit_and_no_failure():
    catalogue = load_catalogue()
    assert qualified(results(("test_replication_runs_in_both_directions", "passed")), catalogue)
    assert not qualified(results(("test_replication_runs_in_both_directions", "failed")), catalogue)
    assert not qualified(results(("test_replication_runs_in_both_directions", "passed"), exit_status=2), catalogue)
    assert not qualified(results(), catalogue)


def test_secrets_are_masked():
    assert mask("password=hunter22 again hunter22", ["hunter22"]) == "password=•••••• again ••••••"
    assert mask("abc", ["", "ab"]) == "abc"


def test_the_report_names_the_verdict_and_the_failure(tmp_path):
    run = {"run_id": "r1", "target": "t", "kind": "docker", "use": "ci", "suites": ["functional"],
           "harness_version": "0", "started_text": "now", "versions": {"MariaDB": "10.11"}}
    data = results(("test_replication_runs_in_both_directions", "failed"))
    data["tests"][0]["message"] = "db-2: replication stopped, password s3cr3t-value"
    (tmp_path / "run.json").write_text(json.dumps(run))
    (tmp_path / "results.json").write_text(json.dumps(data))
    html = render(tmp_path, ["s3cr3t-value"]).read_text()
    assert "NOT QUALIFIED" in html and "DB-REPL" in html and "replication stopped" in html
    assert "s3cr3t-value" not in html and "MariaDB" in html


def test_an_incomplete_run_folder_is_a_user_error(tmp_path):
    from harness.errors import UserError

    with pytest.raises(UserError, match="results.json is missing|run.json is missing"):
        render(tmp_path)
