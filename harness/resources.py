"""Where the harness finds the files it ships: suites, topologies, load profiles, report templates.

Every other module asks here instead of building paths from its own
location, so that a checkout and an installed package are found the same way.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def suites_dir() -> Path:
    return ROOT / "suites"


def topologies_dir() -> Path:
    return ROOT / "topologies"


def loadprofiles_dir() -> Path:
    return ROOT / "loadprofiles"


def reference_dir() -> Path:
    return ROOT / "reference"


def report_templates_dir() -> Path:
    return Path(__file__).resolve().parent / "report" / "templates"
