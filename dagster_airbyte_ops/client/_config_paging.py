"""How the Config API pages: ``pagination: {pageSize, rowOffset}`` bodies, and its list envelopes.

Airbyte versions differ: some ignore ``rowOffset`` (the same first page comes back), some lack the
``*_list_paginated`` endpoints (404/405, see :data:`MISSING_ENDPOINT`). The loop below stops on a short
page, an over-long page, or a page seen before, so it always ends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from ..errors import AirbyteApiError
from ._job_queries import as_utc, iso_z
from .models import Job, JobStatus

__all__ = ["CONFIG_API_PAGE_SIZE", "MISSING_ENDPOINT", "items", "jobs_request", "page_jobs", "paginate"]

CONFIG_API_PAGE_SIZE = 100
MISSING_ENDPOINT = (404, 405)  # what Airbyte answers for an endpoint its version does not have
_JOB_TYPES_TO_CONFIG = {"reset": "reset_connection"}

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


def jobs_request(
    *,
    connection_id: str | None,
    workspace_ids: list[str] | None,
    list_workspaces: Callable[[], list[str]],
    statuses: Sequence[JobStatus] | None,
    job_type: str | None,
    updated_after: datetime | None,
    created_after: datetime | None,
) -> tuple[str, dict[str, Any]]:
    """Path and body of a job listing: ``jobs/list`` for one connection, else per workspaces (all)."""
    config_types = (
        [_JOB_TYPES_TO_CONFIG.get(job_type, job_type)]
        if job_type is not None
        else ["sync", "reset_connection", "refresh", "clear"]
    )
    body: dict[str, Any] = {"configTypes": config_types, "orderByField": "createdAt", "orderByMethod": "DESC"}
    if statuses is not None:
        body["statuses"] = [s.value for s in statuses]
    if updated_after is not None:
        body["updatedAtStart"] = iso_z(updated_after)
    if created_after is not None:
        body["createdAtStart"] = iso_z(created_after)
    if connection_id is not None:
        body["configId"] = connection_id
        return "jobs/list", body
    body["workspaceIds"] = workspace_ids if workspace_ids is not None else list_workspaces()
    return "jobs/list_for_workspaces", body


def page_jobs(
    post: Callable[[str, dict[str, Any]], Any],
    page_size: int,
    path: str,
    body: dict[str, Any],
    keep: Callable[[list[Job]], list[Job]],
    *,
    limit: int | None,
    created_after: datetime | None,
) -> list[Job]:
    """Jobs newest first, page by page, until ``limit`` kept, a short or repeated page, or older ones."""
    found: list[Job] = []
    offset = 0
    seen: set[int] = set()
    while True:
        page_body = {**body, "pagination": {"pageSize": page_size, "rowOffset": offset}}
        answer = items(post(path, page_body), "jobs", path)
        page = [Job.from_config_api(item, source=path) for item in answer]
        fresh = [job for job in page if job.id not in seen]
        seen.update(job.id for job in page)
        found.extend(fresh)
        matched = keep(found)
        if limit is not None and len(matched) >= limit:
            return matched[:limit]
        if len(answer) < page_size or not fresh:
            return matched
        if created_after is not None and all(j.created_at <= as_utc(created_after) for j in page):
            return matched  # newest first: every later page is older still
        offset += len(answer)
