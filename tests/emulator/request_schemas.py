"""Extract the request side of Airbyte's OpenAPI files into the emulator's ``request_schemas.json``.

The emulator validates every request body and query parameter against Airbyte's own request schemas
(``dagster_airbyte_ops/emulator/request_validation.py``). Parsing the 30,000 lines of YAML takes over a
second, so the operations and the schemas they reach are extracted once into a compact JSON file shipped
with the package; ``test_request_schemas.py`` fails when it no longer matches the vendored files.

Regenerate with ``python -m tests.emulator.request_schemas`` from the repository root.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

SPEC_DIR = Path(__file__).resolve().parents[1] / "airbyte-api"
TARGET = Path(__file__).resolve().parents[2] / "dagster_airbyte_ops" / "emulator" / "request_schemas.json"
#: Schema keywords the validator understands; the rest (descriptions, examples, x-...) is dropped.
KEPT = ("type", "format", "enum", "required", "nullable", "minimum", "maximum")
NESTED = ("items", "additionalProperties")
BRANCHES = ("allOf", "oneOf", "anyOf")
METHODS = ("get", "post", "put", "patch", "delete")
REF = "#/components/schemas/"


def _compact(node: Any, reached: set[str]) -> Any:
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = str(node["$ref"]).removeprefix(REF)
        reached.add(name)
        return {"$ref": name}
    out: dict[str, Any] = {k: node[k] for k in KEPT if k in node}
    if isinstance(node.get("properties"), dict):
        out["properties"] = {k: _compact(v, reached) for k, v in node["properties"].items()}
    for key in NESTED:
        if isinstance(node.get(key), dict):
            out[key] = _compact(node[key], reached)
    for key in BRANCHES:
        if isinstance(node.get(key), list):
            out[key] = [_compact(v, reached) for v in node[key]]
    return out


def extract(spec: dict[str, Any], prefix: str) -> dict[str, Any]:
    """``{"operations": {"METHOD /path": {...}}, "schemas": {...}}`` for one OpenAPI document."""
    reached: set[str] = set()
    operations: dict[str, Any] = {}
    for path, item in spec["paths"].items():
        shared = item.get("parameters") or []
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            entry: dict[str, Any] = {"operationId": op.get("operationId", "")}
            body = ((op.get("requestBody") or {}).get("content") or {}).get("application/json")
            if body and body.get("schema"):
                entry["body"] = _compact(body["schema"], reached)
            params = []
            for p in [*shared, *(op.get("parameters") or [])]:
                if p.get("in") in ("query", "path") and isinstance(p.get("schema"), dict):
                    params.append(
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": bool(p.get("required")),
                            "schema": _compact(p["schema"], reached),
                        }
                    )
            if params:
                entry["parameters"] = params
            operations[f"{method.upper()} {path.removeprefix(prefix)}"] = entry
    schemas: dict[str, Any] = {}
    pending = sorted(reached)
    while pending:
        name = pending.pop()
        if name in schemas:
            continue
        found: set[str] = set()
        schemas[name] = _compact(spec["components"]["schemas"].get(name, {}), found)
        pending.extend(sorted(found - set(schemas)))
    return {"operations": operations, "schemas": dict(sorted(schemas.items()))}


def build() -> str:
    """The JSON text ``request_schemas.json`` should hold."""
    load = lambda name: yaml.load((SPEC_DIR / name).read_text(), Loader=yaml.CSafeLoader)  # noqa: E731
    data = {
        "source": "tests/airbyte-api/config.yaml and api.yaml (see tests/airbyte-api/SOURCE.md)",
        "config": extract(load("config.yaml"), "/v1"),
        "public": extract(load("api.yaml"), ""),
    }
    return json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n"


if __name__ == "__main__":
    TARGET.write_text(build())
    print(f"wrote {TARGET} ({TARGET.stat().st_size} bytes)")
