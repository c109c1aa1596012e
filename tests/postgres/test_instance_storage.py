"""The instance fixture really runs on both storages: runs and materializations land in PostgreSQL."""

from __future__ import annotations

import dagster as dg


def test_materialization_is_stored_in_the_instance_storage(dagster_instance):
    @dg.asset
    def probe() -> int:
        return 1

    result = dg.materialize([probe], instance=dagster_instance)

    assert result.success
    storage = type(dagster_instance.run_storage).__name__
    assert storage in {"SqliteRunStorage", "PostgresRunStorage"}
    record = dagster_instance.get_latest_materialization_event(dg.AssetKey("probe"))
    assert record is not None and record.run_id == result.run_id


def test_postgres_variant_uses_postgres(dagster_instance, request):
    kind = request.node.callspec.params["dagster_instance"]
    expected = "PostgresRunStorage" if kind == "postgres" else "SqliteRunStorage"
    assert type(dagster_instance.run_storage).__name__ == expected
