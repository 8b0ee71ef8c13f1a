"""The layers of docs/ARCHITECTURE.md, read from the code's own imports: they point down, form no circle,
keep the Docker SDK in its backend, keep backends out of the suites, and leave `reference/` alone."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Floors from the bottom up; a module may import its own floor's packages and those below.
FLOORS = [
    {"harness.errors", "harness.wait", "harness.durations", "harness.resources", "harness"},
    {"harness.models", "harness.clients"},
    {"harness.backends", "harness.report", "harness.browser"},
    {"harness.checks", "harness.faults"},
    {"harness.load"},
    {"harness.scenario"},
    {"harness.sizing"},
    {"harness.pytest_plugin", "harness.cli"},
]
CAPABILITY_METHODS = ("limit_cpu", "service", "whole_node", "net", "start_delay_agent", "service_state")


def modules(folder: str) -> dict[str, ast.Module]:
    found = {}
    for path in sorted((REPO / folder).rglob("*.py")):
        if "shipped" in path.parts:
            continue
        name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        found[name] = ast.parse(path.read_text(), str(path))
    return found


def imports(tree: ast.Module, name: str) -> set[str]:
    """Every module the tree imports, at any depth (inside functions and TYPE_CHECKING blocks too)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(name.split(".")[: -node.level] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def package(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else parts[0]


def floor_of(name: str) -> int | None:
    for index, members in enumerate(FLOORS):
        if package(name) in members or name in members:
            return index
    return None


HARNESS = modules("harness")


def test_every_harness_package_has_a_floor():
    assert [name for name in HARNESS if floor_of(name) is None] == []


def test_imports_point_down():
    upward = []
    for name, tree in HARNESS.items():
        own = floor_of(name)
        for target in imports(tree, name):
            if target.startswith("harness.") and target in HARNESS and floor_of(target) > own:
                upward.append(f"{name} (floor {own}) imports {target} (floor {floor_of(target)})")
    assert upward == []


def test_there_is_no_import_circle():
    graph = {name: {t for t in imports(tree, name) if t in HARNESS and t != name} for name, tree in HARNESS.items()}
    circles, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in graph[node]:
            if state.get(nxt) == "open":
                circles.append(" -> ".join(path[path.index(nxt):] + [nxt]) if nxt in path else f"{node} -> {nxt}")
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for name in graph:
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_only_the_docker_backend_calls_the_docker_sdk():
    callers = [name for name, tree in HARNESS.items()
               if any(t == "docker" or t.startswith("docker.") for t in imports(tree, name))]
    assert all(name.startswith("harness.backends.docker") for name in callers), callers


def imports_outside_the_backends():
    """(module, what it imports) for every module of the harness above harness/backends."""
    for name, tree in HARNESS.items():
        if not name.startswith("harness.backends"):
            yield from ((name, target) for target in imports(tree, name))


def test_checks_faults_load_scenario_and_sizing_name_no_concrete_backend():
    concrete = ("harness.backends.docker", "harness.backends.ssh")
    upper = ("harness.checks", "harness.faults", "harness.load", "harness.scenario", "harness.sizing")
    found = [f"{name} imports {t}" for name, t in imports_outside_the_backends()
             if name.startswith(upper) and t.startswith(concrete)]
    assert found == []


def test_capabilities_are_asked_for_by_protocol_not_probed():
    probes = []
    for name, tree in HARNESS.items():
        if name.startswith("harness.backends"):
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("hasattr", "getattr")
                    and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
                    and node.args[1].value in CAPABILITY_METHODS):
                probes.append(f"{name}: {node.func.id}(..., {node.args[1].value!r})")
    assert probes == []


def test_suites_reach_the_cluster_through_fixtures_and_clients_only():
    suites = modules("suites")
    found = [f"{name} imports {t}" for name, tree in suites.items() for t in imports(tree, name)
             if t.startswith(("harness.backends", "docker"))]
    assert found == []


def test_the_harness_never_imports_the_reference():
    found = [name for name, tree in HARNESS.items() if any(t.split(".")[0] == "reference" for t in imports(tree, name))]
    assert found == []


def test_only_the_command_line_reaches_into_the_docker_backend_and_only_through_its_face():
    import harness.backends.docker as face

    found = [f"{name} imports {target}" for name, target in imports_outside_the_backends()
             if target.startswith("harness.backends.docker.")
             and (not name.startswith("harness.cli") or target.split(".")[3] not in face.__all__)]
    assert found == []


def test_every_package_shows_its_public_face():
    faceless = [path for path in (REPO / "harness").rglob("__init__.py")
                if "shipped" not in path.parts and path.parent.name != "harness" and "__all__" not in path.read_text()]
    assert faceless == []
