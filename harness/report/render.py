"""Turn a run folder (run.json, results.json) into one self-contained HTML report.

The report is organised by the requirements catalogue: each requirement
with its verdict and its tests; then durations, the environment, and for
every failure its message and evidence (requests, container logs). Secrets
of the target are masked wherever they appear.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from harness.errors import UserError
from harness.report.catalogue import Catalogue, load_catalogue
from harness.report.timeline import timeline_svg

TEMPLATES = Path(__file__).resolve().parent / "templates"
MASK = "••••••"


@dataclass
class Verdict:
    id: str
    text: str
    status: str  # passed, failed, not run
    tests: list[dict[str, Any]] = field(default_factory=list)


def verdicts(results: dict[str, Any], catalogue: Catalogue) -> list[Verdict]:
    by_name: dict[str, list[dict]] = {}
    for test in results["tests"]:
        by_name.setdefault(test["name"].split("[", 1)[0], []).append(test)
    found = []
    for requirement in catalogue.requirements:
        tests = [t for name in requirement.tests for t in by_name.get(name, [])]
        outcomes = {t["outcome"] for t in tests}
        if outcomes & {"failed", "error"}:
            status = "failed"
        elif "passed" in outcomes:
            status = "passed"
        else:
            status = "not run"
        found.append(Verdict(requirement.id, requirement.text, status, tests))
    return found


def qualified(results: dict[str, Any], catalogue: Catalogue) -> bool:
    """Every requirement that ran passed, and at least one ran."""
    found = verdicts(results, catalogue)
    return results.get("exit_status") == 0 and any(v.status == "passed" for v in found) and not any(
        v.status == "failed" for v in found
    )


def mask(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    return text


def render(folder: Path, secrets: list[str] | None = None) -> Path:
    try:
        run = json.loads((folder / "run.json").read_text())
        results = json.loads((folder / "results.json").read_text())
    except FileNotFoundError as exc:
        raise UserError(f"{folder} is not a complete run folder ({Path(exc.filename).name} is missing)",
                        "give a folder written by `oxh qualify`") from None
    catalogue = load_catalogue()
    found = verdicts(results, catalogue)
    tests = sorted(results["tests"], key=lambda t: t["duration"], reverse=True)
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    scenarios = [json.loads(path.read_text()) for path in sorted(folder.glob("failover-*.json"))]
    for scenario in scenarios:
        scenario["svg"] = timeline_svg(scenario)
    html = environment.get_template("report.html.j2").render(
        scenarios=scenarios,
        run=run,
        results=results,
        verdicts=found,
        counts={status: sum(v.status == status for v in found) for status in ("passed", "failed", "not run")},
        qualified=qualified(results, catalogue),
        slowest=tests[:10],
        failures=[t for t in results["tests"] if t["outcome"] in ("failed", "error")],
        skipped=[t for t in results["tests"] if t["outcome"] == "skipped"],
        total_seconds=results["finished"] - results["started"],
    )
    path = folder / "report.html"
    path.write_text(mask(html, secrets or []))
    return path
