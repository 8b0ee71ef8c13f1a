"""A run that did not run every test of its suites is PARTIAL, however it was narrowed (real pytest runs).

The inventory is collected as `oxh qualify` collects it (no selection
arguments); the run is then narrowed by each spelling a user may type, and
by a plugin that drops tests without telling pytest. The requirement whose
test went is "not run (deselected)" even though its other tests passed.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from harness import resources
from harness.report import inventory
from harness.report.requirement_catalogue import load_catalogue
from harness.report.verdict import EXIT_NOT_QUALIFIED, EXIT_PARTIAL, EXIT_QUALIFIED, PARTIAL, QUALIFIED, judge
from test_requirement_markers import TOP  # the catalogue's top file, as the markers' tests write it

pytest_plugins = ["pytester"]

CALENDAR = """
import pytest

@pytest.mark.requirement("API-CALENDAR")
def test_calendar_create(): pass

@pytest.mark.requirement("API-CALENDAR")
@pytest.mark.slow
def test_calendar_recurrence(): pass

@pytest.mark.requirement("API-MAIL")
def test_mail_send(): pass
"""
DAV = """
import pytest

@pytest.mark.requirement("DAV-SYNC")
def test_dav_sync(): pass
"""
SILENT_DROPPER = """
def pytest_collection_modifyitems(items):
    items[:] = [item for item in items if "recurrence" not in item.nodeid]
"""


@pytest.fixture
def suites(pytester, monkeypatch):
    folder = pytester.mkdir("suites")
    (folder / "requirements.yaml").write_text(TOP)
    (folder / "api").mkdir()
    (folder / "api" / "requirements.yaml").write_text(
        "requirements:\n  - {id: API-CALENDAR, text: Calendar.}\n  - {id: API-MAIL, text: Mail.}\n"
        "  - {id: DAV-SYNC, text: Sync.}\n")
    (folder / "api" / "test_groupware.py").write_text(textwrap.dedent(CALENDAR))
    (folder / "api" / "test_dav.py").write_text(textwrap.dedent(DAV))
    (pytester.path / "dropper.py").write_text(textwrap.dedent(SILENT_DROPPER))
    pytester.makeini("[pytest]\nmarkers =\n    slow: a slow test\n")
    monkeypatch.setattr(resources, "suites_dir", lambda: folder)
    monkeypatch.syspath_prepend(str(pytester.path))
    return folder


PLUGINS = ("-p", "harness.report.requirement_markers", "-p", "harness.report.plugin")


def qualify(pytester, *selection: str):
    """The inventory, then the run with `selection`: what `oxh qualify` does, judged as it judges."""
    out = pytester.path / "out"
    collected = pytester.runpytest_inprocess(*PLUGINS, "--collect-only", "-q",
                                             "--inventory", str(out / inventory.FILE), "suites")
    assert collected.ret == 0
    paths = [] if any(not arg.startswith("-") for arg in selection) else ["suites"]
    ran = pytester.runpytest_inprocess(*PLUGINS, "--report-dir", str(out), *paths, *selection)
    assert ran.ret in (0, 1), ran.outlines[-5:]
    results = json.loads((out / "results.json").read_text())
    run = {"kind": "docker", "use": "ci", "suites": ["api"], "narrowed": False}
    return judge(results, run, load_catalogue(pytester.path / "suites"), inventory.read(out))


def test_a_run_of_every_test_is_judged_in_full(pytester, suites):
    verdict = qualify(pytester)
    assert verdict.status == QUALIFIED and verdict.exit_code == EXIT_QUALIFIED and verdict.deselected == []


@pytest.mark.parametrize("selection", [
    ["-k", "not recurrence"],
    ["-knot recurrence"],
    ["-k", "create or mail or dav"],
    ["-m", "not slow"],
    ["-mnot slow"],
    ["--deselect", "suites/api/test_groupware.py::test_calendar_recurrence"],
    ["--deselect=suites/api/test_groupware.py::test_calendar_recurrence"],
    ["suites/api/test_groupware.py::test_calendar_create", "suites/api/test_groupware.py::test_mail_send",
     "suites/api/test_dav.py"],
    ["-p", "dropper"],
], ids=["-k", "-kEXPR", "-k a positive choice", "-m", "-mEXPR", "--deselect", "--deselect=", "node ids", "a plugin"])
def test_every_spelling_of_a_narrowed_run_leaves_the_requirement_not_run(pytester, suites, selection):
    verdict = qualify(pytester, *selection)
    by_id = {v.id: v for v in verdict.requirements}
    assert verdict.status == PARTIAL and verdict.exit_code == EXIT_PARTIAL
    assert verdict.deselected == ["suites/api/test_groupware.py::test_calendar_recurrence"]
    assert by_id["API-CALENDAR"].status == "not run"
    assert by_id["API-CALENDAR"].reason == "deselected: 1 of its 2 test(s) did not run (test_calendar_recurrence)"
    assert by_id["API-MAIL"].status == "passed" and by_id["DAV-SYNC"].status == "passed"


@pytest.mark.parametrize("selection", [["--ignore=suites/api/test_dav.py"], ["--ignore", "suites/api/test_dav.py"],
                                       ["--deselect", "suites/api/test_dav.py"]])
def test_an_ignored_file_leaves_its_requirement_not_run(pytester, suites, selection):
    verdict = qualify(pytester, *selection)
    by_id = {v.id: v for v in verdict.requirements}
    assert verdict.status == PARTIAL and verdict.exit_code == EXIT_PARTIAL
    assert by_id["DAV-SYNC"].status == "not run" and by_id["DAV-SYNC"].reason.startswith("deselected: 1 of its 1")


def test_a_failure_beside_a_deselection_is_still_a_failure(pytester, suites):
    (suites / "api" / "test_dav.py").write_text(textwrap.dedent(DAV.replace("pass", "assert False, 'sync broke'")))
    verdict = qualify(pytester, "-k", "not recurrence")
    assert verdict.status == PARTIAL and verdict.exit_code == EXIT_NOT_QUALIFIED
    assert {v.id: v.status for v in verdict.requirements}["DAV-SYNC"] == "failed"


def test_a_run_stopped_before_collection_ended_is_not_taken_for_a_narrowed_one():
    planned = [inventory.PlannedTest("suites/a.py::test_x", ("API-MAIL",), "api")]
    assert inventory.not_selected(planned, {"tests": [], "exit_status": 2}) == []
    assert inventory.not_selected(planned, {"tests": [], "selected": []}) == planned
