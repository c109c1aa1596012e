"""Reading `airbyte_ops.yaml` into plain Python data, with YAML's traps removed.

PyYAML's `SafeLoader` follows YAML 1.1, where `on`, `yes`, `no` and `off` are booleans and `12:00`
is the integer 720 — so `on: [failed]` under a webhook and `between: [12:00, 13:00]` in a skip rule
would silently mean something else. This loader resolves plain scalars the YAML 1.2 way (only
`true`/`false` are booleans, only decimal/hex digits are integers, dates stay text), rejects
duplicate keys (PyYAML keeps the last one without a word) and keys that are not text.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode

from ..errors import ConfigError

_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL_RE = re.compile(r"^(?:~|null|Null|NULL|)$")
_INT_RE = re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+)$")
_FLOAT_RE = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_BOOL_FIRST = "tTfF"
_NULL_FIRST = ["~", "n", "N", ""]
_NUMBER_FIRST = "-+0123456789."


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema scalars and strict mappings."""

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            if not isinstance(key_node, ScalarNode):
                raise ConstructorError(
                    None, None, "a key must be plain text, not a list or mapping", key_node.start_mark
                )
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise ConstructorError(
                    None,
                    None,
                    f'key {key_node.value} is not text; quote it: "{key_node.value}"',
                    key_node.start_mark,
                )
            if key in seen:
                first = seen[key].start_mark
                raise ConstructorError(
                    None,
                    None,
                    f'duplicate key "{key}" (first at line {first.line + 1}); keep only one',
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL_RE, list(_BOOL_FIRST))
_Loader.add_implicit_resolver("tag:yaml.org,2002:null", _NULL_RE, _NULL_FIRST)
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT_RE, list(_NUMBER_FIRST))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_RE, list(_NUMBER_FIRST))
_Loader.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])

_HINTS = {
    "found character '\\t' that cannot start any token": "YAML indents with spaces, never tabs",
    "mapping values are not allowed here": 'quote a value containing ": ", or fix the indentation',
    "could not find expected ':'": "a key is missing its colon, or a quote is not closed",
    "found undefined alias": "define the &anchor before using the *alias",
    "found unexpected end of stream": "a quote or bracket is not closed",
    "expected <block end>": "check the indentation of this line",
    "but found another document": "keep one document (one configuration) per file",
}


def load_yaml(text: str, source: str) -> Any:
    """Parse `text`; a malformed document raises ConfigError with `file:line:column`."""
    try:
        return yaml.load(text, Loader=_Loader)  # _Loader derives from SafeLoader
    except yaml.MarkedYAMLError as exc:
        raise ConfigError(_render_yaml_error(exc, source)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: invalid YAML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{source}: the YAML is nested too deeply to read; flatten it") from None


def _render_yaml_error(exc: yaml.MarkedYAMLError, source: str) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark is not None else source
    problem = exc.problem or exc.context or "cannot read this"
    if problem.startswith("could not determine a constructor for the tag"):
        return f"{where}: YAML tags (!!...) are not supported here; remove the tag"
    if isinstance(exc, ConstructorError) and exc.context is None:
        return f"{where}: {problem}"
    text = f"{where}: invalid YAML: {problem}"
    if exc.context and exc.problem and exc.context_mark is not None:
        text += f" ({exc.context} at line {exc.context_mark.line + 1})"
    hint = next((h for start, h in _HINTS.items() if problem.startswith(start)), None)
    if hint:
        text += f"; {hint}"
    return text
