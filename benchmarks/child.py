"""One measurement per process: `python -m benchmarks.child TASK '{json args}'` prints one JSON line.

Running each measurement in a fresh interpreter keeps them independent (no warm import or
`cached_method` caches) and makes the process's own peak RSS (`ru_maxrss`, `VmHWM`) the measurement's.
The environment comes from `harness.child_env` (emulator URL, workspace, credentials).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

TASKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def task(fn: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    TASKS[fn.__name__] = fn
    return fn


def _proc_status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _peak_rss_kb() -> int:
    """This process's resident high-water mark.

    `VmHWM`, not `ru_maxrss`: Linux carries the parent's high-water mark into `ru_maxrss` across
    fork + exec, so a child of a big harness would report the harness's size.
    """
    return _proc_status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@task
def load(args: dict[str, Any]) -> dict[str, Any]:
    """Load a code location as a code server does: definitions, repository, and (optionally) its snapshot.

    Writes the reconstruction metadata to `args["metadata_out"]` for a later `reload`.
    """
    t_import = time.perf_counter()
    import dagster as dg
    from dagster._core.definitions.definitions_load_context import (
        DefinitionsLoadContext,
        DefinitionsLoadType,
    )

    from benchmarks.subjects import build, import_subject

    import_subject(args["subject"])
    import_s = time.perf_counter() - t_import
    profiler = _profiler(args)
    context = DefinitionsLoadContext(DefinitionsLoadType.INITIALIZATION)
    started_at = time.time()
    t0 = time.perf_counter()
    with DefinitionsLoadContext.scoped(context):
        defs: dg.Definitions = build(args["subject"])
        build_s = time.perf_counter() - t0
        rss_defs_kb = _proc_status_kb("VmRSS")
        repo = defs.get_repository_def()
        assets = len(repo.asset_graph.get_all_asset_keys())
    wall_s = time.perf_counter() - t0
    result: dict[str, Any] = {
        "started_at": started_at,
        "import_s": import_s,
        "wall_s": wall_s,
        "build_s": build_s,
        "assets": assets,
        "jobs": len(repo.get_all_jobs()) if args.get("count_jobs") else None,
        "rss_defs_kb": rss_defs_kb,
        "rss_peak_load_kb": _peak_rss_kb(),
    }
    if args.get("specs_out"):
        from benchmarks.floor_subject import describe

        result["described"] = describe(repo, args["specs_out"])
    if args.get("metadata_out"):
        pending = dict(context.get_pending_reconstruction_metadata())
        Path(args["metadata_out"]).write_text(json.dumps(pending))
        result["metadata_bytes"] = Path(args["metadata_out"]).stat().st_size
    if args.get("code_server"):
        from dagster._core.remote_representation.external_data import RepositorySnap
        from dagster._serdes import serialize_value

        t1 = time.perf_counter()
        payload = serialize_value(RepositorySnap.from_def(repo))
        result["snapshot_s"] = time.perf_counter() - t1
        result["snapshot_bytes"] = len(payload)
        result["rss_serving_kb"] = _proc_status_kb("VmRSS")
        result["rss_peak_kb"] = _peak_rss_kb()
    if profiler is not None:
        profiler.stop()
        Path(args["profile_out"]).write_text(profiler.output_text(unicode=True, show_all=False))
    return result


def _profiler(args: dict[str, Any]) -> Any:
    """A running pyinstrument profiler when `args["profile_out"]` names its text report, else None."""
    if not args.get("profile_out"):
        return None
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.005)
    profiler.start()
    return profiler


@task
def reload(args: dict[str, Any]) -> dict[str, Any]:
    """Rebuild the definitions as a run worker does: RECONSTRUCTION with the carried metadata."""
    import dagster as dg
    from dagster._core.definitions.definitions_load_context import (
        DefinitionsLoadContext,
        DefinitionsLoadType,
    )
    from dagster._core.definitions.repository_definition.repository_definition import RepositoryLoadData

    from benchmarks.subjects import build

    carried = json.loads(Path(args["metadata_in"]).read_text())
    context = DefinitionsLoadContext(
        DefinitionsLoadType.RECONSTRUCTION, RepositoryLoadData(reconstruction_metadata=carried)
    )
    started_at = time.time()
    t0 = time.perf_counter()
    with DefinitionsLoadContext.scoped(context):
        defs: dg.Definitions = build(args["subject"])
        assets = len(defs.get_repository_def().asset_graph.get_all_asset_keys())
    return {
        "started_at": started_at,
        "ended_at": time.time(),
        "wall_s": time.perf_counter() - t0,
        "assets": assets,
        "rss_peak_kb": _peak_rss_kb(),
    }


@task
def sync(args: dict[str, Any]) -> dict[str, Any]:
    """Materialize every asset of the location in-process; report when the (single) step finished."""
    import dagster as dg
    from dagster._core.events import DagsterEventType

    from benchmarks.subjects import build

    defs = build(args["subject"])
    job = defs.resolve_implicit_global_asset_job_def()
    instance = dg.DagsterInstance.ephemeral()
    started_at = time.time()
    result = job.execute_in_process(instance=instance, raise_on_error=False)
    ended_at = time.time()
    step_ends = [
        record.timestamp
        for record in instance.all_logs(result.run_id)
        if record.dagster_event is not None
        and record.dagster_event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE)
    ]
    return {
        "success": result.success,
        "started_at": started_at,
        "ended_at": ended_at,
        "step_ends": step_ends,
    }


@task
def observe(args: dict[str, Any]) -> dict[str, Any]:
    """Tick the observation sensor: a first tick, a tick with nothing new, one after external syncs."""
    import importlib.util

    if importlib.util.find_spec("dagster_airbyte_ops.sensors.observer") is None:
        return {"built": False, "reason": "dagster_airbyte_ops.sensors.observer does not exist"}
    import dagster as dg

    from benchmarks.subjects import build
    from dagster_airbyte_ops.emulator import EmulatorAdmin

    defs = build(args["subject"])
    repo = defs.get_repository_def()
    sensors = sorted((s for s in repo.sensor_defs if "observ" in s.name), key=lambda s: len(s.name))
    if not sensors:
        return {"built": False, "reason": "no sensor named *observ* in the definitions"}
    sensor = sensors[0]
    instance = dg.DagsterInstance.ephemeral()
    admin = EmulatorAdmin(args["url"])
    ticks: list[dict[str, Any]] = []
    cursor: str | None = None

    def tick(label: str) -> None:
        nonlocal cursor
        # As the daemon does: the repository's resources, the previous tick's cursor.
        started_at = time.time()
        t0 = time.perf_counter()
        with dg.build_sensor_context(
            instance=instance,
            cursor=cursor,
            repository_def=repo,
            resources=dict(repo.get_top_level_resources()),
        ) as context:
            data = sensor.evaluate_tick(context)
        wall_s = time.perf_counter() - t0
        ended_at = time.time()
        cursor = data.cursor if data.cursor is not None else cursor
        events = len(data.asset_events or []) + len(data.run_requests or [])
        ticks.append(
            {
                "label": label,
                "started_at": started_at,
                "ended_at": ended_at,
                "wall_s": wall_s,
                "events": events,
            }
        )

    tick("first")
    for _ in range(int(args.get("idle_ticks", 3))):
        tick("nothing new")
    ids = args["external_ids"]
    for connection_id in ids:
        admin.start_job(connection_id)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        running = [j for j in admin.jobs() if j["status"] not in ("succeeded", "failed", "cancelled")]
        if not running:
            break
        time.sleep(0.2)
    tick(f"{len(ids)} new external syncs")
    return {"built": True, "sensor": sensor.name, "ticks": ticks}


def main(argv: list[str]) -> int:
    warnings.filterwarnings("ignore")
    name, raw = argv[1], argv[2] if len(argv) > 2 else "{}"
    if name not in TASKS:
        print(f"unknown task {name!r}; expected one of {sorted(TASKS)}", file=sys.stderr)
        return 2
    result = TASKS[name](json.loads(raw))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    # The result is printed: skip the interpreter's teardown, which frees a heap of up to 2 GB object
    # by object (tens of seconds at 10,000 connections) and measures nothing.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
