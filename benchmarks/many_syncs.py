"""Benchmark 2: many syncs in one run — 20 connections whose syncs take 5 s, materialized together.

Each subject's code location is materialized with `dagster asset materialize` (a real run on a real
instance, with whatever executor the definitions declare, as a user's run would), once selecting one
connection and once selecting all of them. The run's wall time is Dagster's own (RUN_START to
RUN_SUCCESS); the peak number of Airbyte jobs running at once is read off the emulator's jobs.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from dagster_airbyte_ops.emulator import EmulatorServer

from .harness import Options, Stats, Table, child_env, emulator, ratio, run_cli
from .subjects import LABELS, SUBJECTS


def shape(opts: Options) -> tuple[int, float]:
    """(connections, seconds per sync)."""
    return (2, 1.0) if opts.quick else (20, 5.0)


def _select_one(subject: str) -> str:
    # One stream of the first connection: the connection's multi-asset runs as one step.
    return "raw/c00000_table_000" if subject == "ours" else "c00000_table_000"


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


def _materialize(server: EmulatorServer, subject: str, select: str, tmp: Path, tag: str) -> float:
    home = tmp / f"home-{subject}-{tag}"
    home.mkdir()
    (home / "dagster.yaml").write_text("")  # Dagster's defaults: SQLite storage in `home`
    env = child_env(server, BENCH_API="config", DAGSTER_HOME=str(home), BENCH_SNAPSHOT_DIR=str(tmp / "snap"))
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
        target="run wall time ≤ 1.5 x the run time of one sync",
        columns=[
            "subject",
            "one sync: run s",
            f"{connections} syncs: run s",
            "x one sync",
            "peak Airbyte jobs running",
            "ours/theirs",
            "runs",
        ],
    )
    walls: dict[str, Stats] = {}
    met: bool | None = None
    with tempfile.TemporaryDirectory(prefix="bench-many-") as name:
        tmp = Path(name)
        with emulator(f"generated:{connections}:10", default_job_duration_s=duration) as server:
            for subject in SUBJECTS:
                if subject == "theirs" and not opts.theirs:
                    continue
                reps = 1 if subject == "theirs" else opts.repetitions  # theirs takes minutes
                one: list[float] = []
                many: list[float] = []
                peaks: list[int] = []
                for rep in range(reps):
                    opts.log(f"  many syncs {LABELS[subject]} {rep + 1}/{reps}")
                    one.append(_materialize(server, subject, _select_one(subject), tmp, f"one{rep}"))
                    since = server.state.now()
                    many.append(_materialize(server, subject, "*", tmp, f"all{rep}"))
                    peaks.append(peak_running_jobs(server, since))
                one_s, many_s = Stats.of(one), Stats.of(many)
                walls[subject] = many_s
                factor = many_s.median / one_s.median
                if subject == "ours":
                    met = factor <= 1.5
                table.add(
                    LABELS[subject],
                    one_s.show(),
                    many_s.show(),
                    f"{factor:.2f}x",
                    Stats.of(peaks).show(digits=0),
                    ratio(many_s, walls["theirs"]) if subject == "ours" and "theirs" in walls else "",
                    str(reps),
                )
    if "ours" in walls and "theirs" in walls:
        # the ratio column is filled for ours only once theirs is known: recompute the row
        for row in table.rows:
            if row[0] == LABELS["ours"]:
                row[5] = ratio(walls["ours"], walls["theirs"])
    table.met = met
    table.notes += [
        "Run s: Dagster's run stats (RUN_START → RUN_SUCCESS) of `dagster asset materialize` on a "
        "fresh instance, each subject with the executor its definitions declare (ours: "
        "`airbyte_sync_executor`, steps as threads; dagster-airbyte: Dagster's default multiprocess "
        "executor, as many concurrent steps as CPUs).",
        "dagster-airbyte polls every 10 s (its default `poll_interval`), so its one-sync run lasts at "
        "least 10 s; it is run once (minutes).",
    ]
    return [table]
