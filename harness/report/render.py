"""Turn a run folder (run.json, results.json, failover-*.json) into one self-contained HTML report.

The report opens with the run's verdict (QUALIFIED, NOT QUALIFIED or
PARTIAL, judged as the console judges it) and what keeps it from
qualifying; then every requirement with its verdict, its tests and the
reason it was not run; the failover scenarios with their findings and
timelines; the load run's figures, SLO verdicts and plots; figures; the comparison with a baseline where one was made;
durations, the environment, and for every failure its message, evidence and
attachments. Secrets of the target are masked wherever they appear.
"""

from __future__ import annotations

import json
from pathlib import Path

import jinja2

from harness import resources
from harness.report.run_folder import load, verdict_of
from harness.report.timeline import timeline_svg

MASK = "••••••"


def mask(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    return text


def render(folder: Path, secrets: list[str] | None = None) -> Path:
    run, results = load(folder)
    verdict = verdict_of(folder)
    tests = sorted(results["tests"], key=lambda t: t["duration"], reverse=True)
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(resources.report_templates_dir()),
                                     autoescape=True)
    scenarios = [json.loads(path.read_text()) for path in sorted(folder.glob("failover-*.json"))]
    for scenario in scenarios:
        scenario["svg"] = timeline_svg(scenario)
        scenario["by_name"] = {finding["name"]: finding for finding in scenario.get("findings", [])}
    comparison_file = folder / "comparison.json"
    load_file = folder / "load" / "results.json"
    sizing_file = folder / "sizing" / "sizing.json"
    html = environment.get_template("report.html.j2").render(
        run=run,
        results=results,
        verdict=verdict,
        counts=verdict.counts(),
        scenarios=scenarios,
        figures=[(test["name"], figure) for test in results["tests"] for figure in test.get("figures", [])],
        comparison=json.loads(comparison_file.read_text()) if comparison_file.exists() else None,
        load=json.loads(load_file.read_text()) if load_file.exists() else None,
        sizing=json.loads(sizing_file.read_text()) if sizing_file.exists() else None,
        slowest=tests[:10],
        failures=[t for t in results["tests"] if t["outcome"] in ("failed", "error")],
        skipped=[t for t in results["tests"] if t["outcome"] == "skipped"],
        total_seconds=results["finished"] - results["started"],
    )
    path = folder / "report.html"
    path.write_text(mask(html, secrets or []))
    return path
