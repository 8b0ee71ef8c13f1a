"""Which tests a run was meant to run, so that a run that did not run them all is told by what it left out.

`oxh qualify` collects the chosen suites once without the user's pytest
arguments; `--inventory FILE` makes that collection write every test it
found, with its requirements, to FILE (inventory.json in the run folder).
The results recorder keeps the node ids the run itself selected. A test of
the inventory that the run did not select was removed, whatever removed it:
`-k` or `-m` in any spelling, `--deselect`, `--ignore`, node ids, `--lf`, a
plugin. Its requirement is then not judged, and the run is PARTIAL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.report.requirement_markers import requirements_of, suite_of

FILE = "inventory.json"


@dataclass(frozen=True)
class PlannedTest:
    nodeid: str
    requirements: tuple[str, ...]
    suite: str


class InventoryWriter:
    """pytest plugin (with `--inventory FILE`): writes every collected test, after every plugin's selection."""

    def __init__(self, path: Path):
        self.path = path

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        planned = [{"nodeid": item.nodeid, "requirements": requirements_of(item), "suite": suite_of(item) or "tests"}
                   for item in session.items]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"tests": planned}, indent=2))


def read(folder: Path) -> list[PlannedTest] | None:
    """The run folder's inventory, or None where the run has none (a run of an older harness, a bare pytest)."""
    path = folder / FILE
    if not path.exists():
        return None
    return [PlannedTest(test["nodeid"], tuple(test["requirements"]), test["suite"])
            for test in json.loads(path.read_text())["tests"]]


def not_selected(inventory: list[PlannedTest] | None, results: dict[str, Any]) -> list[PlannedTest]:
    """The planned tests the run did not select. Empty where either side does not say what it holds: a run
    that stopped before its collection ended selected nothing, and is judged as stopped, not as narrowed."""
    selected = results.get("selected")
    if inventory is None or selected is None:
        return []
    chosen = set(selected)
    return [test for test in inventory if test.nodeid not in chosen]
