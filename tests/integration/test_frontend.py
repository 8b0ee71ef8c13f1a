"""`oxh qualify --suites frontend`: a real Chromium runs App Suite's journeys against the reference topology's UI,
and a run without a usable browser or against a UI that is not App Suite reports the frontend requirements as
not run, with the reason, leaving no browser behind."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.report.requirement_catalogue import load_catalogue
from harness.report.run_folder import verdict_of

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
FRONTEND = {requirement.id for requirement in load_catalogue().of_suite("frontend")}


def qualify_frontend(project: str, reports: Path, *pytest_args: str, env: dict[str, str] | None = None):
    """Run the frontend suite; (exit code, output, run folder). Playwright's browser profiles go under
    `reports/tmp`, so that a browser left running would be found by its command line."""
    scratch = reports / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", "qualify", "--project", project, "--suites", "frontend",
         *(["--", *pytest_args] if pytest_args else [])],
        capture_output=True, text=True, cwd=REPO, timeout=600,
        env={**os.environ, "OXH_REPORTS_DIR": str(reports), "TMPDIR": str(scratch), **(env or {})},
    )
    output = result.stdout + result.stderr
    match = re.search(r"report: (\S+)/report\.html", result.stdout)
    assert match, output[-4000:]
    return result.returncode, output, Path(match.group(1))


def browsers_left(scratch: Path) -> list[str]:
    """Command lines of processes that still use a browser profile made by the run."""
    left = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(scratch) in text and "chrom" in text:
            left.append(text[:200])
    return left


def frontend_verdicts(folder: Path) -> dict[str, tuple[str, str]]:
    return {v.id: (v.status, v.reason) for v in verdict_of(folder).requirements if v.id in FRONTEND}


def test_the_reference_ui_passes_every_frontend_journey_and_its_timings_are_figures(ci_small, tmp_path):
    cluster, _ = ci_small
    code, output, folder = qualify_frontend(cluster.project, tmp_path)
    found = frontend_verdicts(folder)
    failed = {req: reason for req, (status, reason) in found.items() if status != "passed"}
    assert not failed, f"frontend requirements not passed: {failed}\n{output[-3000:]}"
    assert code == 3 and "PARTIAL" in output, output[-3000:]  # a narrowed run with nothing failed
    results = json.loads((folder / "results.json").read_text())
    figures = {f["name"]: f for test in results["tests"] for f in test["figures"]}
    for name in ("browser sign-in: Sign in to launcher", "browser mail: recipient's sign-in to first list item",
                 "failover middleware-node-killed: browser's time until the mail list loads again",
                 "failover balancer-vip-holder-killed: browser's time until the mail list loads again"):
        assert name in figures and figures[name]["unit"] == "s" and figures[name]["value"] > 0, sorted(figures)
    assert figures["browser a11y login screen: serious or critical violations"]["value"] == 0
    run = json.loads((folder / "run.json").read_text())
    assert re.search(r"Chromium [\d.]+ at \S+; Playwright [\d.]+ expects Chromium [\d.]+ \(revision \d+\)",
                     run["versions"]["browser"]), run["versions"]
    assert "browser sign-in: Sign in to launcher" in (folder / "report.html").read_text()
    assert not browsers_left(tmp_path / "tmp")


BAD_INPUT = {
    "no chromium": ((), {"OXH_CHROMIUM": "/nonexistent/chromium"},
                    "no Chromium at /nonexistent/chromium (named by OXH_CHROMIUM)"),
    "a UI that is not App Suite": (("--ui-url", "{http}/server-status-of-nothing/"), {},
                                   "is not OX App Suite: its login screen (#io-ox-login-screen) did not appear "
                                   "within 20 s (HTTP 404"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT), ids=list(BAD_INPUT))
def test_without_a_usable_browser_or_app_suite_the_frontend_is_not_run_with_the_reason(ci_small, tmp_path, case):
    cluster, _ = ci_small
    args, env, reason = BAD_INPUT[case]
    args = tuple(arg.format(http=cluster.endpoints()["http"]) for arg in args)
    code, output, folder = qualify_frontend(cluster.project, tmp_path, *args, env=env)
    found = frontend_verdicts(folder)
    assert {status for status, _ in found.values()} == {"not run"}, found
    assert all(reason in why for _, why in found.values()), found
    assert reason in output and "Traceback" not in output, output[-3000:]
    assert code == 3 and "PARTIAL" in output  # nothing that ran failed; the run qualifies nothing
    assert not browsers_left(tmp_path / "tmp"), "a browser was left running"
