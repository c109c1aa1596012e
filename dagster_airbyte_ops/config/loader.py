"""Finding, reading and checking `airbyte_ops.yaml`.

`load_config()` looks in one documented order (argument → `AIRBYTE_OPS_CONFIG` → `./airbyte_ops.yaml`)
and every failure is a ConfigError whose lines read `file: field.path: problem; fix`. Checks that
span several entries (the same connection selected twice, `after:` cycles, repeated names) run
after the per-field validation, because they need the whole file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import ConfigError
from ._render import MAX_ERRORS, render_validation_error
from ._text import close_matches, show
from ._yaml import load_yaml
from .connections import connection_label, resolve_connection_ref
from .declaration_checks import declaration_problems
from .models import AirbyteOpsConfig

CONFIG_ENV_VAR = "AIRBYTE_OPS_CONFIG"
DEFAULT_CONFIG_FILENAME = "airbyte_ops.yaml"
_SECTIONS = "airbyte, defaults, connections, sources, destinations, downstream, alerts, max_concurrent_syncs"


def config_error(source: str, lines: list[str]) -> ConfigError:
    """One ConfigError carrying every problem, each line prefixed with the file name.

    At most `MAX_ERRORS` lines are shown, then how many more: one mistake repeated a thousand times
    is one screen, not a thousand lines. `problems` keeps them all.
    """
    shown = (
        lines
        if len(lines) <= MAX_ERRORS
        else [*lines[:MAX_ERRORS], f"... and {len(lines) - MAX_ERRORS} more problems"]
    )
    error = ConfigError("\n".join(f"{source}: {line}" for line in shown))
    error.problems = list(lines)  # type: ignore[attr-defined]
    return error


def find_config_path(
    path: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None
) -> Path:
    """The file `load_config` reads: `path`, else `$AIRBYTE_OPS_CONFIG`, else `./airbyte_ops.yaml`."""
    if path is not None:
        return Path(path)
    env = os.environ if environ is None else environ
    return Path(env.get(CONFIG_ENV_VAR) or DEFAULT_CONFIG_FILENAME)


def load_config(
    path: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None
) -> AirbyteOpsConfig:
    """Read and validate the configuration file.

    Args:
        path: The file; default `$AIRBYTE_OPS_CONFIG`, else `airbyte_ops.yaml` in the working directory.
        environ: Environment for `{env: ...}` references; default `os.environ`.

    Raises:
        ConfigError: the file is missing, unreadable or invalid; the message names file, field and fix.

    Example:
        ```python
        import dagster as dg
        from dagster_airbyte_ops.config import load_config
        from dagster_airbyte_ops.resource import AirbyteResource

        config = load_config()
        airbyte = AirbyteResource(**config.airbyte.resource_kwargs())
        ```
    """
    env = os.environ if environ is None else environ
    file = find_config_path(path, environ=env)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(_not_found(file, path, env)) from None
    except IsADirectoryError:
        raise ConfigError(f"{file}: is a directory; point at the YAML file itself") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: is not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot be read ({exc.strerror}); check its permissions") from None
    return parse_config(text, str(file), environ=env)


def _not_found(file: Path, path: object, env: Mapping[str, str]) -> str:
    if path is not None:
        return f"{file}: file not found; check the path passed to load_config()"
    if env.get(CONFIG_ENV_VAR):
        return (
            f"{file}: file not found; {CONFIG_ENV_VAR} points here, set it to your configuration file's path"
        )
    return (
        f"{file}: file not found in {Path.cwd()}; create it there, or set {CONFIG_ENV_VAR} "
        "to the path of your configuration file"
    )


def parse_config(
    text: str, source_name: str = DEFAULT_CONFIG_FILENAME, *, environ: Mapping[str, str] | None = None
) -> AirbyteOpsConfig:
    """Validate configuration `text`; `source_name` is the file name used in messages."""
    return config_from_data(load_yaml(text, source_name), source_name, environ=environ)


def config_from_data(
    data: Any, source_name: str = DEFAULT_CONFIG_FILENAME, *, environ: Mapping[str, str] | None = None
) -> AirbyteOpsConfig:
    """Validate already-parsed YAML (e.g. a component's `attributes:`); messages as for a file."""
    if data is None or data == {}:
        raise ConfigError(
            f'{source_name}: the file is empty; add at least an "airbyte:" section and a "connections:" list'
        )
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source_name}: expected a mapping of sections ({_SECTIONS}) at the top level, got {show(data)}"
        )
    env = os.environ if environ is None else environ
    try:
        config = AirbyteOpsConfig.model_validate(data, context={"environ": env})
    except ValidationError as exc:
        raise config_error(source_name, render_validation_error(exc, AirbyteOpsConfig)) from None
    except RecursionError:
        raise ConfigError(f"{source_name}: the YAML is nested too deeply to read; flatten it") from None
    config._source = source_name
    problems = cross_checks(config)
    if problems:
        raise config_error(source_name, problems)
    return config


