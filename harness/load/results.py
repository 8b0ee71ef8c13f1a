"""What a load run measured, read from Locust's files and the sampler, judged against the profile's SLOs.

Per request class over the whole run: requests, failures, error ratio,
p50/p95/p99 (Locust's merged histograms), and errors by OX code (Locust's
failures file, where each failure is named `CODE CATEGORY`). Per step (from
`steps.json`): the same, with each tier's mean CPU over the step. The
middleware's own request counters cross-check the generator. Checkers here
are pure functions over these figures.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from statistics import mean

from harness.load.history import read_history
from harness.load.load_plan import LoadPlan
from harness.load.load_result import ClassResult, Crosscheck, GeneratorFigures, LoadResult, StepResult, TierFigures
from harness.load.profile import LoadProfile, Slo
from harness.load.runner import LocustRun
from harness.load.sampler import Samples

NOT_HTTP_API = ("dav.", "eas.", "imap.", "smtp.")


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "", "N/A") else None
    except ValueError:
        return None


def read_classes(prefix: Path) -> list[ClassResult]:
    """Per request class, the whole run's figures from `<prefix>_stats.csv` (merged over request types)."""
    merged: dict[str, ClassResult] = {}
    with Path(f"{prefix}_stats.csv").open() as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated":
                continue
            figures = ClassResult(name=row["Name"], protocol=row["Type"], requests=int(row["Request Count"]),
                                  failures=int(row["Failure Count"]), rps=float(row["Requests/s"]),
                                  p50=_number(row["50%"]), p95=_number(row["95%"]), p99=_number(row["99%"]))
            known = merged.get(figures.name)
            if known is None or known.requests < figures.requests:
                merged[figures.name] = figures  # one name, one request type in these profiles
    return list(merged.values())


def read_errors(prefix: Path) -> dict[str, dict[str, int]]:
    """Per request class, the number of failures by error (an OX code and category, an HTTP status, ...)."""
    found: dict[str, dict[str, int]] = {}
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return found
    with path.open() as handle:
        for row in csv.DictReader(handle):
            error = row["Error"].removeprefix("CatchResponseError(").removesuffix(")").strip("'\"")
            found.setdefault(row["Name"], {})[error] = found.get(row["Name"], {}).get(error, 0) + int(row["Occurrences"])
    return found


def judge(figures: ClassResult, slo: Slo) -> list[str]:
    """What breaks the request class's SLO, as sentences (none: it holds)."""
    problems = []
    if figures.p95 is not None and figures.p95 > slo.p95_ms:
        problems.append(f"{figures.name}: p95 {figures.p95:.0f} ms over the SLO's {slo.p95_ms:.0f} ms")
    if figures.p99 is not None and figures.p99 > slo.p99_ms:
        problems.append(f"{figures.name}: p99 {figures.p99:.0f} ms over the SLO's {slo.p99_ms:.0f} ms")
    if figures.error_ratio > slo.max_error_ratio:
        problems.append(f"{figures.name}: {figures.failures} of {figures.requests} failed "
                        f"({figures.error_ratio:.1%}, SLO {slo.max_error_ratio:.1%})")
    return problems


def tier_cpu(samples: Samples, start: float, end: float) -> dict[str, float]:
    """Per tier, the mean CPU (percent of one core, summed over its nodes) between two moments."""
    return {role: round(mean(cpu for at, cpu, _ in rows if start <= at <= end), 1)
            for role, rows in samples.per_tier().items() if any(start <= at <= end for at, _, _ in rows)}


def tier_memory(samples: Samples) -> dict[str, int]:
    return {role: max(memory for _, _, memory in rows) for role, rows in samples.per_tier().items() if rows}


def counted_between(before: float, after: float) -> float:
    """A counter's growth; a node that restarted meanwhile counts from zero again."""
    return after - before if after >= before else after


def invalid_because(run: LocustRun, workers: dict[str, int]) -> str:
    """Why the run's figures cannot be trusted, or "": a worker that died, a run stopped from outside."""
    if workers.get("workers_fewest", 0) < workers.get("workers_most", 0):
        return (f"a generator worker died: {workers['workers_most']} were connected, then only "
                f"{workers['workers_fewest']}; the load was lower than planned")
    if run.stopped_from_outside:
        return "Locust did not end by itself and was stopped"
    return ""


def summarize(run: LocustRun, plan: LoadPlan, profile: LoadProfile, workers: int = 1,
              plots: list[str] | None = None) -> LoadResult:
    """A load run's result: classes with their SLO verdicts, steps, tiers, generator, cross-check."""
    classes = read_classes(run.prefix)
    for figures in classes:
        slo = profile.slo(figures.name)
        figures.slo = slo.model_dump(exclude={"source"})
        figures.violations = judge(figures, slo)
    steps_file = run.folder / "steps.json"
    steps = [StepResult.model_validate(step) for step in json.loads(steps_file.read_text())] \
        if steps_file.exists() else []
    for step in steps:
        step.tier_cpu_percent = tier_cpu(run.samples, step.start, step.end)
    api_requests = sum(c.requests for c in classes if not c.name.startswith(NOT_HTTP_API))
    counted = sum(counted_between(run.metrics_before.get(node, 0), after) for node, after in run.metrics_after.items())
    generator_file = run.folder / "generator.json"
    connected = json.loads(generator_file.read_text()) if generator_file.exists() else {}
    return LoadResult(
        profile=profile.name, shape=plan.shape, users=plan.steps if plan.shape == "steps" else plan.users,
        speedup=plan.speedup, seconds=round(run.seconds, 1), stopped_from_outside=run.stopped_from_outside,
        classes=classes, errors=read_errors(run.prefix), steps=steps,
        tiers=TierFigures(cpu_percent=tier_cpu(run.samples, 0, float("inf")), memory_bytes_peak=tier_memory(run.samples)),
        generator=GeneratorFigures(peak_cpu_percent=run.samples.generator_peak(), bound=run.samples.generator_bound,
                                   invalid=invalid_because(run, connected)),
        crosscheck=Crosscheck(generator_api_requests=api_requests, middleware_counted=round(counted),
                              nodes=sorted(run.metrics_after)),
        workers=workers, plots=plots or [], history=read_history(run.prefix),
    )
