"""The two subjects, each built the way its own documentation tells users to.

Both read the same environment (set by the harness for each child process): `BENCH_URL` (the
emulator), `BENCH_WORKSPACE_ID`, `BENCH_CLIENT_ID` / `BENCH_CLIENT_SECRET` (client-credentials auth,
which both support), `BENCH_API` (ours: `config` or `public`), `BENCH_SNAPSHOT_DIR` (ours) and
`BENCH_FLOOR_SPECS` (the floor's spec description, written by an earlier load of ours).
`benchmarks/entry_ours.py` and `benchmarks/entry_theirs.py` expose them as code locations for
`dagster asset materialize -f ...`.
"""

from __future__ import annotations

import os
import textwrap

import dagster as dg

SUBJECTS = ("ours", "theirs")

#: The label of each subject in tables (`floor`: plain Dagster building our specs, see floor_subject).
LABELS = {"ours": "dagster_airbyte_ops", "theirs": "dagster-airbyte", "floor": "Dagster alone (floor)"}


def ours_config_text() -> str:
    """An `airbyte_ops.yaml` selecting every generated connection, credentials from the environment."""
    return textwrap.dedent(
        f"""
        airbyte:
          url: "{os.environ["BENCH_URL"]}"
          api: {os.environ.get("BENCH_API", "config")}
          workspace_id: "{os.environ["BENCH_WORKSPACE_ID"]}"
          auth:
            client_credentials:
              client_id: {{env: BENCH_CLIENT_ID}}
              client_secret: {{env: BENCH_CLIENT_SECRET}}
        connections:
          - match: "*"
        """
    )


def ours_defs() -> dg.Definitions:
    """`build_definitions(config)` as in the README."""
    from dagster_airbyte_ops.config import parse_config
    from dagster_airbyte_ops.definitions import build_definitions

    config = parse_config(ours_config_text(), "airbyte_ops.yaml")
    return build_definitions(config, snapshot_dir=os.environ.get("BENCH_SNAPSHOT_DIR"))


def theirs_defs() -> dg.Definitions:
    """`build_airbyte_assets_definitions(workspace=AirbyteWorkspace(...))` as in dagster-airbyte's docs."""
    from dagster_airbyte import AirbyteWorkspace, build_airbyte_assets_definitions

    url = os.environ["BENCH_URL"]
    workspace = AirbyteWorkspace(
        rest_api_base_url=f"{url}/api/public/v1",
        configuration_api_base_url=f"{url}/api/v1",
        workspace_id=os.environ["BENCH_WORKSPACE_ID"],
        client_id=dg.EnvVar("BENCH_CLIENT_ID"),
        client_secret=dg.EnvVar("BENCH_CLIENT_SECRET"),
    )
    return dg.Definitions(
        assets=build_airbyte_assets_definitions(workspace=workspace),
        resources={"airbyte": workspace},
    )


def build(subject: str) -> dg.Definitions:
    """The definitions of `subject` (`ours` or `theirs`)."""
    if subject == "ours":
        return ours_defs()
    if subject == "theirs":
        return theirs_defs()
    if subject == "floor":
        from .floor_subject import floor_defs

        return floor_defs(os.environ["BENCH_FLOOR_SPECS"])
    raise ValueError(f"unknown subject {subject!r}; expected ours, theirs or floor")


def import_subject(subject: str) -> None:
    """Import what building `subject` needs, so a load's wall time excludes imports (timed apart)."""
    import importlib

    modules = {
        "ours": ("dagster_airbyte_ops.config", "dagster_airbyte_ops.definitions"),
        "theirs": ("dagster_airbyte",),
        "floor": ("benchmarks.floor_subject",),
    }[subject]
    for module in modules:
        importlib.import_module(module)


def theirs_available() -> bool:
    """Whether dagster-airbyte is installed (`make bench` installs it; `make test` does not)."""
    import importlib.util

    return importlib.util.find_spec("dagster_airbyte") is not None
