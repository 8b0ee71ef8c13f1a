"""pytest plugin: records every test's outcome, duration, requirements, figures and evidence in results.json.

Active when `--report-dir` is given (as `oxh qualify` does). A test's
requirements come from its `requirement` markers. A test may leave figures
(`item.oxh_figures`: name, value, unit, better) for the report and the
release-over-release comparison, and files (`item.oxh_attachments`: title ->
path, e.g. a screenshot) that are copied into the run folder, as are the
screenshot and trace pytest-playwright keeps of a failing browser test
(reported as its `playwright_<kind>` properties). A failing test
gets its recorded OX requests and the last log lines of the nodes (through
node access, where the target gives it) as evidence.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest

from harness.report.inventory import InventoryWriter
from harness.report.render import mask
from harness.report.requirement_markers import requirements_of, suite_of

LOG_LINES = 25


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ox-harness")
    group.addoption("--report-dir", help="write results.json (and evidence) into this folder")
    group.addoption("--inventory", metavar="FILE",
                    help="write every collected test with its requirements to FILE (with --collect-only: the "
                         "tests a run of these suites is meant to run)")


class ResultsRecorder:
    def __init__(self, folder: Path):
        self.folder = folder
        self.started = time.time()
        self.tests: dict[str, dict] = {}
        self.exit_reason: str | None = None
        self.selected: list[str] | None = None
        self.deselected: list[str] = []

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected += [item.nodeid for item in items]

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """What the run selected, after every plugin's selection: the verdict compares it with the inventory."""
        self.selected = [item.nodeid for item in session.items]

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        if item.nodeid not in self.tests:
            doc = (getattr(item, "obj", None) and item.obj.__doc__) or ""
            self.tests[item.nodeid] = {
                "nodeid": item.nodeid,
                "name": item.name,
                "suite": suite_of(item) or "tests",
                "doc": doc.strip().splitlines()[0] if doc.strip() else "",
                "requirements": requirements_of(item),
                "outcome": "passed",
                "duration": 0.0,
                "message": "",
                "evidence": {},
                "figures": [],
                "attachments": {},
            }
        entry = self.tests[item.nodeid]
        entry["duration"] += report.duration
        if report.skipped and entry["outcome"] == "passed":
            entry["outcome"] = "skipped"
            entry["message"] = _skip_reason(report)
        elif report.failed:
            entry["outcome"] = "failed" if report.when == "call" else "error"
            secrets = _secrets(item)
            entry["message"] = mask(report.longreprtext[-4000:], secrets)
            entry["evidence"] = {key: mask(text, secrets) for key, text in _evidence(item).items()}
        if report.when == "teardown":
            entry["figures"] = list(getattr(item, "oxh_figures", []))
            entry["attachments"] = self._keep(item, report)

    def _keep(self, item: pytest.Item, report: pytest.TestReport) -> dict[str, str]:
        """Copy the test's attachments into the run folder; title -> path relative to it."""
        kept = {}
        folder = self.folder / "attachments" / re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-120:]
        attachments = {**getattr(item, "oxh_attachments", {}), **playwright_artifacts(report.user_properties)}
        for title, source in attachments.items():
            source = Path(source)
            if not source.is_file():
                continue
            folder.mkdir(parents=True, exist_ok=True)
            destination = folder / source.name
            if source.resolve() != destination.resolve():
                shutil.copyfile(source, destination)
            kept[title] = str(destination.relative_to(self.folder))
        return kept

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        results = {
            "started": self.started,
            "finished": time.time(),
            "exit_status": int(exitstatus),
            "exit_reason": getattr(session.config, "oxh_exit_reason", None) or self.exit_reason,
            "waivers": _waivers(self.folder),
            "selected": self.selected,
            "deselected": self.deselected,
            "tests": list(self.tests.values()),
        }
        (self.folder / "results.json").write_text(json.dumps(results, indent=2))

    def pytest_keyboard_interrupt(self, excinfo) -> None:
        self.exit_reason = "interrupted"


def _waivers(folder: Path) -> list[str]:
    """The waivers `oxh qualify` found in the target's policy (run.json), kept beside the results they qualify."""
    try:
        return list(json.loads((folder / "run.json").read_text()).get("waivers") or [])
    except (OSError, ValueError):
        return []


def playwright_artifacts(properties: list[tuple[str, object]]) -> dict[str, str]:
    """pytest-playwright's kept artifacts (`playwright_screenshot`, `playwright_trace`, ...): title -> path."""
    found: dict[str, str] = {}
    for name, path in properties:
        if not name.startswith("playwright_"):
            continue
        kind = name.removeprefix("playwright_")
        title = f"browser {kind}"
        number = 2
        while title in found:
            title, number = f"browser {kind} {number}", number + 1
        found[title] = str(path)
    return found


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _target(item: pytest.Item):
    """The run's Target, where the test used it (funcargs holds every fixture the test set up)."""
    return getattr(item, "funcargs", {}).get("target")


def _secrets(item: pytest.Item) -> list[str]:
    target = _target(item)
    return target.endpoints.secrets() if target is not None else []


def _evidence(item: pytest.Item) -> dict[str, str]:
    evidence: dict[str, str] = {}
    recorder = getattr(item, "oxh_recorder", None)
    if recorder is not None and recorder.exchanges:
        evidence["requests"] = "\n".join(
            f"{e.method} {e.url} -> {e.status or e.error} route={e.route} {e.seconds * 1000:.0f} ms"
            for e in recorder.exchanges[-40:]
        )
    target = _target(item)
    access = target.access if target is not None else None
    if access is not None:
        for node in access.layout.names():
            try:
                evidence[f"log {node}"] = access.logs(node, LOG_LINES)
            except Exception as exc:  # evidence is best effort; the verdict stands without it
                evidence[f"log {node}"] = f"(no logs: {exc})"
    return evidence


def pytest_configure(config: pytest.Config) -> None:
    folder = config.getoption("--report-dir", default=None)
    if folder:
        config.pluginmanager.register(ResultsRecorder(Path(folder)), "oxh-results")
    inventory = config.getoption("--inventory", default=None)
    if inventory:
        config.pluginmanager.register(InventoryWriter(Path(inventory)), "oxh-inventory")
