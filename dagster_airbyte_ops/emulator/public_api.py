"""Public API routes (``/api/public/v1/...``, also mounted at ``/v1`` like Cloud's api.airbyte.com)."""

from __future__ import annotations

from starlette.routing import Route

from dagster_airbyte_ops.emulator.state import EmulatorState


def routes(state: EmulatorState) -> list[Route]:
    """Public API routes, relative to the mount point."""
    return []
