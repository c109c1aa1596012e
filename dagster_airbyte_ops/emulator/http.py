"""Small response and request helpers shared by the Config API, public API and admin routes."""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

PROBLEM_BASE = "https://reference.airbyte.com/reference/errors"


class ApiError(Exception):
    """Raised by handlers to answer with an error; ``body`` is already in the API's error shape."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Compact JSON response (Airbyte's server does not pretty-print)."""
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def no_content() -> Response:
    """A 204 without a body (Airbyte's answer to deletes)."""
    return Response(status_code=204)


async def read_json(request: Request) -> dict[str, Any]:
    """The request's JSON object body; an empty body counts as ``{}`` like Airbyte's lenient parser."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ApiError(
            422,
            {
                "message": f"Invalid JSON body: {exc}",
                "exceptionClassName": "com.fasterxml.jackson.core.JsonParseException",
                "validationErrors": [],
            },
        ) from None
    if not isinstance(data, dict):
        raise ApiError(422, {"message": "Request body must be a JSON object", "validationErrors": []})
    return data


def is_uuid(value: Any) -> bool:
    """Whether ``value`` is a UUID string (Airbyte rejects malformed ids before looking anything up)."""
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def problem(status: int, slug: str | None, title: str, detail: str, data: Any = None) -> dict[str, Any]:
    """A public API problem document (api-problems.yaml ``BaseProblemFields``)."""
    body: dict[str, Any] = {
        "status": status,
        "type": f"{PROBLEM_BASE}#{slug}" if slug else PROBLEM_BASE,
        "title": title,
        "detail": detail,
    }
    if data is not None:
        body["data"] = data
    return body
