"""Benchmark 2: many syncs in one run — 20 connections whose syncs take 5 s, materialized together.

Each subject's code location is materialized with `dagster asset materialize` (a real run on a real
instance, with whatever executor the definitions declare, as a user's run would), once selecting one
connection (all its streams) and once selecting all of them, on Dagster's default SQLite storage and
on PostgreSQL. The run's wall time is Dagster's own (RUN_START to RUN_SUCCESS); the peak number of
Airbyte jobs running at once is read off the emulator's jobs.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster_airbyte_ops.emulator import EmulatorServer
from tests.postgres_server import INSTALL_HINT, PostgresServer, find_pg_bin

from .harness import Options, Stats, Table, child_env, emulator, ratio, run_cli
from .subjects import LABELS

#: Repetitions at most: the 20-sync run on SQLite takes a minute or more (Dagster stores 1,200 events
#: one at a time, and 600 planned ones before the run starts); `make bench` stays under 15 min.
REPS = 1

#: Streams per connection (the generated seed's `generated:N:10`).
STREAMS = 10


def shape(opts: Options) -> tuple[int, float]:
    """(connections, seconds per sync)."""
    return (2, 1.0) if opts.quick else (20, 5.0)


def _select_one(subject: str, streams: int = STREAMS) -> str:
    """Every stream of the first connection: one sync, recording what each sync of the big run records."""
    prefix = "raw/" if subject == "ours" else ""
    return ",".join(f"{prefix}c00000_table_{index:03d}" for index in range(streams))


def _run_wall(home: Path) -> float:
    """Wall time of the (only) run recorded in the instance at `home`, from Dagster's run stats."""
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        [run] = instance.get_runs()
        stats = instance.get_run_stats(run.run_id)
        if run.status != dg.DagsterRunStatus.SUCCESS:
            raise RuntimeError(f"run {run.run_id} ended {run.status}")
        assert stats.start_time is not None and stats.end_time is not None
        return float(stats.end_time - stats.start_time)


def peak_running_jobs(server: EmulatorServer, since: float) -> int:
    """Most Airbyte jobs running at one instant, among jobs created after `since`."""
    from dagster_airbyte_ops.emulator import jobs as joblib

    edges: list[tuple[float, int]] = []
    with server.state.lock:
        for job in server.state.jobs.values():
            if job.created_at < since:
                continue
            view = joblib.view(server.state, job)
            end = view.ended_at if view.ended_at is not None else server.state.now()
            edges += [(job.created_at, 1), (end, -1)]
    peak = running = 0
    for _, delta in sorted(edges):
        running += delta
        peak = max(peak, running)
    return peak


@contextmanager
def _storages(opts: Options) -> Iterator[dict[str, Callable[[Path], str]]]:
    """Each storage's `dagster.yaml` for a fresh instance: SQLite (Dagster's default) and PostgreSQL.

    PostgreSQL is Debian's server in a temp folder (`postgres_server`), a new database per run; where
    it is not installed its rows say so instead of a figure.
    """
    storages: dict[str, Callable[[Path], str]] = {"SQLite": lambda home: ""}
    bin_dir = find_pg_bin()
    if bin_dir is None:
        opts.log(f"  many syncs: no PostgreSQL rows ({INSTALL_HINT})")
        yield storages
        return
    server = PostgresServer.start(bin_dir)
    try:

        def postgres(home: Path) -> str:
            url = server.new_database().replace("postgresql://", "postgresql+psycopg2://", 1)
            return f"storage:\n  postgres:\n    postgres_url: {json.dumps(url)}\n"

        storages["PostgreSQL"] = postgres
        yield storages
    finally:
        server.stop()


def _materialize(
    server: EmulatorServer,
    subject: str,
    select: str,
    tmp: Path,
    tag: str,
    instance_yaml: str,
    schema_checks: bool = True,
) -> float:
    home = tmp / f"home-{subject}-{tag}"
    home.mkdir()
    (home / "dagster.yaml").write_text(instance_yaml)  # "": Dagster's defaults, SQLite in `home`
    env = child_env(
        server,
        BENCH_API="config",
        DAGSTER_HOME=str(home),
        BENCH_SNAPSHOT_DIR=str(tmp / "snap"),
        BENCH_SCHEMA_CHECKS="true" if schema_checks else "false",
    )
    entry = Path(__file__).with_name(f"entry_{subject}.py")
    run_cli(
        [sys.executable, "-m", "dagster", "asset", "materialize", "-f", str(entry), "--select", select],
        env,
    )
    return _run_wall(home)


