"""A declared configuration checked against its connector's specification, before Airbyte sees it.

Airbyte's specification (`connectionSpecification`) is a JSON schema with Airbyte's own marks
(`airbyte_secret`). This walks it beside the declared configuration and reports every problem at once
in the file's language (`sources[0].configuration.port: "5432" is text, ...; fix`): unknown keys (with a
suggestion, even where the schema would tolerate extras: a typo must not silently fall back to a
default), missing required fields, wrong types, values outside an enum or range, a `oneOf` alternative
that does not exist, and literal values in fields the connector marks secret.

It also resolves `{env: ...}` references (coercing them to the type the field expects, since the
environment only holds text) and returns the paths of the secret fields, which plan and apply never
print. Without a specification (the public API serves none) references are resolved as text, and secret
fields are the ones whose names look secret; validation is then left to Airbyte.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config import EnvRef
from ..config._text import did_you_mean, show
from ..config.declarations import SECRET_KEY_RE

Path = tuple[str, ...]
_KINDS = {"string": "text", "integer": "an integer", "number": "a number", "boolean": "true or false"}
_KINDS.update({"object": "a mapping", "array": "a list"})
MAX_ENUM_SHOWN = 8


@dataclass
class CheckedConfiguration:
    """The configuration as it will be sent, its secret paths, and every problem found."""

    values: dict[str, Any]
    secret_paths: set[Path] = field(default_factory=set)
    #: Paths whose value comes from an environment variable → its name (shown instead of the value).
    env_paths: dict[Path, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "null"


def _type_ok(value: Any, expected: str) -> bool:
    if expected == "string":
        return isinstance(value, str)
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "object":
        return isinstance(value, Mapping)
    if expected == "array":
        return isinstance(value, list)
    return expected == "null" and value is None


def _coerce(text: str, expected: str) -> Any:
    """An environment value (always text) as the type the field expects; unchanged if it cannot be."""
    try:
        if expected == "integer":
            return int(text)
        if expected == "number":
            return float(text)
    except ValueError:
        return text
    if expected == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _types(node: Mapping[str, Any]) -> list[str]:
    t = node.get("type")
    if isinstance(t, list):
        return [str(x) for x in t]
    return [str(t)] if t else []


def _discriminator(branch: Mapping[str, Any]) -> tuple[str, str] | None:
    """The (key, value) naming a `oneOf` alternative: a required property with a const or one-value enum."""
    for key, prop in (branch.get("properties") or {}).items():
        enum = prop.get("enum") or []
        value = prop.get("const", enum[0] if len(enum) == 1 else None)
        if value is not None and key in (branch.get("required") or []):
            return key, str(value)
    return None


class _Walker:
    def __init__(self, environ: Mapping[str, str], connector: str) -> None:
        self.environ = environ
        self.connector = connector
        self.problems: list[str] = []
        self.secrets: set[Path] = set()
        self.env: dict[Path, str] = {}

    def problem(self, where: str, text: str) -> None:
        self.problems.append(f"{where}: {text}")

    def value(self, value: Any, node: Mapping[str, Any], where: str, path: Path) -> Any:
        secret = bool(node.get("airbyte_secret"))
        if secret:
            self.secrets.add(path)
            if not isinstance(value, EnvRef):
                self.problem(
                    where,
                    f"the {self.connector} connector marks this field secret; write {{env: VARIABLE_NAME}} "
                    "instead of a value in the file",
                )
        types = _types(node)
        if isinstance(value, EnvRef):
            self.env[path] = value.env
            text = value.resolve(self.environ)
            resolved = _coerce(text, types[0]) if types else text
            if types and not any(_type_ok(resolved, t) for t in types):
                # The value is never shown: a variable may hold a secret even where the field is not one.
                self.problem(
                    where,
                    f"environment variable {value.env} does not hold {_KINDS.get(types[0], types[0])}, "
                    f"which the {self.connector} connector expects here; set it to one",
                )
            return resolved
        if "oneOf" in node and isinstance(value, Mapping):
            return self.one_of(value, node, where, path)
        if types and not any(_type_ok(value, t) for t in types):
            expected = _KINDS.get(types[0], types[0])
            fix = (
                "write it without quotes" if isinstance(value, str) and types[0] != "string" else "change it"
            )
            if types[0] == "string" and not isinstance(value, Mapping | list):
                fix = "quote it"
            self.problem(
                where,
                f"{show(value)} is {_kind_of(value)}, "
                f"the {self.connector} connector expects {expected}; {fix}",
            )
            return value
        if isinstance(value, Mapping):
            return self.mapping(value, node, where, path)
        if isinstance(value, list):
            items = node.get("items") or {}
            return [self.value(v, items, f"{where}[{i}]", (*path, str(i))) for i, v in enumerate(value)]
        self.scalar(value, node, where)
        return value

    def scalar(self, value: Any, node: Mapping[str, Any], where: str) -> None:
        enum = node.get("enum")
        if enum is not None and value not in enum:
            near = did_you_mean(str(value), [str(e) for e in enum], n=1)
            options = ", ".join(show(e) for e in enum[:MAX_ENUM_SHOWN])
            if len(enum) > MAX_ENUM_SHOWN:
                options += f" (and {len(enum) - MAX_ENUM_SHOWN} more)"
            self.problem(where, f"{show(value)} is not allowed; {near or 'use one of ' + options}")
        if "const" in node and value != node["const"]:
            self.problem(where, f"{show(value)} is not allowed; write {show(node['const'])}")
        if isinstance(value, int | float) and not isinstance(value, bool):
            if "minimum" in node and value < node["minimum"]:
                self.problem(where, f"{value} is below the minimum {node['minimum']}; raise it")
            if "maximum" in node and value > node["maximum"]:
                self.problem(where, f"{value} is above the maximum {node['maximum']}; lower it")

    def mapping(
        self, value: Mapping[str, Any], node: Mapping[str, Any], where: str, path: Path
    ) -> dict[str, Any]:
        props: Mapping[str, Any] = node.get("properties") or {}
        out: dict[str, Any] = {}
        for key, item in value.items():
            sub = f"{where}.{key}"
            if key in props:
                out[key] = self.value(item, props[key], sub, (*path, key))
            elif props:
                hint = did_you_mean(key, list(props)) or f"remove it (fields: {', '.join(sorted(props))})"
                self.problem(sub, f"not a field of the {self.connector} connector; {hint}")
                out[key] = self.free(item, sub, (*path, key))
            else:
                out[key] = self.free(item, sub, (*path, key))
        for key in node.get("required") or []:
            if key not in value:
                self.problem(f"{where}.{key}", f"required by the {self.connector} connector; add it")
        return out

    def one_of(self, value: Mapping[str, Any], node: Mapping[str, Any], where: str, path: Path) -> Any:
        branches = [b for b in node["oneOf"] if isinstance(b, Mapping)]
        named = [(b, _discriminator(b)) for b in branches]
        keys = {d[0] for _, d in named if d}
        if len(keys) == 1:
            key = next(iter(keys))
            options = [d[1] for _, d in named if d]
            chosen = value.get(key)
            for branch, disc in named:
                if disc and str(chosen) == disc[1]:
                    merged = {
                        **node,
                        **branch,
                        "properties": {**(node.get("properties") or {}), **branch["properties"]},
                    }
                    merged.pop("oneOf", None)
                    return self.mapping(value, merged, where, path)
            listed = ", ".join(f'"{o}"' for o in options)
            if chosen is None:
                self.problem(f"{where}.{key}", f"required: choose one of {listed}")
            else:
                near = did_you_mean(str(chosen), options, n=1)
                self.problem(
                    f"{where}.{key}", f"{show(chosen)} is not allowed; {near or 'use one of ' + listed}"
                )
            return self.free(value, where, path)
        return self.free(value, where, path)

    def free(self, value: Any, where: str, path: Path) -> Any:
        """A value the specification says nothing about: resolve references, guess secrets by name."""
        if isinstance(value, EnvRef):
            self.env[path] = value.env
            if path and SECRET_KEY_RE.search(path[-1]):
                self.secrets.add(path)
            return value.resolve(self.environ)
        if isinstance(value, Mapping):
            return {k: self.free(v, f"{where}.{k}", (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.free(v, f"{where}[{i}]", (*path, str(i))) for i, v in enumerate(value)]
        return value


def check_configuration(
    configuration: Mapping[str, Any],
    spec: Mapping[str, Any] | None,
    *,
    where: str,
    connector: str,
    environ: Mapping[str, str],
) -> CheckedConfiguration:
    """Resolve and check a declared configuration; `spec` None means no specification is available.

    Args:
        configuration: the declared configuration (`EnvRef` leaves where the file has `{env: ...}`).
        spec: the connector's `connectionSpecification`, or None (the public API serves none).
        where: the field path of the configuration in the file, e.g. `sources[0].configuration`.
        connector: the connector's name, for messages.
        environ: the environment references resolve against.
    """
    walker = _Walker(environ, connector)
    if spec is None:
        values = walker.free(dict(configuration), where, ())
    else:
        values = walker.value(dict(configuration), spec, where, ())
    return CheckedConfiguration(
        values=values, secret_paths=walker.secrets, env_paths=walker.env, problems=walker.problems
    )
