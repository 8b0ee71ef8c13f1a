"""Load a topology file and turn every validation problem into a readable line.

Each line names the file, the key path and what to do about it; the whole
set of problems is raised as one UserError so that the CLI exits with code 2
before anything is started.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from harness import resources
from harness.errors import UserError
from harness.topology.model import Topology



def resolve(name_or_path: str | Path) -> Path:
    """A path as given, or the name of a topology shipped in topologies/."""
    path = Path(name_or_path)
    if path.exists():
        return path
    shipped = resources.topologies_dir() / f"{name_or_path}.yaml"
    if shipped.exists():
        return shipped
    known = ", ".join(sorted(p.stem for p in resources.topologies_dir().glob("*.yaml")))
    raise UserError(f"topology {str(name_or_path)!r} not found", f"give a file path or one of: {known}")


def load(name_or_path: str | Path) -> Topology:
    path = resolve(name_or_path)
    return parse(read_mapping(path, example="topologies/ci-small.yaml"), source=str(path))


def read_mapping(path: Path, example: str) -> dict[str, Any]:
    """A YAML file whose top level is a mapping, or one UserError saying what is wrong with it."""
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML: {exc}", "fix the syntax at the position shown") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping at the top level", f"see {example} for the layout")
    return data


def parse(data: dict[str, Any], source: str = "<topology>") -> Topology:
    try:
        return Topology.model_validate(data)
    except ValidationError as exc:
        lines = [f"{source}: {problem}" for problem in describe(exc, data)]
        raise UserError(
            f"{len(lines)} problem(s) in the topology:\n" + "\n".join(lines),
            "correct the keys named above; nothing was started",
        ) from None


def describe(exc: ValidationError, data: dict[str, Any], root: type[BaseModel] = Topology) -> list[str]:
    problems: list[str] = []
    for error in exc.errors():
        where = key_path(error["loc"], data)
        kind = error["type"]
        if kind == "value_error":
            # Cross-field checks already name their keys and the fix, one per line.
            message = str(error["ctx"]["error"]) if "ctx" in error else error["msg"]
            prefix = f"{where}: " if where else ""
            problems.extend(prefix + line for line in message.splitlines())
        elif kind == "extra_forbidden":
            allowed = allowed_keys(error["loc"][:-1], root)
            hint = f" (allowed here: {', '.join(allowed)})" if allowed else ""
            problems.append(f"{where}: unknown key; remove it or correct its spelling{hint}")
        elif kind == "missing":
            problems.append(f"{where}: required key is missing; add it")
        else:
            problems.append(f"{where}: {error['msg']} (got {error.get('input')!r})")
    return problems


def key_path(loc: tuple[Any, ...], data: Any) -> str:
    """Dotted key path; list items are shown by their node name where they have one."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            name = node[item].get("name") if isinstance(node, list) and isinstance(node[item], dict) else None
            parts[-1] += f"[{name or item}]"
        else:
            parts.append(str(item))
        try:
            node = node[item]
        except (KeyError, IndexError, TypeError):
            node = None
    return ".".join(parts)


def allowed_keys(loc: tuple[Any, ...], root: type[BaseModel] = Topology) -> list[str]:
    """Field names of the model found at `loc`, for the hint on an unknown key."""
    model: Any = root
    skip_key = False
    for item in loc:
        if isinstance(item, int) or skip_key:
            skip_key = False
            continue
        field = model.model_fields.get(str(item)) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return []
        skip_key = getattr(field.annotation, "__origin__", None) is dict
        model = _model_of(field.annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _model_of(annotation: Any) -> Any:
    """The BaseModel inside an annotation like list[Node] or dict[str, Pool]."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None
