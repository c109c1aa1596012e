"""Which connection a person means when they type one on the command line.

People copy what they see: the id from Airbyte's URL, the name from Airbyte's UI (with its `→`), the
same name typed in another case, or the asset group Dagster's UI shows (`shop_orders_sqlite`). All
of them name one connection; the first rule that matches anything wins, in this order, so an exact
id or name is never shadowed by a looser match. Several matches under one rule are ambiguous and
listed, never guessed between.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..assets.translator import slugify
from ..client.models import Connection
from ..errors import AirbyteOpsError

W = TypeVar("W")


@dataclass(frozen=True)
class Candidate(Generic[W]):
    """One connection of one Airbyte, with the asset group Dagster shows for it (None: not selected)."""

    workspace: W
    instance: str | None
    connection: Connection
    group: str | None


def find_connection(candidates: Sequence[Candidate[W]], wanted: str) -> Candidate[W]:
    """The one candidate `wanted` names: id, exact name, name in any case, Dagster group, name's slug.

    `instance:<any of those>` restricts the search to one of several Airbytes. Raises AirbyteOpsError
    listing the known names when nothing matches, and the candidates when several do.
    """
    text = wanted.strip()
    pool = list(candidates)
    instance, sep, rest = text.partition(":")
    if sep and any(c.instance == instance for c in pool):
        pool = [c for c in pool if c.instance == instance]
        text = rest.strip()
    folded = text.casefold()
    rules: list[tuple[str, Callable[[Candidate[W]], bool]]] = [
        ("id", lambda c: c.connection.id == text),
        ("name", lambda c: c.connection.name == text),
        ("name in any case", lambda c: c.connection.name.casefold() == folded),
        ("Dagster asset group", lambda c: c.group is not None and c.group.casefold() == folded),
        ("name as a slug", lambda c: slugify(c.connection.name) == slugify(text)),
    ]
    for rule, matches in rules:
        found = [c for c in pool if matches(c)]
        if len(found) == 1:
            return found[0]
        if found:
            listed = "; ".join(_describe(c) for c in found)
            raise AirbyteOpsError(
                f"{wanted!r} matches {len(found)} connections by {rule}: {listed}; "
                "pass the id (or instance:name)"
            )
    known = ", ".join(sorted({_describe(c) for c in candidates}))
    raise AirbyteOpsError(f"no connection named {wanted!r}; known: {known}")


def _describe(candidate: Candidate[Any]) -> str:
    prefix = f"{candidate.instance}:" if candidate.instance else ""
    group = f", group {candidate.group}" if candidate.group else ""
    return f"{prefix}{candidate.connection.name} (id {candidate.connection.id}{group})"


def candidates_of(
    workspaces: Sequence[W],
    *,
    instance_of: Callable[[W], str | None],
    connections_of: Callable[[W], Sequence[Connection]],
    groups: Mapping[tuple[str | None, str], str],
) -> list[Candidate[W]]:
    """Every connection of every workspace; `groups` maps (instance, connection id) of the selected
    connections to their asset group."""
    return [
        Candidate(w, instance_of(w), connection, groups.get((instance_of(w), connection.id)))
        for w in workspaces
        for connection in connections_of(w)
    ]