def run(opts: Options) -> list[Table]:
    connections, duration = shape(opts)
    table = Table(
        title=f"2. Many syncs in one run: {connections} connections x {duration:g} s syncs",
        target="run wall time ≤ 1.5 x the run time of one sync, on SQLite and on PostgreSQL",
        columns=[
            "subject",
            "storage",
            "one sync: run s",
            f"{connections} syncs: run s",
            "x one sync",
            "peak Airbyte jobs running",
            "ours/theirs",
            "runs",
        ],
    )
    verdicts: list[bool] = []
    with tempfile.TemporaryDirectory(prefix="bench-many-") as name, _storages(opts) as storages:
        tmp = Path(name)
        with emulator(f"generated:{connections}:{STREAMS}", default_job_duration_s=duration) as server:
            for storage, instance_yaml in storages.items():
                walls: dict[str, Stats] = {}
                for subject, checks in VARIANTS:
                    if subject == "theirs" and (not opts.theirs or storage != "SQLite"):
                        continue  # theirs runs once, on Dagster's default storage (minutes)
                    label = LABELS[subject] if checks else f"{LABELS[subject]}, schema_checks: false"
                    reps = min(opts.repetitions, REPS)
                    one: list[float] = []
                    many: list[float] = []
                    peaks: list[int] = []
                    for rep in range(reps):
                        opts.log(f"  many syncs {label} on {storage} {rep + 1}/{reps}")
                        tag = f"{storage}-{rep}-{'checks' if checks else 'nochecks'}"
                        one.append(
                            _materialize(
                                server,
                                subject,
                                _select_one(subject),
                                tmp,
                                f"one-{tag}",
                                instance_yaml(tmp),
                                checks,
                            )
                        )
                        since = server.state.now()
                        many.append(
                            _materialize(server, subject, "*", tmp, f"all-{tag}", instance_yaml(tmp), checks)
                        )
                        peaks.append(peak_running_jobs(server, since))
                    one_s, many_s = Stats.of(one), Stats.of(many)
                    if checks:
                        walls[subject] = many_s
                    factor = many_s.median / one_s.median
                    if subject == "ours" and checks:  # the target is the default's
                        verdicts.append(factor <= 1.5)
                    table.add(
                        label,
                        storage,
                        one_s.show(),
                        many_s.show(),
                        f"{factor:.2f}x",
                        Stats.of(peaks).show(digits=0),
                        "",
                        str(reps),
                    )
                if "ours" in walls and "theirs" in walls:  # theirs runs after ours: fill ours' ratio now
                    for row in table.rows:
                        if row[0] == LABELS["ours"] and row[1] == storage:
                            row[6] = ratio(walls["ours"], walls["theirs"])
        if "PostgreSQL" not in storages:
            table.add(LABELS["ours"], "PostgreSQL", f"not measured: {INSTALL_HINT}", "", "", "", "", "0")
    table.met = all(verdicts) and "PostgreSQL" in storages
    table.notes += NOTES
    return [table]


#: (subject, schema checks): ours with its defaults, ours without the per-stream schema checks (2
#: events per stream instead of 6: what the events cost), then dagster-airbyte.
VARIANTS = [("ours", True), ("ours", False), ("theirs", True)]

NOTES = [
    "Run s: Dagster's run stats (RUN_START → RUN_SUCCESS) of `dagster asset materialize` on a "
    "fresh instance, each subject with the executor its definitions declare (ours: "
    "`airbyte_sync_executor`, steps as threads; dagster-airbyte: Dagster's default multiprocess "
    "executor, as many concurrent steps as CPUs). One sync: every stream of one connection, so each "
    "sync of the big run records what the one sync records.",
    "PostgreSQL: Debian's server in a temp folder (`tests/postgres_server.py`, fsync off as in "
    "the tests), a new database per run, through dagster-postgres; dagster-airbyte runs on SQLite only.",
    "Where the time goes (docs/performance.md): the 20 jobs run at once and end together; the rest "
    "is Dagster storing what the steps record, one event at a time: 6 events per stream (3 "
    "STEP_OUTPUT, the materialization, the `airbyte_schema` and `column_schema_change` evaluations), "
    "1,200 for 200 streams. On SQLite each costs tens of ms (a new connection and commit per write, "
    "two or three writes for asset and check events); on PostgreSQL the run worker keeps its storage "
    "connections open (`airbyte_sync_executor`), 2-3 ms per event instead of 27.",
    "`schema_checks: false` rows: ours with `defaults: {schema_checks: false}` (no per-stream checks: 2 "
    "events per stream, 400 in all); informational, the target is measured with the defaults.",
    "dagster-airbyte polls every 10 s (its default `poll_interval`), so its one-sync run lasts at "
    "least 10 s. Each measurement is run once (`REPS`): the SQLite runs take minutes.",
]
