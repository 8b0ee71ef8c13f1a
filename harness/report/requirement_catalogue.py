"""The requirements catalogue: what each requirement says, which suite checks it, and what it needs.

`suites/requirements.yaml` names the capabilities a check may need and what
each target kind gives; `suites/<suite>/requirements.yaml` lists that suite's
requirements. A requirement is required on a target kind when the kind gives
everything it needs. Tests name their requirement with
`@pytest.mark.requirement("ID")`; the catalogue no longer knows test names.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import Field, ValidationError, model_validator

from harness import resources
from harness.errors import UserError
from harness.models.topology import Strict

TARGET_KINDS = ("docker", "remote", "staging")


class Requirement(Strict):
    id: str = Field(pattern=r"^[A-Z][A-Z0-9-]+$")
    text: str = Field(min_length=1)
    needs: list[str] = Field(default_factory=lambda: ["api"])
    suite: str = ""  # the folder whose requirements.yaml lists it


class TargetKind(Strict):
    description: str
    gives: list[str]


class SuiteFile(Strict):
    requirements: list[Requirement] = Field(min_length=1)


class Catalogue(Strict):
    capabilities: dict[str, str]
    target_kinds: dict[str, TargetKind]
    requirements: list[Requirement] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> "Catalogue":
        problems = []
        seen: dict[str, str] = {}
        for requirement in self.requirements:
            if requirement.id in seen:
                problems.append(f"requirement {requirement.id} is listed by suite {seen[requirement.id]} "
                                f"and by suite {requirement.suite}; give each its own id")
            seen[requirement.id] = requirement.suite
            unknown = [need for need in requirement.needs if need not in self.capabilities]
            if unknown:
                problems.append(f"{requirement.suite}/requirements.yaml: {requirement.id} needs unknown "
                                f"capabilities {', '.join(unknown)} (known: {', '.join(self.capabilities)})")
        for kind, spec in self.target_kinds.items():
            unknown = [given for given in spec.gives if given not in self.capabilities]
            if unknown:
                problems.append(f"target_kinds.{kind} gives unknown capabilities {', '.join(unknown)}")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def get(self, requirement_id: str) -> Requirement | None:
        return next((req for req in self.requirements if req.id == requirement_id), None)

    def of_suite(self, suite: str) -> list[Requirement]:
        return [req for req in self.requirements if req.suite == suite]

    def kind(self, name: str) -> TargetKind:
        """The kind's required set, or a UserError: a kind the catalogue does not describe cannot be judged."""
        if name not in self.target_kinds:
            raise UserError(f"target kind {name!r} has no required set in suites/requirements.yaml",
                            f"add it under target_kinds (known: {', '.join(self.target_kinds)})")
        return self.target_kinds[name]

    def missing_for(self, requirement: Requirement, kind: str) -> list[str]:
        """What the requirement needs that the target kind does not give (empty: it is required there)."""
        gives = set(self.kind(kind).gives)
        return [need for need in requirement.needs if need not in gives]

    def required_for(self, kind: str) -> list[Requirement]:
        return [req for req in self.requirements if not self.missing_for(req, kind)]


def load_catalogue(folder: Path | None = None) -> Catalogue:
    """The catalogue of every suite under `folder` (default: the suites the harness ships)."""
    folder = folder or resources.suites_dir()
    top = _read(folder / "requirements.yaml")
    requirements = []
    for path in sorted(folder.glob("*/requirements.yaml")):
        try:
            listed = SuiteFile.model_validate(_read(path))
        except ValidationError as exc:
            raise UserError(f"{path}: {_first(exc)}", "correct the requirement named above") from None
        requirements += [req.model_copy(update={"suite": path.parent.name}) for req in listed.requirements]
    try:
        return Catalogue.model_validate({**top, "requirements": requirements})
    except ValidationError as exc:
        raise UserError(f"the requirements catalogue is inconsistent: {_first(exc)}",
                        "correct the files under suites/ named above") from None


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise UserError(f"{path} is missing", "restore it from the repository") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML: {exc}", "fix the syntax at the position shown") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping at the top level", "see suites/requirements.yaml")
    return data


def _first(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: {_text(error)}" if error["loc"] else _text(error)
        for error in exc.errors()[:5])


def _text(error: dict) -> str:
    return error["msg"].removeprefix("Value error, ")
