"""Airbyte as code: declarations in airbyte_ops.yaml → plan (a diff) → apply, with ownership and secret
fingerprints in a state file. Entry points: `make_plan`, `apply_plan`, `render_plan`; the CLI's
`airbyte-ops plan` / `apply` and the drift checks (checks/drift.py) use them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..client import AirbyteClient
from ..config import AirbyteOpsConfig
from .apply import ApplyError, ApplyReport, apply_plan, refusals
from .desired import resolve
from .live import LiveAirbyte
from .plan import FieldChange, Plan, ResourceChange, build_plan
from .render import render_plan, summary
from .state import STATE_ENV_VAR, STATE_KEY_ENV_VAR, ManageState, state_path


def make_plan(
    config: AirbyteOpsConfig,
    client: AirbyteClient,
    *,
    state_file: Path,
    environ: Mapping[str, str],
    prune: bool = False,
    workspace_id: str | None = None,
) -> Plan:
    """Read Airbyte and the state file, resolve the declarations and diff them (no writes)."""
    state = ManageState.load(state_file, environ)
    live = LiveAirbyte.read(client, workspace_id)
    desired = resolve(config, live, environ)
    return build_plan(desired, live, state, prune=prune)


__all__ = [
    "STATE_ENV_VAR",
    "STATE_KEY_ENV_VAR",
    "ApplyError",
    "ApplyReport",
    "FieldChange",
    "ManageState",
    "Plan",
    "ResourceChange",
    "apply_plan",
    "make_plan",
    "refusals",
    "render_plan",
    "state_path",
    "summary",
]