def cross_checks(config: AirbyteOpsConfig) -> list[str]:
    """Problems that involve more than one entry: duplicates and `after:` cycles among names."""
    problems: list[str] = _instance_problems(config)
    first_by_selector: dict[tuple[str | None, str, str], int] = {}
    for entry in config.connections:
        key, value = entry.selector
        seen = first_by_selector.setdefault((entry.instance, key, value), entry.index)
        if seen != entry.index:
            problems.append(
                f'{entry.path}.{key}: "{value}" is already selected by connections[{seen}]; '
                "merge the two entries"
            )
    schedule_names: dict[str, str] = {}
    for entry in config.connections:
        for i, spec in enumerate(entry.schedules):
            if spec.name is None:
                continue
            where = f"{entry.path}.schedule" + (f"[{i}]" if isinstance(entry.schedule, list) else "")
            if spec.name in schedule_names:
                problems.append(
                    f'{where}.name: "{spec.name}" is already used by {schedule_names[spec.name]}; '
                    "schedule names must be unique"
                )
            else:
                schedule_names[spec.name] = where
    downstream_names: dict[str, int] = {}
    for i, item in enumerate(config.downstream):
        first = downstream_names.setdefault(item.name, i)
        if first != i:
            problems.append(
                f'downstream[{i}].name: "{item.name}" is already used by downstream[{first}]; '
                "names must be unique"
            )
    problems.extend(_name_cycles(config))
    problems.extend(declaration_problems(config))
    return problems


def _instance_problems(config: AirbyteOpsConfig) -> list[str]:
    """`airbyte:` xor `instances:`, and each entry's `instance:` naming one of them."""
    instances = list(config.instances or {})
    if config.instances is not None and "airbyte" in config.model_fields_set:
        return [
            "airbyte: and instances: are both set; move the airbyte: section under instances: as one "
            "named Airbyte (instances: {onprem: {airbyte: {url: ...}}}), or remove instances:"
        ]
    problems: list[str] = []
    listed = ", ".join(f'"{name}"' for name in instances)
    for entry in config.connections:
        where = f"{entry.path}.instance"
        if entry.instance is None:
            if len(instances) > 1:
                problems.append(
                    f"{where}: required when instances: lists several Airbytes; "
                    f"add instance: with one of {listed}"
                )
        elif config.instances is None:
            problems.append(
                f'{where}: "{entry.instance}" names an Airbyte instance, but the file has no instances: '
                "section; remove instance:, or list your Airbytes under instances:"
            )
        elif entry.instance not in config.instances:
            near = close_matches(entry.instance, instances, n=1)
            fix = f'did you mean "{near[0]}"?' if near else f"the instances are {listed}"
            problems.append(f'{where}: "{entry.instance}" is not one of instances:; {fix}')
    return problems


def _name_cycles(config: AirbyteOpsConfig) -> list[str]:
    """`after:` cycles among entries selected by name (globs and ids are checked against the catalog)."""
    by_node = {connection_label(e.instance, e.name): e for e in config.connections if e.name is not None}
    known = [(e.instance, e.name) for e in by_node.values() if e.name is not None]
    names = list(config.instances or {})
    graph: dict[str, list[str]] = {}
    for node, entry in by_node.items():
        edges = graph.setdefault(node, [])
        for ref in entry.after_connections:
            found = resolve_connection_ref(ref, known, names)
            if len(found) == 1:
                edges.append(connection_label(*found[0]))
    cycle = find_cycle(graph)
    if cycle is None:
        return []
    entry = by_node[cycle[0]]
    return [f"{entry.path}.after: {describe_cycle(cycle)}; remove one of these after: entries"]


def find_cycle(graph: Mapping[str, list[str]]) -> list[str] | None:
    """The first cycle of a dependency graph, as `[a, b, a]`, or None; deterministic order."""
    done: set[str] = set()
    for start in graph:
        if start in done:
            continue
        path = [start]
        on_path = {start}
        pending = [iter(graph.get(start, []))]
        while pending:
            nxt = next(pending[-1], None)
            if nxt is None:
                pending.pop()
                finished = path.pop()
                on_path.discard(finished)
                done.add(finished)
            elif nxt in on_path:
                return [*path[path.index(nxt) :], nxt]
            elif nxt not in done:
                path.append(nxt)
                on_path.add(nxt)
                pending.append(iter(graph.get(nxt, [])))
    return None


def describe_cycle(cycle: list[str]) -> str:
    """`after: cycle "A" → "B" → "A"` in words."""
    if len(cycle) == 2:
        return f'"{cycle[0]}" waits for itself'
    return "cycle between connections: " + " → ".join(f'"{n}"' for n in cycle)
