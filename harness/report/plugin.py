"""pytest plugin: records every test's outcome, duration, requirements and evidence into results.json.

Active when `--report-dir` is given (as `oxh qualify` does). A failing test
gets its recorded OX requests and, on a docker target, the last log lines of
the containers attached as evidence.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from harness.report.catalogue import load_catalogue
from harness.report.render import mask

LOG_LINES = 25


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("ox-harness").addoption("--report-dir", help="write results.json (and evidence) into this folder")


class ResultsRecorder:
    def __init__(self, folder: Path):
        self.folder = folder
        self.started = time.time()
        self.tests: dict[str, dict] = {}
        self.exit_reason: str | None = None
        self.catalogue = load_catalogue()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        if item.nodeid not in self.tests:
            self.tests[item.nodeid] = {
                "nodeid": item.nodeid,
                "name": item.name,
                "suite": item.nodeid.split("/")[1] if item.nodeid.startswith("suites/") else "tests",
                "doc": (item.obj.__doc__ or "").strip().splitlines()[0] if getattr(item, "obj", None) and item.obj.__doc__ else "",
                "requirements": self.catalogue.for_test(item.name),
                "outcome": "passed",
                "duration": 0.0,
                "message": "",
                "evidence": {},
            }
        entry = self.tests[item.nodeid]
        entry["duration"] += report.duration
        if report.skipped and entry["outcome"] == "passed":
            entry["outcome"] = "skipped"
            entry["message"] = _skip_reason(report)
        elif report.failed:
            entry["outcome"] = "failed" if report.when == "call" else "error"
            entry["message"] = report.longreprtext[-4000:]
            secrets = _secrets(item)
            entry["message"] = mask(entry["message"], secrets)
            entry["evidence"] = {key: mask(text, secrets) for key, text in _evidence(item).items()}

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        results = {
            "started": self.started,
            "finished": time.time(),
            "exit_status": int(exitstatus),
            "exit_reason": getattr(session.config, "oxh_exit_reason", None) or self.exit_reason,
            "tests": list(self.tests.values()),
        }
        (self.folder / "results.json").write_text(json.dumps(results, indent=2))

    def pytest_keyboard_interrupt(self, excinfo) -> None:
        self.exit_reason = "interrupted"


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _secrets(item: pytest.Item) -> list[str]:
    target = getattr(item, "funcargs", {}).get("target")
    return target.secrets() if target is not None else []


def _evidence(item: pytest.Item) -> dict[str, str]:
    evidence: dict[str, str] = {}
    recorder = getattr(item, "oxh_recorder", None)
    if recorder is not None and recorder.exchanges:
        evidence["requests"] = "\n".join(
            f"{e.method} {e.url} -> {e.status or e.error} route={e.route} {e.seconds * 1000:.0f} ms"
            for e in recorder.exchanges[-40:]
        )
    target = getattr(item, "funcargs", {}).get("target")
    cluster = getattr(target, "cluster", None)
    if cluster is not None:
        for container in cluster.containers():
            name = container.labels.get("io.oxh.node", container.name)
            try:
                evidence[f"log {name}"] = container.logs(tail=LOG_LINES).decode(errors="replace")
            except Exception as exc:  # evidence is best effort; the verdict stands without it
                evidence[f"log {name}"] = f"(no logs: {exc})"
    return evidence


def pytest_configure(config: pytest.Config) -> None:
    folder = config.getoption("--report-dir", default=None)
    if folder:
        config.pluginmanager.register(ResultsRecorder(Path(folder)), "oxh-results")
