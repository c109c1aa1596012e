"""Small text helpers shared by the validators and the error renderer.

Every message this package prints about the configuration shows values the same way (YAML-ish:
`"text"`, `null`, `true`) and suggests fixes the same way (`did you mean "x"?`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic_core import PydanticCustomError

MAX_SHOWN_CHARS = 60


def custom_error(message: str) -> PydanticCustomError:
    """A pydantic error whose rendered text is exactly `message` (no "Value error, " prefix)."""
    return PydanticCustomError("airbyte_ops", "{message}", {"message": message})


def show(value: Any) -> str:
    """A value as the user wrote it, shortened: strings quoted, containers named by kind."""
    if isinstance(value, str):
        text = value if len(value) <= MAX_SHOWN_CHARS else value[: MAX_SHOWN_CHARS - 3] + "..."
        return '"' + text.replace("\n", "\\n") + '"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return str(value)


def close_matches(word: str, candidates: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Candidates that look like `word` (never `word` itself): same letters ignoring case first,
    then difflib's closest."""
    pool = [c for c in dict.fromkeys(candidates) if c != word]
    exact = [c for c in pool if c.lower() == word.lower()]
    by_lower = {c.lower(): c for c in pool}
    fuzzy = difflib.get_close_matches(word.lower(), list(by_lower), n=n, cutoff=cutoff)
    return list(dict.fromkeys(exact + [by_lower[c] for c in fuzzy]))[:n]


def did_you_mean(word: str, candidates: Iterable[str], n: int = 3, cutoff: float = 0.6) -> str | None:
    """`did you mean "x"?` (or `"x" or "y"`) when something close exists."""
    matches = close_matches(word, candidates, n=n, cutoff=cutoff)
    if not matches:
        return None
    return "did you mean " + " or ".join(f'"{m}"' for m in matches) + "?"
