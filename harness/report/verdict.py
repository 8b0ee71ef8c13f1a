"""The verdict of a run, per requirement and as a whole, from its results and the catalogue.

Per requirement: **failed** when one of its tests failed; **passed** when
every one of its tests passed; **not run** when none ran or some were
skipped (a requirement checked in part is not met), with the reason; **not
required** when it did not run and the target kind does not give what it
needs (a remote target gives no node access).

A requirement is judged only when every test of it that the run was meant
to run (the inventory) ran: one removed by any selection (`-k`, `-m`,
`--deselect`, `--ignore`, node ids, a plugin) leaves it **not run
(deselected)**, whatever the others did, unless one of them failed.

For the run: **PARTIAL** when it was narrowed (`--suites`, or a test of the
inventory not selected): it names the suites that ran and the requirements
not judged, and is good only when nothing that ran failed. Otherwise **QUALIFIED** only when the suites ran to
the end, nothing failed and every requirement of the target kind's required
set passed; else **NOT QUALIFIED**, naming each failure and each required
requirement that did not run, with its reason. A limit the target set
looser than the design's is a waiver, named beside the verdict. Exit codes:
0 QUALIFIED, 1 NOT QUALIFIED (or anything failed), 2 bad input, 3 PARTIAL
with nothing failed. Pure functions: the console,
the HTML report and `oxh compare` all judge a run folder the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.report.requirement_catalogue import Catalogue, Requirement
from harness.report.inventory import PlannedTest, not_selected

QUALIFIED, NOT_QUALIFIED, PARTIAL = "QUALIFIED", "NOT QUALIFIED", "PARTIAL"
EXIT_QUALIFIED, EXIT_NOT_QUALIFIED, EXIT_BAD_INPUT, EXIT_PARTIAL = 0, 1, 2, 3


@dataclass
class RequirementVerdict:
    id: str
    text: str
    suite: str
    required: bool
    status: str  # passed, failed, not run, not required
    reason: str = ""
    tests: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RunVerdict:
    status: str
    kind: str
    suites: list[str]
    narrowed: bool
    requirements: list[RequirementVerdict]
    stopped: str | None = None
    deselected: list[str] = field(default_factory=list)  # node ids of planned tests the run did not select
    waivers: list[str] = field(default_factory=list)  # limits the target set looser than the design's

    def having(self, *statuses: str) -> list[RequirementVerdict]:
        return [verdict for verdict in self.requirements if verdict.status in statuses]

    @property
    def missing(self) -> list[RequirementVerdict]:
        """Required requirements that did not run."""
        return [verdict for verdict in self.requirements if verdict.required and verdict.status == "not run"]

    @property
    def ok(self) -> bool:
        return self.status in (QUALIFIED, PARTIAL) and not self.having("failed") and not self.stopped

    @property
    def exit_code(self) -> int:
        """0 QUALIFIED, 3 PARTIAL with nothing failed, 1 otherwise: a CI job can tell each from the others."""
        if not self.ok:
            return EXIT_NOT_QUALIFIED
        return EXIT_QUALIFIED if self.status == QUALIFIED else EXIT_PARTIAL

    def title(self) -> str:
        """The verdict as a person reads it first: "QUALIFIED with 2 waivers"."""
        if not self.waivers:
            return self.status
        return f"{self.status} with {len(self.waivers)} waiver{'s' if len(self.waivers) > 1 else ''}"

    def counts(self) -> dict[str, int]:
        return {status: len(self.having(status)) for status in ("passed", "failed", "not run", "not required")}

    def headline(self) -> str:
        counts = self.counts()
        waived = f" (waived: {'; '.join(self.waivers)})" if self.waivers else ""
        if self.status == QUALIFIED:
            return f"all {counts['passed']} required requirement(s) of a {self.kind} target met{waived}"
        if self.status == PARTIAL:
            judged = counts["passed"] + counts["failed"]
            removed = f", {len(self.deselected)} test(s) deselected" if self.deselected else ""
            return (f"narrowed run of {', '.join(self.suites) or 'no suite'}{removed}: {judged} requirement(s) "
                    f"judged, {counts['failed']} failed; {counts['not run']} not judged, so no qualification")
        return (f"{counts['failed']} requirement(s) failed, {len(self.missing)} required one(s) not run"
                + (f"; stopped: {self.stopped}" if self.stopped else ""))

    def reasons(self) -> list[str]:
        """One line per requirement that keeps the run from qualifying."""
        lines = [f"{v.id} failed: {_first_line(v.reason)}" for v in self.having("failed")]
        if self.status != PARTIAL:
            lines += [f"{v.id} not run: {v.reason}" for v in self.missing]
        return lines


def judge(results: dict[str, Any], run: dict[str, Any], catalogue: Catalogue,
          inventory: list[PlannedTest] | None = None) -> RunVerdict:
    """The run's verdict; `inventory`, the tests the run was meant to run, tells a narrowed run by what it left out."""
    kind = target_kind(run)
    suites = list(run.get("suites") or [])
    left_out = not_selected(inventory, results)
    narrowed = bool(run.get("narrowed")) or bool(left_out)
    required = {req.id for req in catalogue.required_for(kind)}
    by_requirement: dict[str, list[dict]] = {}
    for test in results.get("tests", []):
        for requirement_id in test.get("requirements", []):
            by_requirement.setdefault(requirement_id, []).append(test)
    left_out_of: dict[str, list[str]] = {}
    for test in left_out:
        for requirement_id in test.requirements:
            left_out_of.setdefault(requirement_id, []).append(test.nodeid)
    found = [_requirement(req, by_requirement.get(req.id, []), req.id in required, kind, suites, narrowed, catalogue,
                          left_out_of.get(req.id, []))
             for req in catalogue.requirements]
    stopped = results.get("exit_reason") or _abnormal_exit(results.get("exit_status"))
    verdict = RunVerdict(NOT_QUALIFIED, kind, suites, narrowed, found, stopped,
                         deselected=[test.nodeid for test in left_out], waivers=list(run.get("waivers") or []))
    if narrowed:
        verdict.status = PARTIAL
    elif not stopped and not verdict.having("failed") and not verdict.missing:
        verdict.status = QUALIFIED
    return verdict


