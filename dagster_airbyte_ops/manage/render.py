"""A plan as text: one block per resource, one line per field; secrets only "changed".

The output is what a reviewer reads in CI, so it is plain text (no colour codes), stable in order, and
never contains a secret value: secret fields print as `(secret changed)`, and values of other fields
are shortened.
"""

from __future__ import annotations

import json
from typing import Any

from .plan import FieldChange, Plan, ResourceChange

_SYMBOL = {"create": "+", "update": "~", "adopt": "~", "replace": "-/+", "delete": "-", "no-op": " "}
_WORD = {
    "create": "create",
    "update": "update in place",
    "adopt": "adopt (update in place, then manage)",
    "replace": "replace (delete, then create)",
    "delete": "delete",
    "no-op": "no change",
}
MAX_VALUE_CHARS = 80


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    text = (
        json.dumps(value, ensure_ascii=False, sort_keys=True) if not isinstance(value, str) else f'"{value}"'
    )
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."


def render_field(change: FieldChange) -> str:
    """`path: before -> after`; a secret as `(secret changed)`, an environment value by its name."""
    if change.secret:
        return f"{change.path}: (secret changed)"
    after = f"${{{change.after_env}}}" if change.after_env else _value(change.after)
    return f"{change.path}: {_value(change.before)} -> {after}"


def _field_line(change: FieldChange) -> str:
    return f"      {render_field(change)}"


def render_change(change: ResourceChange) -> list[str]:
    """The lines of one resource."""
    head = f'  {_SYMBOL[change.action]} {change.kind} "{change.name}": {_WORD[change.action]}'
    if change.airbyte_id and change.action != "create":
        head += f" ({change.airbyte_id})"
    lines = [head]
    if change.reason:
        lines.append(f"      {change.reason}")
    if change.action == "replace":
        lines.append(
            "      needs --replace: its connections are deleted and recreated, losing sync state and history"
        )
    lines.extend(_field_line(f) for f in change.fields)
    return lines


def render_plan(plan: Plan, *, show_unchanged: bool = True) -> str:
    """The whole plan, problems first (they stop apply), then changes, notes and a summary line."""
    lines: list[str] = []
    if plan.problems:
        lines.append("Problems (nothing can be applied until they are fixed):")
        lines.extend(f"  {p}" for p in plan.problems)
        lines.append("")
    lines.append(f"Airbyte workspace {plan.live.workspace_id}:")
    for change in plan.changes:
        if change.action == "no-op" and not show_unchanged:
            continue
        lines.extend(render_change(change))
    if plan.notes:
        lines.append("")
        lines.extend(f"Note: {n}" for n in plan.notes)
    lines.append("")
    lines.append(summary(plan))
    return "\n".join(lines)


def summary(plan: Plan) -> str:
    """`Plan: 1 to create, 2 to update, 0 to replace, 0 to delete, 3 unchanged.`"""
    count = {a: sum(1 for c in plan.changes if c.action == a) for a in _WORD}
    return (
        f"Plan: {count['create']} to create, {count['update'] + count['adopt']} to update "
        f"({count['adopt']} adopted), {count['replace']} to replace, {count['delete']} to delete, "
        f"{count['no-op']} unchanged."
    )
