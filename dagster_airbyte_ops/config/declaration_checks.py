"""Checks of `sources:`, `destinations:` and `declare:` that need the whole file (names, references).

They run after per-field validation, beside the loader's other cross-entry checks, and speak the same
`field.path: problem; fix` language. Checks that need Airbyte (the connector's specification, the
discovered streams) run at plan time in dagster_airbyte_ops/manage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._text import did_you_mean

if TYPE_CHECKING:
    from .models import AirbyteOpsConfig


def declaration_problems(config: AirbyteOpsConfig) -> list[str]:
    """Duplicate names, `declare:` without `name:`, and references to undeclared sources/destinations."""
    problems: list[str] = []
    declares = [e for e in config.connections if e.declare is not None]
    if (config.sources or config.destinations or declares) and config.instances is not None:
        problems.append(
            "sources: / destinations: / declare: are supported with a single airbyte: section only; "
            "move the declarations to a file of their own for each Airbyte"
        )
    for section in ("sources", "destinations"):
        seen: dict[str, int] = {}
        for i, item in enumerate(getattr(config, section)):
            first = seen.setdefault(item.name, i)
            if first != i:
                problems.append(
                    f'{section}[{i}].name: "{item.name}" is already declared by {section}[{first}]; '
                    "Airbyte names must be unique here"
                )
    source_names = [s.name for s in config.sources]
    destination_names = [d.name for d in config.destinations]
    for entry in declares:
        assert entry.declare is not None
        if entry.name is None:
            key, _ = entry.selector
            problems.append(
                f'{entry.path}.{key}: a declared connection is selected by name; write name: "..." '
                f"instead of {key}:"
            )
        for field, names, section in (
            ("source", source_names, "sources"),
            ("destination", destination_names, "destinations"),
        ):
            wanted = getattr(entry.declare, field)
            if wanted not in names:
                hint = did_you_mean(wanted, names) or f"declare it under {section}:"
                problems.append(f'{entry.path}.declare.{field}: "{wanted}" is not in {section}:; {hint}')
    return problems
