"""How each API refuses a request that fails :mod:`.request_validation`, in Airbyte's own error shapes.

Config API (airbyte-commons-server ``errors/handlers``, read at airbyte-platform v1.6.0 and v2.0.0):

* ``InvalidJsonExceptionHandler``: a body that is not JSON → 422 ``KnownExceptionInfo``
  ``{message: "Invalid json. ...", exceptionClassName: "com.fasterxml.jackson.core.JsonParseException"}``;
* ``InvalidJsonInputExceptionHandler``: JSON Jackson cannot map onto the request model (``[]`` for an
  object, ``{}`` for an enum, ``"x"`` for an integer) → 422 ``{message: "Invalid json input. ...",
  exceptionClassName: "com.fasterxml.jackson.databind.exc...."}``;
* ``InvalidInputExceptionHandler``: bean validation (a required field missing or null, a number out of
  its declared bounds) → 400 ``InvalidInputExceptionInfo`` ``{message: "Some properties contained invalid
  input.", exceptionClassName, exceptionStack, validationErrors: [{propertyPath, message,
  invalidValue}]}``;
* Airbyte 2.0 (commit 75054177 "remove security risk data from error responses") answers all three
  with only ``{errorId}``.

Public API: a 400 ``bad-request`` problem (api-problems.yaml ``BadRequestProblemResponse``) whose
``detail`` and ``data.message`` name the field, never a Config API body.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request

from dagster_airbyte_ops.emulator.http import ApiError, problem
from dagster_airbyte_ops.emulator.profiles import VersionProfile
from dagster_airbyte_ops.emulator.request_validation import Operation, Spec, Violation, spec

MODEL_PACKAGE = "io.airbyte.api.model.generated"
_MAPPING_CLASS = "com.fasterxml.jackson.databind.exc.MismatchedInputException"
_FORMAT_CLASS = "com.fasterxml.jackson.databind.exc.InvalidFormatException"
_PARSE_CLASS = "com.fasterxml.jackson.core.JsonParseException"


def _constraint_class(profile: VersionProfile) -> str:
    """``javax`` up to 0.50 (Micronaut 3), ``jakarta`` from 1.x."""
    package = "javax" if profile.name == "0.50" else "jakarta"
    return f"{package}.validation.ConstraintViolationException"


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def config_rejection(
    profile: VersionProfile,
    op: Operation,
    model: str,
    violations: list[Violation],
    parse_error: str | None,
) -> ApiError:
    """The Config API's answer to a body that failed validation (see the module docstring)."""
    if parse_error is not None:
        status, body = 422, _known(f"Invalid json. {parse_error}", _PARSE_CLASS)
    else:
        mapping = [v for v in violations if v.kind == "mapping"]
        if mapping:  # Jackson stops at the first field it cannot map
            v = mapping[0]
            status, body = 422, _known(_mapping_message(model, v), _mapping_exception(v))
        else:
            status, body = 400, _constraints(profile, op, model, violations)
    if not profile.legacy_error_bodies:
        body = {"errorId": str(uuid.uuid4())}
    return ApiError(status, body)


def _known(message: str, exception_class: str) -> dict[str, Any]:
    return {"message": message, "exceptionClassName": exception_class}


def _mapping_exception(v: Violation) -> str:
    return _FORMAT_CLASS if isinstance(v.value, str) else _MAPPING_CLASS


def _mapping_message(model: str, v: Violation) -> str:
    target = f"`{MODEL_PACKAGE}.{model or 'Object'}`"
    if not v.path:
        return f"Invalid json input. Cannot deserialize value of type {target}: the body {v.message}"
    chain = "".join(f'["{part}"]' for part in v.path.replace("[", ".[").split(".") if part)
    return f"Invalid json input. {v.describe()} (through reference chain: {target}{chain})"


def _constraints(
    profile: VersionProfile, op: Operation, model: str, violations: list[Violation]
) -> dict[str, Any]:
    exception_class = _constraint_class(profile)
    prefix = f"{op.operation_id}.{_lower_first(model) or 'body'}"
    errors = [
        {
            "propertyPath": f"{prefix}.{v.path}" if v.path else prefix,
            "message": v.message,
            "invalidValue": "null" if v.value is None else str(v.value),
        }
        for v in violations
    ]
    return {
        "message": "Some properties contained invalid input.",
        "exceptionClassName": exception_class,
        "exceptionStack": [
            f"{exception_class}: " + ", ".join(f"{e['propertyPath']}: {e['message']}" for e in errors),
            "\tat io.micronaut.validation.ValidatingInterceptor.intercept(ValidatingInterceptor.java:0)",
        ],
        "validationErrors": errors,
    }


def bad_request(message: str) -> ApiError:
    """400 ``bad-request`` problem (the public API's answer to a request it cannot accept)."""
    return ApiError(400, problem(400, "bad-request", "bad-request", message, {"message": message}))


def public_rejection(violations: list[Violation], parse_error: str | None) -> ApiError:
    """The public API's answer to a request that failed validation: a bad-request problem."""
    if parse_error is not None:
        return bad_request(f"The request body is not valid JSON: {parse_error}")
    return bad_request("; ".join(v.describe() for v in violations[:5]))


# ---------------------------------------------------------------------- entry points for the routes
def config_body(profile: VersionProfile, path: str, raw: bytes) -> dict[str, Any]:
    """The checked, coerced body of ``POST /api/v1{path}``, or an :class:`ApiError` in Airbyte's shape.

    Paths the spec does not know (removed endpoints such as ``workspaces/list``) get only the JSON
    checks: a body that is not a JSON object is still a 422.
    """
    s = spec("config")
    op = s.operation("POST", path) or Operation("", {"type": "object"}, ())
    value, violations, parse_error = s.check_body(op, raw)
    if parse_error is not None or violations:
        raise config_rejection(profile, op, s.schema_name(op.body), violations, parse_error)
    return value if isinstance(value, dict) else {}


PUBLIC_BASES = ("/api/public/v1", "/v1")


def public_request(request: Request, raw: bytes | None) -> dict[str, Any] | None:
    """Check a public API request's parameters and JSON body; the coerced body (None without one).

    Form-encoded bodies (the token endpoint) are left to their handler.
    """
    s: Spec = spec("public")
    path = request.url.path
    for base in PUBLIC_BASES:
        if path.startswith(base + "/"):
            path = path[len(base) :]
            break
    op = s.operation(request.method, path)
    if op is None:
        return None
    query: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        query.setdefault(key, []).append(value)
    violations = s.check_query(op, query, dict(request.path_params))
    if violations:
        raise public_rejection(violations, None)
    if raw is None or "form-urlencoded" in request.headers.get("content-type", ""):
        return None
    value, violations, parse_error = s.check_body(op, raw)
    if parse_error is not None or violations:
        raise public_rejection(violations, parse_error)
    return value if isinstance(value, dict) else None
