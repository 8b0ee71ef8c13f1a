"""Conformance of OX HTTP API responses to the public OpenAPI spec (../shared/ox-http-api/).

The spec's response schemas are OpenAPI 3.0 schema objects; `$ref`s are
resolved inside the document and `nullable` is honoured, then jsonschema
validates a real response body against the schema of its operation. Three
errata of the upstream spec are mended (see `_resolve`); everything else is
taken as written.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator

SPEC_NAME = "openapi-7.10.3-subset.json"


def spec_path() -> Path:
    """OXH_API_SPEC, else shared/ox-http-api/ beside the checkout."""
    if os.environ.get("OXH_API_SPEC"):
        return Path(os.environ["OXH_API_SPEC"])
    return Path(__file__).resolve().parents[3] / "shared" / "ox-http-api" / SPEC_NAME


@lru_cache(maxsize=1)
def load_spec(path: str | None = None) -> dict[str, Any]:
    return json.loads(Path(path or spec_path()).read_text())


def response_schema(path_key: str, method: str, spec: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON schema of the 200 response of `method path_key` (e.g. 'GET', '/contacts?action=all')."""
    spec = spec or load_spec()
    try:
        content = spec["paths"][path_key][method.lower()]["responses"]["200"]["content"]
    except KeyError:
        raise KeyError(f"the spec has no JSON 200 response for {method} {path_key}") from None
    schema = content.get("application/json", {}).get("schema")
    if schema is None:
        raise KeyError(f"the spec has no JSON 200 response for {method} {path_key}")
    return _resolve(schema, spec, ())


def _resolve(node: Any, spec: dict[str, Any], seen: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_resolve(item, spec, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if ref in seen:
            return {}  # a recursive schema: accept anything below the second level
        target: Any = spec
        for part in ref.lstrip("#/").split("/"):
            target = target[part]
        return _resolve(target, spec, seen + (ref,))
    resolved = {key: _resolve(value, spec, seen) for key, value in node.items() if key not in ("example", "xml")}
    description = str(resolved.get("description", "")).lower()
    if resolved.get("type") == "object" and description.startswith(("array", "an array")):
        # Erratum of the upstream spec: column-based lists are typed "object" but described (and
        # answered by OX) as arrays.
        resolved["type"] = ["object", "array"]
    elif resolved.get("type") == "object" and description.startswith("generic type"):
        # Erratum: values "which can be object, string, array, etc." are typed "object".
        del resolved["type"]
    enum = resolved.get("enum")
    if resolved.get("type") == "integer" and enum and all(v > 0 and v & (v - 1) == 0 for v in enum):
        # Erratum: bit masks (mail flags) list their single bits as an enum; any combination is valid.
        del resolved["enum"]
        resolved["minimum"] = 0
    if resolved.pop("nullable", False) and "type" in resolved:
        resolved["type"] = [resolved["type"], "null"] if isinstance(resolved["type"], str) else [*resolved["type"], "null"]
    return resolved


def violations(payload: Any, path_key: str, method: str) -> list[str]:
    """Every way `payload` departs from the spec's response schema, as readable lines."""
    validator = Draft4Validator(response_schema(path_key, method))
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
        for error in sorted(validator.iter_errors(payload), key=lambda e: list(e.absolute_path))
    ]
