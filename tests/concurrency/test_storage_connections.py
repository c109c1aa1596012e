"""A run of `airbyte_sync_executor` keeps its storage connections open on PostgreSQL.

dagster-postgres opens a new connection for every event it stores unless told otherwise; a run of
many syncs stores about six events per stream once the syncs end, and opening a PostgreSQL
connection costs ten times the insert (benchmark 2, docs/performance.md). The executor gives the run
worker the webserver's setting: connections stay open and are reused. Seen from the server itself:
after the run, the instance still holds an idle connection to its database (with a new connection per
event none is left), and every stream still got its materialization.
"""

from __future__ import annotations

import dagster as dg
import pytest
from sqlalchemy import create_engine, text

from .test_concurrency import _defs, _run_everything


def _other_connections(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            query = (
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return int(conn.execute(text(query)).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.emulator(seed="generated:3:10", default_job_duration_s=1.0)
@pytest.mark.parametrize("dagster_instance", ["postgres"], indirect=True)
def test_a_run_reuses_its_postgres_connections(emulator, tmp_path, dagster_instance):
    url = dagster_instance.event_log_storage.postgres_url
    assert _other_connections(url) == 0  # nothing holds a connection before the run

    run = _run_everything(_defs(emulator, tmp_path, 'connections: [{match: "*"}]\n'), dagster_instance)

    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert _other_connections(url) >= 1  # the storages' pooled connections, idle, kept for reuse
    materialized = dagster_instance.get_asset_keys()
    assert len([key for key in materialized if key.path[-1].startswith("table_")]) == 30


@pytest.mark.emulator(seed="generated:2:4", default_job_duration_s=0.5)
def test_every_check_result_names_the_materialization_of_its_run(emulator, tmp_path, dagster_instance):
    # The sync step reads the check targets of all its streams at once after recording them
    # (execution/dagster_internals.prefetch_check_targets): each must still be this run's own.
    defs = _defs(emulator, tmp_path, 'connections: [{match: "*"}]\n')
    first = _run_everything(defs, dagster_instance)
    run = _run_everything(defs, dagster_instance)

    assert first.status == run.status == dg.DagsterRunStatus.SUCCESS
    records = dagster_instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=1000
    ).records
    assert len(records) == 2 * 8  # airbyte_schema and column_schema_change for 2 x 4 streams
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        [latest] = dagster_instance.fetch_materializations(evaluation.asset_key, limit=1).records
        target = evaluation.target_materialization_data
        assert latest.run_id == run.run_id
        assert target is not None, evaluation.check_name
        assert (target.run_id, target.storage_id) == (run.run_id, latest.storage_id), evaluation.check_name
