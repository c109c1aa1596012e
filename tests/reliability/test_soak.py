"""Soak: 300 syncs across 30 connections through Dagster, with a seeded 10 % rate of random faults.

Ten rounds, alternating the Config API and the public API; in each, every connection is materialized
once, by three workers that each run one Dagster run of their ten connections on their own instance (a
Dagster instance is not shared across threads; each run is checked, then deleted from it).
Before a round, each sync draws (seeded) its job outcome and, one time in ten, a transport fault. After
the soak: every sync ended in the state its draw implies, every success has its materializations carrying
the right Airbyte job, no connection has a job more than its syncs, and threads, open sockets and memory
are back where they started. The figures are printed (run with ``-s``) and quoted in docs/reliability.md.

In round `KILL_ROUND` a real run process (`dagster asset materialize` of its own connection,
`soak_crash.py`) is also killed with SIGKILL mid-sync while the round's runs go on; its job must be
recorded exactly once, by the observer, with its own job id. In round `RESTART_ROUND` the emulator
is restarted (on the same port and `data_dir`, where its state persists) once a sync of the round is
running; the round's syncs must still end as drawn, with no job lost, doubled or misattributed.

Faults whose effect depends on which sync meets them are left to the matrix: a lost or slow trigger
handled after the retry's job already ended would legitimately start a second job, so the soak injects
only faults that leave Airbyte's state untouched (fabricated 5xx/429, dropped connections, slow or lost
poll answers, expired tokens). Its emulator is not spec-checked (thousands of responses; the rest of
the suite checks every response shape).
"""

from __future__ import annotations

import contextlib
import gc
import os
import random
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from dagster_airbyte_ops.client._auth import SHARED_TOKENS
from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.definitions import build_definitions
from dagster_airbyte_ops.emulator import EmulatorServer, EmulatorSettings

from .conftest import poll_path, token_path, trigger_path, wait_until
from .soak_crash import KilledRun

APIS = ("config", "public")  # rounds alternate between the two flavours
SEED = 20261125
CONNECTIONS = 30
ROUNDS = 10
WORKERS = 3
FAULT_RATE = 0.10
FAILED_RATE = 0.04
INCOMPLETE_RATE = 0.04
JOB_DURATION_S = 0.1
KILL_ROUND = 3
KILLED_JOB_DURATION_S = 4.0
RESTART_ROUND = 6
#: On: in round `RESTART_ROUND`, once a sync of the round is running, the emulator is stopped and
#: started again on the same port and `data_dir` (its state persists there; see docs/reliability.md).
RESTART_MID_ROUND = True
CLIENT_ID = "soak-client"
CLIENT_SECRET = "soak-secret-0c1f"

CONFIG = """
airbyte:
  url: "{url}"
  api: {api}
  auth: {{client_credentials: {{client_id: {client_id}, client_secret: {{env: SOAK_CLIENT_SECRET}}}}}}
  retry_backoff_s: 0.01
  poll_interval_s: 0.25
  request_timeout_s: 2.0  # a trigger answered later than this is retried: keep it clear of load
  max_retries: 12  # full-jitter backoff from 0.01 s: room for the emulator's restart (about 1 s)
observer: {{enabled: false}}
connections:
  - match: "soak-*"
"""


def _faults(api: str) -> dict[str, dict[str, Any]]:
    """The soak's fault menu: each leaves Airbyte's state as it was (see the module docstring)."""
    trigger, poll = trigger_path(api), poll_path(api)
    return {
        "trigger-503": {"kind": "status", "path": trigger, "method": "POST", "status": 503, "count": 2},
        "trigger-429": {
            "kind": "status",
            "path": trigger,
            "method": "POST",
            "status": 429,
            "retry_after": 0.1,
        },
        "trigger-drop": {"kind": "drop", "path": trigger, "method": "POST"},
        "poll-502": {"kind": "status", "path": poll, "status": 502, "count": 2},
        "poll-429": {"kind": "status", "path": poll, "status": 429},
        "poll-drop": {"kind": "drop", "path": poll},
        "poll-slow": {"kind": "delay", "path": poll, "delay_s": 2.3},
        "poll-lost": {"kind": "lost_response", "path": poll},
        "token-503": {"kind": "status", "path": token_path(), "status": 503},
        "tokens-expire": {"kind": "expire_tokens"},
    }


@dataclass(frozen=True)
class Draw:
    round: int
    api: str
    connection: str
    outcome: str  # succeeded | failed | incomplete_then_succeeded
    fault: str | None


def _open_sockets() -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the fd of listdir itself is gone by now
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
    return count


def _round_events(instance: dg.DagsterInstance, run_id: str) -> dict[str, dict[str, Any]]:
    """Per step of one run: the materializations (asset key → Airbyte job id) and the failure message."""
    steps: dict[str, dict[str, Any]] = {}
    for record in instance.get_records_for_run(run_id).records:
        event = record.event_log_entry.dagster_event
        if event is None or event.step_key is None:
            continue
        seen = steps.setdefault(event.step_key, {"materialized": {}, "failure": None})
        if event.event_type_value == "ASSET_MATERIALIZATION":
            metadata = event.step_materialization_data.materialization.metadata
            seen["materialized"][event.asset_key] = metadata["airbyte/job_id"].value
        elif event.event_type_value == "STEP_FAILURE":
            seen["failure"] = event.step_failure_data.error.message
    return steps


