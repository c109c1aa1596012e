"""Configuration checks Airbyte runs against a connector's specification, and secret masking on read.

Airbyte validates ``sources/create|update|partial_update`` (and destinations) against the spec's
``connectionSpecification`` (SourceHandler.validateSource): a failure is a 422 whose message starts
"The provided configuration does not fulfill the specification. Errors: json schema validation failed
when comparing the data to the json schema." followed by each error, then "Schema:" and the schema.
The individual errors follow the wording of the JSON-schema library Airbyte's server uses (networknt
json-schema-validator 1.0.x: ``$.port: string found, integer expected``; the exact wording of other
releases is unconfirmed). Validation here is done by the ``jsonschema`` package, independently of the
checks the library runs before writing, so a mistake in one is caught by the other.

Fields whose spec node has ``airbyte_secret: true`` (inside ``oneOf`` too) are read back as
``**********``; sending the mask back on update keeps the stored secret.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema

MASK = "**********"
PREFIX = (
    "The provided configuration does not fulfill the specification. Errors: json schema validation failed "
    "when comparing the data to the json schema. \nErrors: "
)
_TYPE_NAMES = {
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    list: "array",
    dict: "object",
    type(None): "null",
}
#: Key names masked for connectors without a bundled specification (the emulator's older rule).
_SECRET_KEY_PARTS = (
    "password",
    "secret",
    "token",
    "api_key",
    "access_key",
    "credentials_json",
    "private_key",
)


def _path(parts: Any) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def _discriminator(branch: dict[str, Any], value: Any) -> bool:
    """Whether ``value`` names this ``oneOf`` branch by its ``const``/one-value ``enum`` property."""
    if not isinstance(value, dict):
        return False
    for key, prop in (branch.get("properties") or {}).items():
        enum = prop.get("enum") or []
        wanted = prop.get("const", enum[0] if len(enum) == 1 else None)
        if wanted is not None and key in (branch.get("required") or []):
            return value.get(key) == wanted
    return False


def _render(error: jsonschema.ValidationError) -> list[str]:
    where = _path(error.absolute_path)
    v = error.validator
    if v == "required":
        missing = str(error.message).split("'")[1]
        return [f"{where}.{missing}: is missing but it is required"]
    if v == "type":
        found = _TYPE_NAMES.get(type(error.instance), "unknown")
        expected = error.validator_value
        expected = "|".join(expected) if isinstance(expected, list) else expected
        return [f"{where}: {found} found, {expected} expected"]
    if v == "additionalProperties":
        allowed = set((error.schema.get("properties") or {}).keys())
        extra = sorted(k for k in error.instance if k not in allowed)
        return [
            f"{where}.{k}: is not defined in the schema and the schema does not allow additional properties"
            for k in extra
        ]
    if v == "enum":
        values = ", ".join(str(x) for x in error.validator_value)
        return [f"{where}: does not have a value in the enumeration [{values}]"]
    if v == "const":
        return [f"{where}: must be a constant value {error.validator_value}"]
    if v == "minimum":
        return [f"{where}: must have a minimum value of {error.validator_value}"]
    if v == "maximum":
        return [f"{where}: must have a maximum value of {error.validator_value}"]
    if v == "oneOf":
        out = [f"{where}: should be valid to one and only one schema, but 0 are valid"]
        for i, branch in enumerate(error.validator_value):
            if _discriminator(branch, error.instance):
                for sub in error.context or []:
                    if sub.relative_schema_path and sub.relative_schema_path[0] == i:
                        out.extend(_render(sub))
        return out
    return [f"{where}: {error.message}"]


def validation_errors(config: Any, spec: dict[str, Any]) -> list[str]:
    """Every error of ``config`` against the connection specification, in document order."""
    validator = jsonschema.Draft7Validator(spec)
    messages: list[str] = []
    for error in sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path]):
        messages.extend(_render(error))
    return messages


def failure_message(errors: list[str], spec: dict[str, Any]) -> str:
    """The 422 message Airbyte builds from the errors (the public API shows it up to "Schema:")."""
    return f"{PREFIX}{', '.join(errors)} \nSchema: \n{json.dumps(spec, indent=2)}"


def public_message(message: str) -> str:
    """The public API's ``data.message``: the Config API message up to its schema dump."""
    return message.split("\nSchema:")[0].rstrip()


def _branch_for(node: dict[str, Any], value: Any) -> dict[str, Any] | None:
    for branch in node.get("oneOf") or []:
        if _discriminator(branch, value):
            return branch
    return None


def secret_paths(spec: dict[str, Any], config: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths of the fields of ``config`` that the spec marks ``airbyte_secret`` (oneOf branches followed)."""
    out: list[tuple[str, ...]] = []
    if not isinstance(config, dict):
        return out
    props = dict(spec.get("properties") or {})
    branch = _branch_for(spec, config)
    if branch:
        props.update(branch.get("properties") or {})
    for key, value in config.items():
        node = props.get(key)
        if node is None:
            continue
        if node.get("airbyte_secret"):
            out.append((*prefix, key))
        elif isinstance(value, dict):
            out.extend(secret_paths(node, value, (*prefix, key)))
    return out


def mask(config: dict[str, Any], spec: dict[str, Any], *, by_name: bool) -> dict[str, Any]:
    """``config`` as Airbyte reads it back: secret fields replaced by ``**********``."""
    out = copy.deepcopy(config)
    if by_name:
        return _mask_by_name(out)
    for path in secret_paths(spec, config):
        node = out
        for part in path[:-1]:
            node = node[part]
        if node.get(path[-1]) is not None:
            node[path[-1]] = MASK
    return out


def _mask_by_name(config: dict[str, Any]) -> dict[str, Any]:
    for k, v in config.items():
        if isinstance(v, dict):
            _mask_by_name(v)
        elif isinstance(v, str) and any(s in k.lower() for s in _SECRET_KEY_PARTS):
            config[k] = MASK
    return config


def keep_masked_secrets(new: Any, stored: Any) -> Any:
    """``new`` with every ``**********`` replaced by the stored value at the same path."""
    if isinstance(new, dict):
        base = stored if isinstance(stored, dict) else {}
        return {k: keep_masked_secrets(v, base.get(k)) for k, v in new.items()}
    if new == MASK and stored is not None:
        return copy.deepcopy(stored)
    return copy.deepcopy(new)
