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
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster_airbyte_ops.emulator import EmulatorServer
from tests.postgres_server import INSTALL_HINT, PostgresServer, find_pg_bin

from .floor_syncs import write_recorded
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
    prefix = "" if subject == "theirs" else "raw/"
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
) -> float:
    home = tmp / f"home-{subject}-{tag}"
    home.mkdir()
    (home / "dagster.yaml").write_text(instance_yaml)  # "": Dagster's defaults, SQLite in `home`
    env = child_env(
        server,
        BENCH_API="config",
        DAGSTER_HOME=str(home),
        BENCH_SNAPSHOT_DIR=str(tmp / "snap"),
        BENCH_FLOOR_RECORDED=str(tmp / "recorded.json"),
        BENCH_FLOOR_CONNECTIONS=str(len(server.state.connections)),
        BENCH_FLOOR_STREAMS=str(STREAMS),
        BENCH_FLOOR_SYNC_S=str(server.settings.default_job_duration_s),
    )
    entry = Path(__file__).with_name(f"entry_{subject}.py")
    run_cli(
        [sys.executable, "-m", "dagster", "asset", "materialize", "-f", str(entry), "--select", select],
        env,
    )
    return _run_wall(home)


class _Variant:
    """One subject's pair of runs (one sync, then every connection) on one storage, repeated."""

    def __init__(
        self,
        server: EmulatorServer,
        tmp: Path,
        storage: str,
        instance_yaml: Callable[[Path], str],
        subject: str,
    ) -> None:
        self.server, self.tmp, self.storage, self.instance_yaml = server, tmp, storage, instance_yaml
        self.subject = subject
        self.one: list[float] = []
        self.many: list[float] = []
        self.peaks: list[int] = []

    def measure(self, rep: int) -> None:
        tag = f"{self.storage}-{rep}"
        self.one.append(self._materialize(_select_one(self.subject), f"one-{tag}"))
        if self.subject == "ours":  # the floor records what this run recorded
            write_recorded(self.tmp / f"home-ours-one-{tag}", self.tmp / "recorded.json")
        since = self.server.state.now()
        self.many.append(self._materialize("*", f"all-{tag}"))
        self.peaks.append(peak_running_jobs(self.server, since))

    def _materialize(self, select: str, tag: str) -> float:
        return _materialize(self.server, self.subject, select, self.tmp, tag, self.instance_yaml(self.tmp))


@contextmanager
def _beside(work: Callable[[], None] | None) -> Iterator[None]:
    """Run `work` in a thread while the body runs; wait for it after, re-raising what it raised."""
    if work is None:
        yield
        return
    failure: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as error:  # handed to the caller below
            failure.append(error)

    thread = threading.Thread(target=target, name="beside-theirs", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()
    if failure:
        raise failure[0]


def run(
    opts: Options,
    alongside: Callable[[], None] | None = None,
    then: Callable[[], None] | None = None,
) -> list[Table]:
    """The table. While dagster-airbyte's runs here go on (mostly waiting on its 10 s polls),
    `alongside` runs in a thread, and `then` runs after them, before waiting for `alongside`: the
    other dagster-airbyte measurements that would otherwise take minutes of their own (see `__main__`)."""
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
            "ours/floor",
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
                for subject in SUBJECTS:
                    if subject == "theirs" and (not opts.theirs or storage != "SQLite"):
                        continue  # theirs runs once, on Dagster's default storage (minutes)
                    label = LABELS[subject]
                    run = _Variant(server, tmp, storage, instance_yaml, subject)
                    reps = min(opts.repetitions, REPS)
                    with _beside(alongside if subject == "theirs" else None):
                        for rep in range(reps):
                            opts.log(f"  many syncs {label} on {storage} {rep + 1}/{reps}")
                            run.measure(rep)
                        if subject == "theirs" and then is not None:
                            then()
                    one_s, many_s = Stats.of(run.one), Stats.of(run.many)
                    walls[subject] = many_s
                    factor = many_s.median / one_s.median
                    if subject == "ours":
                        verdicts.append(factor <= 1.5)
                    table.add(
                        label,
                        storage,
                        one_s.show(),
                        many_s.show(),
                        f"{factor:.2f}x",
                        Stats.of(run.peaks).show(digits=0) if subject != "floor" else "—",
                        "",
                        "",
                        str(reps),
                    )
                for row in table.rows:  # the others run after ours: fill ours' ratios now
                    if row[0] == LABELS["ours"] and row[1] == storage and "ours" in walls:
                        for column, other in ((6, "floor"), (7, "theirs")):
                            if other in walls:
                                row[column] = ratio(walls["ours"], walls[other])
        if "PostgreSQL" not in storages:
            table.add(LABELS["ours"], "PostgreSQL", f"not measured: {INSTALL_HINT}", "", "", "", "", "", "0")
    table.met = all(verdicts) and "PostgreSQL" in storages
    table.notes += NOTES
    return [table]


#: Run order: ours (its one-sync run records what the floor then records), Dagster's floor
#: (`floor_syncs`), then dagster-airbyte.
SUBJECTS = ("ours", "floor", "theirs")

NOTES = [
    "Run s: Dagster's run stats (RUN_START → RUN_SUCCESS) of `dagster asset materialize` on a "
    "fresh instance, each subject with the executor its definitions declare (ours: "
    "`airbyte_sync_executor`, steps as threads; dagster-airbyte: Dagster's default multiprocess "
    "executor, as many concurrent steps as CPUs). One sync: every stream of one connection, so each "
    "sync of the big run records what the one sync records.",
    "PostgreSQL: Debian's server in a temp folder (`tests/postgres_server.py`, fsync off as in "
    "the tests), a new database per run, through dagster-postgres; dagster-airbyte runs on SQLite only.",
    "Dagster alone (floor): `benchmarks/floor_syncs.py`, the same assets, checks and executor, each "
    "step sleeping as long as a sync and then recording, for every stream, the very materialization "
    "and check evaluations ours recorded in its one-sync run on that storage: no Airbyte, no HTTP. "
    "Ours/floor compares the 20-sync runs.",
    "Where the time goes (docs/performance.md): the 20 jobs run at once and end together; the rest "
    "is Dagster storing what the steps record, one event at a time: 6 events per stream (3 "
    "STEP_OUTPUT, the materialization, the `airbyte_schema` and `column_schema_change` evaluations), "
    "1,200 for 200 streams, each through the instance's one log-handler lock. The floor rows show "
    "that cost is Dagster's own: the target of 1.5x one sync is below what Dagster alone takes to "
    "store these events, on either storage.",
    "dagster-airbyte polls every 10 s (its default `poll_interval`), so its one-sync run lasts at "
    "least 10 s. Each measurement is run once (`REPS`): the SQLite runs take minutes.",
]