def _rss_mb() -> float:
    text = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) / 1024  # type: ignore[union-attr]


def _failure(draw: Draw, job_id: int) -> str:
    """What the Dagster error must say about a sync drawn to fail."""
    if draw.api == "public":  # no failure summary on the public API: the job and its outcome
        return f"Airbyte job {job_id} of connection"
    return f"soak failure r{draw.round} {draw.connection}"


def _group(name: str) -> str:
    return name.replace("-", "_")


def _op(name: str) -> str:
    return "airbyte_sync_" + _group(name)


def _restart_emulator(server: EmulatorServer) -> EmulatorServer:
    """Stop the emulator and start it again on the same port and data_dir (its state must survive:
    start the soak's emulator with `data_dir` when turning this on)."""
    settings, port = server.settings, server.port
    server.stop()
    return EmulatorServer(settings, port=port)


def _resources() -> dict[str, Any]:
    return {"threads": threading.active_count(), "sockets": _open_sockets(), "rss_mb": round(_rss_mb(), 1)}


@pytest.mark.timeout(420)
def test_soak(tmp_path, monkeypatch):
    monkeypatch.setenv("SOAK_CLIENT_SECRET", CLIENT_SECRET)
    settings = EmulatorSettings(
        seed="empty",
        auth="client_credentials",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        default_job_duration_s=JOB_DURATION_S,
        data_dir=str(tmp_path / "emulator"),
    )
    rng = random.Random(SEED)
    draws: list[Draw] = []
    wrong: list[str] = []
    figures: list[dict[str, Any]] = []
    with EmulatorServer(settings, port=0) as first_server:
        server = first_server
        admin = server.admin
        names = [f"soak-{i:02d}" for i in range(CONNECTIONS)]
        ids = {
            name: admin.create_connection(
                name, streams=2, namespace=f"soak_{i:02d}", namespace_definition="source"
            )["connectionId"]
            for i, name in enumerate(names)
        }
        jobs = {}
        for api in APIS:  # the same assets, syncing through either API
            text = CONFIG.format(url=server.url, api=api, client_id=CLIENT_ID)
            defs = build_definitions(parse_config(text, "airbyte_ops.yaml"), snapshot_dir=str(tmp_path / api))
            jobs[api] = defs.resolve_implicit_global_asset_job_def()
        graph = defs.resolve_asset_graph()
        keys_of: dict[str, list[dg.AssetKey]] = defaultdict(list)
        for key in graph.get_all_asset_keys():
            keys_of[graph.get(key).group_name or ""].append(key)
        assert sorted(keys_of) == [_group(n) for n in names]
        shares = [names[w::WORKERS] for w in range(WORKERS)]
        instances = [dg.DagsterInstance.ephemeral() for _ in range(WORKERS)]

        running_at_restart: list[int] = []
        gc.collect()
        start = _resources()
        began = time.monotonic()
        for round_ in range(ROUNDS):
            SHARED_TOKENS.clear()  # each round's runs start as fresh run workers: no token yet
            api = APIS[round_ % len(APIS)]
            menu = _faults(api)
            admin.clear_requests()  # the emulator's request log lives in this process too
            planned: list[Draw] = []
            for name in names:
                roll = rng.random()
                outcome = (
                    "failed"
                    if roll < FAILED_RATE
                    else "incomplete_then_succeeded"
                    if roll < FAILED_RATE + INCOMPLETE_RATE
                    else "succeeded"
                )
                fault = rng.choice(sorted(menu)) if rng.random() < FAULT_RATE else None
                planned.append(Draw(round_, api, name, outcome, fault))
                admin.set_behaviour(
                    ids[name],
                    outcome=outcome,
                    attempts=2 if outcome == "incomplete_then_succeeded" else 1,
                    failure_message=f"soak failure r{round_} {name}",
                )
                if fault is not None:
                    spec = dict(menu[fault])
                    if spec["kind"] == "expire_tokens":
                        admin.expire_tokens()
                    else:
                        admin.add_fault(spec.pop("kind"), **spec)
            draws.extend(planned)
            steps: dict[str, dict[str, Any]] = {}

            def work(worker: int, job: Any = jobs[api], steps: dict[str, Any] = steps) -> None:
                selection = [key for name in shares[worker] for key in keys_of[_group(name)]]
                instance = instances[worker]
                result = job.execute_in_process(
                    instance=instance, asset_selection=selection, raise_on_error=False
                )
                steps.update(_round_events(instance, result.run_id))
                instance.delete_run(result.run_id)  # checked: keep the instance's storage from growing

            if round_ == KILL_ROUND:  # a run process of its own, up and syncing before the round starts
                crash = KilledRun(server, tmp_path / "crash", CLIENT_ID)
                crash.start(KILLED_JOB_DURATION_S)
                crash.wait_claimed()
            threads = [threading.Thread(target=work, args=(w,)) for w in range(WORKERS)]
            for thread in threads:
                thread.start()
            if round_ == KILL_ROUND:
                crash.kill()  # mid-round: the round's runs go on beside it
            if round_ == RESTART_ROUND and RESTART_MID_ROUND:  # while the round's syncs run
                running_at_restart = wait_until(
                    lambda up=admin: [j["jobId"] for j in up.jobs() if j["status"] == "running"],
                    timeout_s=60,
                    what="a running sync of the round to restart the emulator under",
                )
                server = _restart_emulator(server)
                admin = server.admin
            for thread in threads:
                thread.join(timeout=120)
            assert not any(thread.is_alive() for thread in threads), "a worker did not finish its run"

            # -- every sync of the round ended as drawn, with its materializations ---------------------
            jobs_by_connection: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for airbyte_job in sorted(admin.jobs(), key=lambda j: j["jobId"]):
                jobs_by_connection[airbyte_job["connectionId"]].append(airbyte_job)
            for draw in planned:
                airbyte_jobs = jobs_by_connection[ids[draw.connection]]
                if len(airbyte_jobs) != round_ + 1:
                    wrong.append(f"{draw}: {len(airbyte_jobs)} Airbyte jobs after {round_ + 1} syncs")
                    continue
                airbyte_job = airbyte_jobs[-1]
                seen = steps.get(_op(draw.connection), {"materialized": {}, "failure": None})
                expected_status = "failed" if draw.outcome == "failed" else "succeeded"
                if airbyte_job["status"] != expected_status:
                    wrong.append(f"{draw}: Airbyte job ended {airbyte_job['status']}")
                if expected_status == "succeeded":
                    expected = {
                        key: airbyte_job["jobId"] for key in keys_of[draw.connection.replace("-", "_")]
                    }
                    if seen["materialized"] != expected or seen["failure"]:
                        wrong.append(
                            f"{draw}: materialized {seen['materialized']}, failure {seen['failure']}"
                        )
                elif seen["materialized"] or _failure(draw, airbyte_job["jobId"]) not in str(seen["failure"]):
                    wrong.append(f"{draw}: expected a failure with Airbyte's message, got {seen}")
            if round_ == KILL_ROUND:
                wrong.extend(crash.settle())  # recorded once, by the observer, with its own job id
                crashed_job = crash.job_id
            figures.append(
                {"round": round_ + 1, "elapsed_s": round(time.monotonic() - began, 1), **_resources()}
            )
        soak_s = time.monotonic() - began
        leftover_faults = admin.faults()
        total_jobs = len([j for j in admin.jobs() if j["connectionId"] in set(ids.values())])
        killed_jobs = [j for j in admin.jobs() if j["connectionId"] not in set(ids.values())]

        if server is not first_server:  # restarted: the one started mid-soak stops here
            server.stop()

        # -- resources back where they started (the emulator still up, as at the start) -------------
        instances.clear()
        gc.collect()
        end = wait_until(
            lambda: (
                (threading.active_count() <= start["threads"] and _open_sockets() <= start["sockets"])
                and _resources()
            ),
            timeout_s=30,
            what="threads and sockets back to their start count",
        )

    faults = sum(1 for d in draws if d.fault)
    print(
        f"\nsoak (both APIs): {len(draws)} syncs, {CONNECTIONS} connections, {ROUNDS} rounds, "
        f"{faults} faults ({', '.join(sorted({d.fault for d in draws if d.fault}))}), "
        f"{sum(d.outcome == 'failed' for d in draws)} failed and "
        f"{sum(d.outcome == 'incomplete_then_succeeded' for d in draws)} incomplete-then-succeeded "
        f"by draw, in {soak_s:.1f} s; {total_jobs} Airbyte jobs"
    )
    print(
        f"killed: a run process SIGKILLed mid-sync in round {KILL_ROUND + 1}; its job {crashed_job} "
        "recorded once, by the observer"
    )
    print(
        f"restarted: the emulator stopped and started again on its data dir in round {RESTART_ROUND + 1}, "
        f"jobs {running_at_restart} running"
    )
    print(f"start: {start}")
    print(f"end:   {end}")
    for figure in figures:
        print(f"  {figure}")
    assert not wrong, "\n".join(wrong[:20])
    assert total_jobs == CONNECTIONS * ROUNDS
    assert [j["jobId"] for j in killed_jobs] == [crashed_job]  # the killed run's one job, recorded once
    assert leftover_faults == [], "faults were queued but never met"
    assert faults >= 15  # the seed really injects about 10 %
    # Memory is flat: once the first rounds have warmed Dagster's caches, RSS stops growing.
    rss = [f["rss_mb"] for f in figures]
    assert max(rss[3:]) - rss[2] < 25, rss
