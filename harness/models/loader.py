"""Load the harness's YAML files and turn every validation problem into a line that points at it.

Each problem line names the file, the line and column of the key at fault
(as YAML marks it), the key path with list indexes
(`balancer.nodes[1].address`) and what to do about it; the whole set of
problems is raised as one UserError so that the CLI exits with code 2
before anything is started. Topologies, target files and sizing designs
all go through `read_yaml` and `validate`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from harness import resources
from harness.errors import UserError
from harness.models.topology import Topology

Model = TypeVar("Model", bound=BaseModel)
# A key path at the start of a problem line: `balancer.nodes[1].address: ...`
KEY_PATH = re.compile(r"^([A-Za-z0-9_-]+(?:\[\d+\])*(?:\.[A-Za-z0-9_-]+(?:\[\d+\])*)*): ")
SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class YamlFile:
    """A YAML file's data, and the node tree that says where each key stands in it."""

    path: Path
    data: dict[str, Any]
    tree: yaml.Node | None = None

    def where(self, key_path: str) -> str:
        """`file:line:column` of the deepest part of `key_path` the file has (the file alone without marks)."""
        mark = position(self.tree, key_path) if self.tree is not None else None
        return f"{self.path}:{mark.line + 1}:{mark.column + 1}" if mark else str(self.path)

    def located(self, problem: str) -> str:
        """The problem line, prefixed with where its key path stands."""
        match = KEY_PATH.match(problem)
        return f"{self.where(match.group(1) if match else '')}: {problem}"


def position(tree: yaml.Node, key_path: str) -> yaml.Mark | None:
    """The mark of the node `key_path` names, or of its deepest ancestor present in the tree."""
    node, mark = tree, tree.start_mark
    for name, index in SEGMENT.findall(key_path):
        if name and isinstance(node, yaml.MappingNode):
            found = next(((key, value) for key, value in node.value if getattr(key, "value", None) == name), None)
            if found is None:
                break
            mark, node = found[0].start_mark, found[1]
        elif index and isinstance(node, yaml.SequenceNode) and int(index) < len(node.value):
            node = node.value[int(index)]
            mark = node.start_mark
        else:
            break
    return mark


def resolve(name_or_path: str | Path, folder: Path | None = None, what: str = "topology") -> Path:
    """A path as given, or the name of a file shipped in `folder` (default topologies/: a topology or a
    sizing design)."""
    folder = folder or resources.topologies_dir()
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = folder / f"{name_or_path}.yaml"
    if shipped.is_file():
        return shipped
    known = ", ".join(sorted(p.stem for p in folder.glob("*.yaml"))) or "(none shipped)"
    raise UserError(f"{what} {str(name_or_path)!r} not found", f"give a file path or one of: {known}")


def read_yaml(path: Path, example: str) -> YamlFile:
    """A YAML file whose top level is a mapping, or one UserError saying where it is wrong."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise UserError(f"{path}: cannot be read: {exc.strerror}", "give the path of a readable file") from None
    try:
        tree = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise UserError(f"{where}: not valid YAML: {problem}", "fix the syntax at the line and column shown") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping at the top level", f"see {example} for the layout")
    return YamlFile(path, data, tree)


def file_kind(data: dict[str, Any]) -> str:
    """Which of the harness's files `data` is: a sizing design, a target file or a topology."""
    if "tiers" in data and "users" in data:
        return "sizing design"
    if data.get("kind") == "remote":
        return "target file"
    return "topology"


def validate(model: type[Model], source: YamlFile, what: str, fix: str) -> Model:
    """`source` as a `model`, or one UserError listing every problem where it stands."""
    try:
        return model.model_validate(source.data)
    except ValidationError as exc:
        lines = [source.located(problem) for problem in describe(exc, source.data, root=model)]
        raise UserError(f"{len(lines)} problem(s) in the {what}:\n" + "\n".join(lines), fix) from None


def load(name_or_path: str | Path) -> Topology:
    return validate(Topology, read_yaml(resolve(name_or_path), example="topologies/ci-small.yaml"),
                    "topology", TOPOLOGY_FIX)


TOPOLOGY_FIX = "correct the keys named above; nothing was started"


def parse(data: dict[str, Any], source: str = "<topology>") -> Topology:
    """A topology from data already read (no file, so no line numbers)."""
    return validate(Topology, YamlFile(Path(source), data), "topology", TOPOLOGY_FIX)


def describe(exc: ValidationError, data: dict[str, Any], root: type[BaseModel] = Topology) -> list[str]:
    problems: list[str] = []
    for error in exc.errors():
        where = key_path(error["loc"])
        kind = error["type"]
        if kind == "value_error":
            # Cross-field checks already name their keys and the fix, one per line.
            message = str(error["ctx"]["error"]) if "ctx" in error else error["msg"]
            problems.extend(_under(where, line) for line in message.splitlines())
        elif kind == "extra_forbidden":
            allowed = allowed_keys(error["loc"][:-1], root)
            hint = f" (allowed here: {', '.join(allowed)})" if allowed else ""
            problems.append(f"{where}: unknown key; remove it or correct its spelling{hint}")
        elif kind == "missing":
            problems.append(f"{where}: required key is missing; add it")
        else:
            problems.append(f"{where}: {error['msg']} (got {error.get('input')!r})")
    return problems


def _under(where: str, line: str) -> str:
    """A nested model's problem line under the key path of that model: `classes[1]` + `actions[0].request: ...`."""
    if not where:
        return line
    return f"{where}.{line}" if KEY_PATH.match(line) else f"{where}: {line}"


def key_path(loc: tuple[Any, ...]) -> str:
    """Dotted key path with list indexes: `balancer.nodes[1].address`."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int) and parts:
            parts[-1] += f"[{item}]"
        else:
            parts.append(str(item))
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
