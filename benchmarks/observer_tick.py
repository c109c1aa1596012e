"""Benchmark 4: the observation sensor's tick with 1,000 connections.

Three kinds of tick of the observer sensor (`dagster_airbyte_ops.sensors.observer`):
the first one (no cursor yet), ticks when nothing is new, and a tick after 10 syncs were started by
Airbyte's own scheduler (the emulator's admin endpoint, outside the API and the request log). Calls are
the Airbyte requests logged during each tick. dagster-airbyte has no sensor that observes syncs run
outside Dagster, so there is no "theirs" here.

The sensor is looked up by name (`*observ*`) in the definitions; until the module exists the table says
"not built".
"""

from __future__ import annotations

from .harness import Options, Stats, Table, child_env, emulator, requests_between, run_child
from .subjects import LABELS


def size(opts: Options) -> int:
    return 10 if opts.quick else 1000


def run(opts: Options) -> list[Table]:
    n = size(opts)
    external = min(10, n)
    table = Table(
        title=f"4. Observation sensor tick: {n:,} connections",
        target="≤ 2 HTTP calls per tick when nothing is new",
        columns=["tick", "subject", "HTTP calls", "wall s, median (min-max)", "events", "ticks"],
    )
    with emulator(f"generated:{n}:10", default_job_duration_s=0.5) as server:
        ids = list(server.state.connections)[:external]
        opts.log(f"  observer tick N={n}")
        result = run_child(
            "observe",
            {
                "subject": "ours",
                "url": server.url,
                "external_ids": ids,
                "idle_ticks": max(1, opts.repetitions),
            },
            child_env(server, BENCH_API="config"),
        )
        if not result.get("built"):
            table.met = None
            table.add("—", LABELS["ours"], "not built", "", "", "")
            table.notes.append(f"Not built yet: {result.get('reason')}.")
            table.notes.append("dagster-airbyte has no equivalent sensor.")
            return [table]
        by_label: dict[str, list[dict[str, float]]] = {}
        for tick in result["ticks"]:
            calls = len(requests_between(server, tick["started_at"], tick["ended_at"]))
            by_label.setdefault(tick["label"], []).append({**tick, "calls": calls})
    met = True
    for label, ticks in by_label.items():
        call_stats = Stats.of(t["calls"] for t in ticks)
        if label == "nothing new":
            met = call_stats.high <= 2
        table.add(
            label,
            LABELS["ours"],
            call_stats.show(digits=0),
            Stats.of(t["wall_s"] for t in ticks).show(digits=3),
            Stats.of(t["events"] for t in ticks).show(digits=0),
            str(len(ticks)),
        )
    table.met = met
    table.notes += [
        f"Sensor `{result['sensor']}`, evaluated in a fresh process with `build_sensor_context`; the "
        "cursor of each tick is passed to the next.",
        "Events: asset observations/materializations plus run requests the tick returned.",
        "dagster-airbyte has no equivalent sensor.",
    ]
    return [table]
