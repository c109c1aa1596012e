"""The emulator's request schemas are exactly what the vendored OpenAPI files say."""

from __future__ import annotations

from .request_schemas import TARGET, build


def test_request_schemas_match_the_vendored_spec() -> None:
    assert TARGET.read_text() == build(), (
        "dagster_airbyte_ops/emulator/request_schemas.json is stale: python -m tests.emulator.request_schemas"
    )
