"""How the Config API pages: ``pagination: {pageSize, rowOffset}`` bodies, and its list envelopes.

Airbyte versions differ: some ignore ``rowOffset`` (the same first page comes back), some lack the
``*_list_paginated`` endpoints (404/405, see :data:`MISSING_ENDPOINT`). The loop below stops on a short
page, an over-long page, or a page seen before, so it always ends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import AirbyteApiError

__all__ = ["CONFIG_API_PAGE_SIZE", "MISSING_ENDPOINT", "items", "paginate"]

CONFIG_API_PAGE_SIZE = 100
MISSING_ENDPOINT = (404, 405)  # what Airbyte answers for an endpoint its version does not have

_T = TypeVar("_T")


def items(payload: Any, key: str, path: str) -> list[Any]:
    """The array under ``key`` of a list answer; a missing or non-array field is Airbyte's fault."""
    if not isinstance(payload, dict) or not isinstance(payload.get(key), list):
        raise AirbyteApiError(
            f"{path}: unexpected response from Airbyte, field {key!r} is missing or not an array",
            path=path,
        )
    return list(payload[key])


def paginate(
    post: Callable[[str, dict[str, Any]], Any],
    page_size: int,
    path: str,
    body: dict[str, Any],
    key: str,
    build: Callable[..., _T],
) -> list[_T]:
    """Follow ``pagination: {pageSize, rowOffset}`` until a short page."""
    out: list[_T] = []
    offset = 0
    first_ids: set[str] = set()
    while True:
        page_body = {**body, "pagination": {"pageSize": page_size, "rowOffset": offset}}
        found = items(post(path, page_body), key, path)
        marker = repr(found[0])[:200] if found else ""
        if marker and marker in first_ids:  # the server ignores rowOffset: stop, we have it all
            break
        first_ids.add(marker)
        out.extend(build(item, source=path) for item in found)
        if len(found) < page_size or len(found) > page_size:
            break
        offset += len(found)
    return out
