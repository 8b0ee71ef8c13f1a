"""Tests are tied to requirements by markers, checked at collection (real pytest runs, via pytester)."""

from __future__ import annotations

import json
import textwrap

import pytest

from harness import resources
from harness.report.requirement_catalogue import load_catalogue
from harness.report.verdict import judge

pytest_plugins = ["pytester"]

TOP = """
capabilities: {api: the API}
target_kinds:
  docker: {description: reference, gives: [api]}
  remote: {description: customer, gives: [api]}
  staging: {description: staging, gives: [api]}
"""
REQUIREMENTS = {
    "alpha": "requirements:\n  - {id: ALPHA-ONE, text: First.}\n  - {id: ALPHA-TWO, text: Second.}\n",
    "beta": "requirements:\n  - {id: BETA-ONE, text: Third.}\n",
}


@pytest.fixture
def suites(pytester, monkeypatch):
    """A suites folder of two suites whose tests the markers plugin checks."""
    folder = pytester.mkdir("suites")
    (folder / "requirements.yaml").write_text(TOP)
    for suite, text in REQUIREMENTS.items():
        (folder / suite).mkdir()
        (folder / suite / "requirements.yaml").write_text(text)
    monkeypatch.setattr(resources, "suites_dir", lambda: folder)

    def write(path: str, source: str) -> None:
        (folder / path).write_text(textwrap.dedent(source))

    return write


def run(pytester, *args: str):
    return pytester.runpytest_inprocess("-p", "harness.report.requirement_markers", "-p", "harness.report.plugin",
                                        "--report-dir", str(pytester.path / "out"), "suites", *args)


def test_two_tests_of_one_name_in_different_files_keep_their_own_requirements(pytester, suites):
    suites("alpha/test_a.py", """
        import pytest
        @pytest.mark.requirement("ALPHA-ONE")
        def test_same(): pass
        @pytest.mark.requirement("ALPHA-TWO")
        def test_other(): pass
    """)
    suites("beta/test_b.py", """
        import pytest
        @pytest.mark.requirement("BETA-ONE")
        def test_same(): assert False, "beta breaks"
    """)
    result = run(pytester)
    assert result.ret == 1
    results = json.loads((pytester.path / "out" / "results.json").read_text())
    by_node = {t["nodeid"]: t["requirements"] for t in results["tests"]}
    assert by_node == {"suites/alpha/test_a.py::test_same": ["ALPHA-ONE"],
                       "suites/alpha/test_a.py::test_other": ["ALPHA-TWO"],
                       "suites/beta/test_b.py::test_same": ["BETA-ONE"]}
    catalogue = load_catalogue(pytester.path / "suites")
    verdict = judge(results, {"kind": "docker", "suites": ["alpha", "beta"]}, catalogue)
    assert {v.id: v.status for v in verdict.requirements} == {
        "ALPHA-ONE": "passed", "ALPHA-TWO": "passed", "BETA-ONE": "failed"}


def test_an_unknown_requirement_stops_the_run_at_collection_with_exit_code_2(pytester, suites):
    suites("alpha/test_a.py", """
        import pytest
        @pytest.mark.requirement("ALPHA-ONEE")
        def test_one(): pass
        @pytest.mark.requirement("ALPHA-TWO")
        def test_two(): pass
    """)
    result = run(pytester)
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*unknown requirement 'ALPHA-ONEE' (did you mean ALPHA-ONE?)*",
                                 "*requirement ALPHA-ONE has no test*"])


def test_a_test_without_a_marker_is_refused(pytester, suites):
    suites("beta/test_b.py", "def test_untied(): pass\n")
    result = run(pytester)
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*test_untied: no @pytest.mark.requirement*"])


def test_deselecting_with_k_is_not_a_requirement_without_tests(pytester, suites):
    suites("beta/test_b.py", """
        import pytest
        @pytest.mark.requirement("BETA-ONE")
        def test_kept(): pass
        @pytest.mark.requirement("BETA-ONE")
        def test_dropped(): pass
    """)
    result = run(pytester, "-k", "kept")
    assert result.ret == 0
    result.assert_outcomes(passed=1, deselected=1)


def test_a_requirement_of_another_suite_is_refused(pytester, suites):
    suites("beta/test_b.py", """
        import pytest
        @pytest.mark.requirement("BETA-ONE")
        def test_one(): pass
        @pytest.mark.requirement("ALPHA-ONE")
        def test_two(): pass
    """)
    result = run(pytester)
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*requirement ALPHA-ONE belongs to suite alpha*"])


def test_the_shipped_suites_collect_with_every_requirement_tested(pytester):
    """Every test under suites/ names a known requirement and every requirement has a test."""
    result = pytester.runpytest_subprocess(str(resources.suites_dir()), "--collect-only", "-q",
                                           "--rootdir", str(resources.suites_dir()), "-c", str(resources.suites_config()),
                                           "-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()[-2000:]
