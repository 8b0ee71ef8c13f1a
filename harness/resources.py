"""Where the harness finds the files it ships: suites, topologies, load profiles, report templates, docs.

They are found through the package (importlib.resources): the build maps the
repository's top-level folders into `harness.shipped` (see setup.py), so an
installed wheel and an editable checkout answer alike. Every other module
asks here instead of building paths from its own location.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _shipped(name: str) -> Path:
    return Path(str(files(f"harness.shipped.{name}")))


def suites_dir() -> Path:
    return _shipped("suites")


def topologies_dir() -> Path:
    return _shipped("topologies")


def loadprofiles_dir() -> Path:
    return _shipped("loadprofiles")


def reference_dir() -> Path:
    return _shipped("reference")


def architecture() -> Path:
    """The design the code follows, for the next developer (docs/ARCHITECTURE.md)."""
    return _shipped("docs") / "ARCHITECTURE.md"


def report_templates_dir() -> Path:
    return Path(str(files("harness.report") / "templates"))


def suites_config() -> Path:
    """The pytest configuration the suites run with."""
    return suites_dir() / "pytest.ini"