def target_kind(run: dict[str, Any]) -> str:
    """docker, remote or staging, from what run.json says of the target."""
    if run.get("kind") == "docker":
        return "docker"
    return "staging" if run.get("use") == "staging" else "remote"


def _requirement(req: Requirement, tests: list[dict], required: bool, kind: str, suites: list[str],
                 narrowed: bool, catalogue: Catalogue, left_out: list[str]) -> RequirementVerdict:
    outcomes = [test["outcome"] for test in tests]
    verdict = RequirementVerdict(req.id, req.text, req.suite, required, "not run", tests=tests)
    failing = [test for test in tests if test["outcome"] in ("failed", "error")]
    if failing:
        verdict.status = "failed"
        verdict.reason = failing[0].get("message", "")
    elif tests and not left_out and all(outcome == "passed" for outcome in outcomes):
        verdict.status = "passed"
    else:
        verdict.reason = _deselected(left_out, tests) if left_out else _not_run_reason(req, tests, suites, narrowed)
        if not required:
            missing = catalogue.missing_for(req, kind)
            verdict.status = "not required"
            verdict.reason = f"needs {' and '.join(missing).replace('_', ' ')}, which a {kind} target does not give"
    return verdict


def _deselected(left_out: list[str], tests: list[dict]) -> str:
    names = ", ".join(nodeid.rsplit("::", 1)[-1] for nodeid in left_out[:3]) + (", ..." if len(left_out) > 3 else "")
    return f"deselected: {len(left_out)} of its {len(left_out) + len(tests)} test(s) did not run ({names})"


def _not_run_reason(req: Requirement, tests: list[dict], suites: list[str], narrowed: bool) -> str:
    if not tests:
        if req.suite not in suites:
            return f"suite {req.suite} not selected"
        return "its tests were deselected" if narrowed else "no test of it was collected"
    skipped = [test for test in tests if test["outcome"] == "skipped"]
    reasons = sorted({test.get("message") or "skipped" for test in skipped})
    text = "; ".join(reasons)
    if len(skipped) < len(tests):
        return f"{len(skipped)} of its {len(tests)} checks skipped: {text}"
    return text


def _abnormal_exit(status: int | None) -> str | None:
    """pytest's exit codes that mean the run did not go to its end (1 only means tests failed)."""
    return {2: "interrupted", 3: "internal error of pytest", 4: "pytest usage error",
            5: "no tests were collected"}.get(status) if status is not None else None


def _first_line(text: str) -> str:
    """The line of a failure that says what went wrong: pytest's first `E` line, else the last line."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    explained = [line.removeprefix("E").strip() for line in lines if line.startswith("E ")]
    return (explained[0] if explained else lines[-1] if lines else "")[:300]
