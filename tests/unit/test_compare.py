"""Release over release: figures compared with stated tolerances; the default baseline qualified."""

from __future__ import annotations

import json

import pytest

from harness.report.compare import Figure, Tolerance, compare, default_baseline, regressed
from harness.report.requirement_catalogue import load_catalogue


def write_run(folder, run_id: str, figures: list[dict], *, target: str = "ci-small", qualified: bool = True,
              durations: dict[str, float] = {}) -> None:
    path = folder / run_id
    path.mkdir()
    (path / "run.json").write_text(json.dumps({"run_id": run_id, "target": target, "kind": "docker", "use": "ci",
                                               "suites": ["functional", "failover"], "narrowed": False}))
    tests = [{"name": f"test_{r.id.lower()}", "nodeid": f"suites/x.py::test_{r.id.lower()}", "duration": 1.0,
              "outcome": "passed" if qualified else "failed", "requirements": [r.id], "figures": [], "message": ""}
             for r in load_catalogue().requirements]
    tests[0]["figures"] = figures
    for nodeid, seconds in durations.items():
        tests.append({"name": nodeid, "nodeid": nodeid, "duration": seconds, "outcome": "passed",
                      "requirements": ["DB-REPL"], "figures": []})
    (path / "results.json").write_text(json.dumps({"exit_status": 0, "tests": tests}))


def downtime(value: float) -> dict:
    return {"name": "failover balancer-vip-holder-killed: probe downtime", "value": value, "unit": "s"}


def test_a_figure_regresses_only_beyond_both_tolerances():
    tolerance = Tolerance(relative=0.5, absolute=1.0)
    base = Figure("failover x: probe downtime", 2.0, "s")
    assert not regressed(Figure(base.name, 2.9, "s"), base, tolerance)  # within 1 s
    assert not regressed(Figure(base.name, 0.1, "s"), Figure(base.name, 0.04, "s"), tolerance)  # within 1 s
    assert regressed(Figure(base.name, 3.5, "s"), base, tolerance)
    throughput = Figure("load webmail: throughput", 100.0, "req/s", "higher")
    assert regressed(Figure(throughput.name, 80.0, "req/s", "higher"), throughput, Tolerance(0.15, 1.0))
    assert not regressed(Figure(throughput.name, 130.0, "req/s", "higher"), throughput, Tolerance(0.15, 1.0))


def test_lost_data_has_no_tolerance(tmp_path, monkeypatch):
    monkeypatch.setenv("OXH_REPORTS_DIR", str(tmp_path))
    lost = {"name": "failover x: lost writes", "unit": "", "value": 0}
    write_run(tmp_path, "20260101-000000-aaaa", [lost])
    write_run(tmp_path, "20260102-000000-bbbb", [{**lost, "value": 1}])
    comparison = compare(tmp_path / "20260102-000000-bbbb", tmp_path / "20260101-000000-aaaa")
    assert [c.name for c in comparison.regressions] == ["failover x: lost writes"]


def test_durations_and_downtimes_are_compared(tmp_path, monkeypatch):
    monkeypatch.setenv("OXH_REPORTS_DIR", str(tmp_path))
    write_run(tmp_path, "20260101-000000-aaaa", [downtime(1.0)], durations={"suites/f.py::test_mail": 2.0})
    write_run(tmp_path, "20260102-000000-bbbb", [downtime(3.5)], durations={"suites/f.py::test_mail": 12.0})
    comparison = compare(tmp_path / "20260102-000000-bbbb", tmp_path / "20260101-000000-aaaa")
    assert {c.name for c in comparison.regressions} == {
        "failover balancer-vip-holder-killed: probe downtime", "duration suites/f.py::test_mail"}
    comparison.save(tmp_path / "20260102-000000-bbbb")
    assert json.loads((tmp_path / "20260102-000000-bbbb" / "comparison.json").read_text())["baseline"] == \
        "20260101-000000-aaaa"


def test_the_default_baseline_is_the_newest_earlier_qualified_run_on_the_same_target(tmp_path, monkeypatch):
    monkeypatch.setenv("OXH_REPORTS_DIR", str(tmp_path))
    write_run(tmp_path, "20260101-000000-aaaa", [downtime(1.0)])
    write_run(tmp_path, "20260102-000000-bbbb", [downtime(1.0)], qualified=False)
    write_run(tmp_path, "20260103-000000-cccc", [downtime(1.0)], target="customer-acme")
    write_run(tmp_path, "20260104-000000-dddd", [downtime(1.0)])
    assert default_baseline(tmp_path / "20260104-000000-dddd").name == "20260101-000000-aaaa"
    assert default_baseline(tmp_path / "20260101-000000-aaaa") is None


def test_oxh_compare_exits_1_on_a_regression_and_2_without_a_baseline(tmp_path, monkeypatch, capsys):
    from harness.cli.main import main

    monkeypatch.setenv("OXH_REPORTS_DIR", str(tmp_path))
    write_run(tmp_path, "20260101-000000-aaaa", [downtime(1.0)])
    write_run(tmp_path, "20260102-000000-bbbb", [downtime(6.0)])
    assert main(["compare", "20260102-000000-bbbb"]) == 1
    assert "regressed" in capsys.readouterr().out
    assert main(["compare", "20260101-000000-aaaa"]) == 2
    assert "has no baseline" in capsys.readouterr().err


@pytest.fixture(autouse=True)
def _reports_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("OXH_REPORTS_DIR", str(tmp_path))
