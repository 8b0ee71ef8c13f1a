"""pytest plugin: every suite test names a known requirement, and every requirement of a suite has a test.

Tests are tied to requirements by `@pytest.mark.requirement("ID")`, never
by their names, so two tests of one name in different files keep their own
requirements. At collection the run stops with exit code 2 and one line per
problem when a test under suites/ has no marker or names an unknown id, when
a requirement of a suite collected whole has no test, or when the catalogue has no
required set for the target's kind.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest
import yaml

from harness import resources
from harness.errors import UserError
from harness.report.requirement_catalogue import Catalogue, load_catalogue

MARKER = "requirement"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}(id): the requirement of suites/*/requirements.yaml this test checks")


def requirements_of(item: pytest.Item) -> list[str]:
    return [str(arg) for marker in item.iter_markers(MARKER) for arg in marker.args]


def suite_of(item: pytest.Item) -> str | None:
    """The suite folder a test lives in, or None for tests outside suites/."""
    try:
        relative = Path(str(item.path)).resolve().relative_to(resources.suites_dir().resolve())
    except ValueError:
        return None
    return relative.parts[0] if len(relative.parts) > 1 else None


@pytest.hookimpl(tryfirst=True)  # before -k and -m deselect: every collected test must be tied
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    suite_items = [(item, suite) for item in items if (suite := suite_of(item))]
    if not suite_items:
        return
    try:
        catalogue = load_catalogue()
        catalogue.kind(target_kind_of(config))
    except UserError as exc:
        stop(config, str(exc))
    problems = marker_problems(suite_items, catalogue, whole=_collected_whole(config))
    if problems:
        stop(config, "requirement markers do not match suites/*/requirements.yaml:\n" + "\n".join(problems))


def _collected_whole(config: pytest.Config) -> bool:
    """Whether this collection holds every test of its suites: no file or test was left out by path. Only then
    does a requirement without a test show a catalogue at fault; otherwise the verdict calls it deselected."""
    if config.getoption("ignore", None) or config.getoption("ignore_glob", None) or config.getoption("deselect", None):
        return False
    return not any("::" in arg or Path(arg.split("::")[0]).is_file() for arg in config.args)


def marker_problems(items: list[tuple[pytest.Item, str]], catalogue: Catalogue, whole: bool = True) -> list[str]:
    problems = []
    known = [req.id for req in catalogue.requirements]
    tested: set[str] = set()
    for item, suite in items:
        ids = requirements_of(item)
        if not ids:
            problems.append(f"{item.nodeid}: no @pytest.mark.{MARKER}(\"ID\"); name the requirement it checks")
        for requirement_id in ids:
            found = catalogue.get(requirement_id)
            if found is None:
                close = difflib.get_close_matches(requirement_id, known, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                problems.append(f"{item.nodeid}: unknown requirement {requirement_id!r}{hint}")
            elif found.suite != suite:
                problems.append(f"{item.nodeid}: requirement {requirement_id} belongs to suite {found.suite}")
            tested.add(requirement_id)
    for suite in sorted({suite for _, suite in items} if whole else ()):
        for requirement in catalogue.of_suite(suite):
            if requirement.id not in tested:
                problems.append(f"suites/{suite}/requirements.yaml: requirement {requirement.id} has no test")
    return problems


def target_kind_of(config: pytest.Config) -> str:
    """docker, remote or staging: from the target `oxh qualify` resolved, the --target file (its `use`) or the
    reference project."""
    recorded = config.getoption("--resolved-target", default=None)
    if recorded:
        try:
            return json.loads(Path(recorded).read_text())["catalogue_kind"]
        except (OSError, ValueError, KeyError):
            return "remote"  # the target fixture reports what is wrong with the record
    path = config.getoption("--target", default=None)
    if not path:
        return "docker"
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError):
        return "remote"  # the target fixture reports what is wrong with the file
    return "staging" if isinstance(data, dict) and data.get("use") == "staging" else "remote"


def stop(config: pytest.Config, message: str) -> None:
    """End the run with exit code 2 (bad input), the reason kept for the report."""
    config.oxh_exit_reason = message
    pytest.exit(message, returncode=2)
