"""The requirements catalogue (suites/requirements.yaml): what each requirement says and which tests check it."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import Field

from harness.topology.model import Strict

CATALOGUE = Path(__file__).resolve().parents[2] / "suites" / "requirements.yaml"


class Requirement(Strict):
    id: str = Field(pattern=r"^[A-Z][A-Z0-9-]+$")
    text: str
    tests: list[str] = Field(min_length=1)


class Catalogue(Strict):
    requirements: list[Requirement]

    def for_test(self, name: str) -> list[str]:
        base = name.split("[", 1)[0]
        return [req.id for req in self.requirements if base in req.tests]


def load_catalogue(path: Path = CATALOGUE) -> Catalogue:
    return Catalogue.model_validate(yaml.safe_load(path.read_text()))
