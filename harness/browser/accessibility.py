"""Accessibility of a page as axe-core judges it: the serious and critical WCAG 2.1 AA violations.

axe-core (through axe-playwright-python) runs inside the page; only rules
tagged for WCAG 2.0/2.1 levels A and AA count, and of their violations only
those axe rates serious or critical.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
COUNTED = ("serious", "critical")


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: list[str]
    help_url: str = ""

    def describe(self) -> str:
        shown = ", ".join(self.targets[:5]) + (f" and {len(self.targets) - 5} more" if len(self.targets) > 5 else "")
        return f"{self.rule} ({self.impact}): {self.help} at {shown}"

    def as_dict(self) -> dict:
        return asdict(self)


def serious_violations(axe_response: dict) -> list[Violation]:
    """From axe's result object: its serious and critical violations, one per rule with every element hit."""
    found = []
    for violation in axe_response.get("violations", []):
        if violation.get("impact") not in COUNTED:
            continue
        targets = [" ".join(map(str, node.get("target", []))) for node in violation.get("nodes", [])]
        found.append(Violation(violation["id"], violation["impact"], violation.get("help", ""), targets,
                               violation.get("helpUrl", "")))
    return found


def scan(page) -> list[Violation]:
    """Run axe-core in the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
    return serious_violations(Axe().run(page, options=options).response)
