"""Dagster's floor for benchmark 2: the same run, with the syncs replaced by sleeps.

N connections x 10 streams, keyed as ours (`raw/c00042_table_007`), one subsettable multi-asset per
connection with the same two checks per stream (`airbyte_schema`, `column_schema_change`), run by the
same executor (`airbyte_sync_executor`, steps as threads). Each step sleeps as long as a sync takes,
then records what ours records for each selected stream: one materialization and one evaluation per
check, with the very metadata ours' one-sync run recorded (read back from its instance by
`write_recorded`). No Airbyte, no HTTP, no schema reads: what storing these events costs Dagster alone.
"""

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.instance.ref import InstanceRef
from dagster_shared.serdes import deserialize_value, serialize_value

from dagster_airbyte_ops import airbyte_sync_executor

CHECKS = ("airbyte_schema", "column_schema_change")


def stream_key(connection: int, stream: int) -> dg.AssetKey:
    return dg.AssetKey(["raw", f"c{connection:05d}_table_{stream:03d}"])


def write_recorded(home: Path, out: Path) -> None:
    """What the run in the instance at `home` recorded for its first stream, to `out`.

    The materialization's metadata and each check's evaluation (passed, metadata), serialized with
    Dagster's own serdes so every metadata value comes back as the same type.
    """
    key = stream_key(0, 0)
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        event = instance.get_latest_materialization_event(key)
        if event is None or event.asset_materialization is None:
            raise RuntimeError(f"floor: no materialization of {key.to_user_string()} in {home}")
        checks: dict[str, Any] = {}
        for name in CHECKS:
            history = instance.event_log_storage.get_asset_check_execution_history(
                dg.AssetCheckKey(key, name), limit=1
            )
            if not history or history[0].event is None or history[0].event.dagster_event is None:
                raise RuntimeError(f"floor: no evaluation of check {name} on {key.to_user_string()}")
            evaluation = history[0].event.dagster_event.event_specific_data
            if not isinstance(evaluation, dg.AssetCheckEvaluation):
                raise RuntimeError(f"floor: no {name} evaluation of {key.to_user_string()}")
            checks[name] = {"passed": evaluation.passed, "metadata": dict(evaluation.metadata)}
        recorded = {"materialization": dict(event.asset_materialization.metadata), "checks": checks}
    out.write_text(serialize_value(recorded))


def _multi_asset(
    connection: int, streams: int, sync_s: float, recorded: dict[str, Any]
) -> dg.AssetsDefinition:
    keys = [stream_key(connection, stream) for stream in range(streams)]

    @dg.multi_asset(
        name=f"floor_sync_c{connection:05d}",
        specs=[dg.AssetSpec(key, skippable=True, kinds={"airbyte"}) for key in keys],
        check_specs=[dg.AssetCheckSpec(name, asset=key) for key in keys for name in CHECKS],
        can_subset=True,
    )
    def _sync(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        time.sleep(sync_s)
        selected = [key for key in keys if key in context.selected_asset_keys]
        for key in selected:
            yield dg.MaterializeResult(asset_key=key, metadata=recorded["materialization"])
        for name in CHECKS:
            for key in selected:
                if dg.AssetCheckKey(key, name) in context.selected_asset_check_keys:
                    check = recorded["checks"][name]
                    yield dg.AssetCheckResult(
                        asset_key=key, check_name=name, passed=check["passed"], metadata=check["metadata"]
                    )

    return _sync


def floor_syncs_defs() -> dg.Definitions:
    """From the environment: `BENCH_FLOOR_CONNECTIONS`, `BENCH_FLOOR_STREAMS`, `BENCH_FLOOR_SYNC_S` and
    `BENCH_FLOOR_RECORDED` (the file `write_recorded` wrote)."""
    recorded = deserialize_value(Path(os.environ["BENCH_FLOOR_RECORDED"]).read_text(), dict)
    streams = int(os.environ["BENCH_FLOOR_STREAMS"])
    sync_s = float(os.environ["BENCH_FLOOR_SYNC_S"])
    assets = [
        _multi_asset(connection, streams, sync_s, recorded)
        for connection in range(int(os.environ["BENCH_FLOOR_CONNECTIONS"]))
    ]
    return dg.Definitions(assets=assets, executor=airbyte_sync_executor)
