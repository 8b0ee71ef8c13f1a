"""The HTML report shows the run's verdict and failures with secrets masked; bad run folders are user errors."""

from __future__ import annotations

import json

import pytest

from harness.errors import UserError
from harness.report.render import mask, render


def results(*outcomes: tuple[str, str, str], exit_status: int = 0) -> dict:
    return {"started": 0, "finished": 1, "exit_status": exit_status, "exit_reason": None,
            "tests": [{"name": name, "nodeid": name, "outcome": outcome, "duration": 0.1, "message": "",
                       "evidence": {}, "requirements": [requirement], "doc": "", "figures": [], "attachments": {}}
                      for name, requirement, outcome in outcomes]}


def write_run(folder, data: dict, **run: object) -> None:
    base = {"run_id": "r1", "target": "t", "kind": "docker", "use": "ci", "suites": ["functional"],
            "narrowed": False, "harness_version": "0", "started_text": "now", "versions": {"MariaDB": "10.11"}}
    (folder / "run.json").write_text(json.dumps({**base, **run}))
    (folder / "results.json").write_text(json.dumps(data))


def test_secrets_are_masked():
    assert mask("password=hunter22 again hunter22", ["hunter22"]) == "password=•••••• again ••••••"
    assert mask("abc", ["", "ab"]) == "abc"


def test_the_report_names_the_verdict_the_failure_and_what_did_not_run(tmp_path):
    data = results(("test_replication_runs_in_both_directions", "DB-REPL", "failed"))
    data["tests"][0]["message"] = "E   AssertionError: db-2: replication stopped, password s3cr3t-value"
    write_run(tmp_path, data)
    html = render(tmp_path, ["s3cr3t-value"]).read_text()
    assert "NOT QUALIFIED" in html and "DB-REPL failed: AssertionError: db-2: replication stopped" in html
    assert "FAILOVER-MIDDLEWARE-NODE-PAUSED not run: suite failover not selected" in html
    assert "s3cr3t-value" not in html and "MariaDB" in html


def test_a_narrowed_run_is_partial_in_the_report(tmp_path):
    write_run(tmp_path, results(("test_replication_runs_in_both_directions", "DB-REPL", "passed")), narrowed=True)
    html = render(tmp_path).read_text()
    assert "PARTIAL" in html and "QUALIFIED</span>" not in html and "qualifies nothing" in html


def test_attachments_and_figures_are_shown(tmp_path):
    data = results(("test_login", "DB-REPL", "failed"))
    data["tests"][0]["attachments"] = {"screenshot": "attachments/t/shot.png"}
    data["tests"][0]["figures"] = [{"name": "browser login to launcher", "value": 1.25, "unit": "s"}]
    write_run(tmp_path, data)
    html = render(tmp_path).read_text()
    assert 'src="attachments/t/shot.png"' in html and "browser login to launcher" in html


def test_an_incomplete_run_folder_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="results.json is missing|run.json is missing"):
        render(tmp_path)
