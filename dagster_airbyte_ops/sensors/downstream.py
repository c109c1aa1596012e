"""`downstream:` of `airbyte_ops.yaml`: materialize the user's assets when connections have landed."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from ..assets.built_connection import BuiltConnection
from ..config import DownstreamSpec
from .upstream import build_after_sensor, connection_upstream, describe_upstreams


def downstream_sensor(
    source: str,
    index: int,
    spec: DownstreamSpec,
    by_name: Mapping[str, BuiltConnection],
    problems: list[str],
) -> dg.SensorDefinition | None:
    """The sensor of `downstream[index]`, or None when one of its `when:` connections cannot land."""
    where = f"downstream[{index}]"
    upstreams = [connection_upstream(name, f"{where}.when", by_name, problems) for name in spec.when]
    present = [u for u in upstreams if u is not None]
    if len(present) != len(upstreams):
        return None
    field_name = "assets" if spec.assets is not None else "groups" if spec.groups is not None else "select"
    return build_after_sensor(
        name=spec.name,
        upstreams=present,
        asset_selection=spec.asset_selection(),
        mode="all",
        description=describe_upstreams(f"{where} ({_target_text(spec)})", present, "all"),
        target_where=f"{source}: {where}.{field_name}",
    )


def _target_text(spec: DownstreamSpec) -> str:
    if spec.assets is not None:
        return "assets " + ", ".join(spec.assets)
    if spec.groups is not None:
        return "groups " + ", ".join(spec.groups)
    return f'selection "{spec.select}"'
