"""Measure how many Airbyte syncs one Dagster run keeps going at once, per executor setting.

Not a test (pytest does not collect it): a script that prints one markdown row per variant, the
figures in docs/concurrency.md. It starts an emulator with N connections whose jobs take S seconds,
runs `dagster asset materialize --select '*'` (a real run in a real instance, step processes and
all) with the variant's run config, and polls the emulator's job list while the run executes.

    .venv/bin/python tests/concurrency/measure_executors.py --connections 20 --duration 5 \
        default wide wide_forkserver threads
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from dagster_airbyte_ops.emulator import EmulatorServer, EmulatorSettings

REPO = Path(__file__).resolve().parents[2]

DEFS_FILE = """
import os

import dagster as dg
from dagster_airbyte_ops import AirbyteTranslator, build_definitions, load_config
from dagster_airbyte_ops.assets.translator import slugify


class PerConnection(AirbyteTranslator):  # generated connections all write raw/table_NNN
    def get_asset_spec(self, props):
        spec = super().get_asset_spec(props)
        return spec.replace_attributes(key=spec.key.with_prefix(slugify(props.connection.name)))


executor = dg.multiprocess_executor if os.environ.get("MEASURE_EXECUTOR") == "multiprocess" else None
defs = build_definitions(load_config(), translator=PerConnection(), executor=executor)
"""

CONFIG_FILE = """
airbyte:
  url: "{url}"
  api: config
  poll_interval_s: 1
connections:
  - match: "*"
"""


def variants(n: int) -> dict[str, tuple[str, dict[str, Any] | None]]:
    """(executor, run config) per variant; run config None: the executor's defaults."""
    preload = ["dagster", "dagster_airbyte_ops", "dagster_airbyte_ops.definitions"]
    return {
        # Dagster's default executor as it runs on this machine: multiprocess, max_concurrent = cores.
        "default": ("multiprocess", None),
        "wide": ("multiprocess", {"execution": {"config": {"max_concurrent": n}}}),
        "wide_forkserver": (
            "multiprocess",
            {
                "execution": {
                    "config": {
                        "max_concurrent": n,
                        "start_method": {"forkserver": {"preload_modules": preload}},
                    }
                }
            },
        ),
        # airbyte_sync_executor, which build_definitions sets by default.
        "threads": ("threads", None),
    }


class JobWatcher(threading.Thread):
    """Polls the emulator's job list; keeps the peak of simultaneously running jobs."""

    def __init__(self, server: EmulatorServer, expected: int) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.expected = expected
        self.peak = 0
        self.first_running: float | None = None
        self.all_done: float | None = None
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            jobs = self.server.admin.jobs()
            running = sum(1 for j in jobs if j["status"] == "running")
            if running and self.first_running is None:
                self.first_running = time.monotonic()
            finished = len(jobs) == self.expected and all(j["status"] == "succeeded" for j in jobs)
            if finished and self.all_done is None:
                self.all_done = time.monotonic()
            self.peak = max(self.peak, running)
            time.sleep(0.1)


def measure(
    name: str, executor: str, run_config: dict[str, Any] | None, n: int, duration: float
) -> dict[str, Any]:
    settings = EmulatorSettings(seed=f"generated:{n}:3", default_job_duration_s=duration)
    with EmulatorServer(settings, port=0) as server, tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "defs.py").write_text(DEFS_FILE)
        Path(tmp, "airbyte_ops.yaml").write_text(CONFIG_FILE.format(url=server.url))
        env = {
            **os.environ,
            "DAGSTER_HOME": tmp,
            "AIRBYTE_OPS_CONFIG": str(Path(tmp, "airbyte_ops.yaml")),
            "MEASURE_EXECUTOR": executor,
        }
        Path(tmp, "dagster.yaml").write_text("telemetry: {enabled: false}\n")
        cmd = [sys.executable, "-m", "dagster", "asset", "materialize", "-f", "defs.py", "--select", "*"]
        if run_config is not None:
            cmd += ["--config-json", json.dumps(run_config)]
        watcher = JobWatcher(server, n)
        watcher.start()
        started = time.monotonic()
        cpu_before = os.times()
        proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=900)
        wall = time.monotonic() - started
        cpu_after = os.times()
        watcher.stop_event.set()
        watcher.join()
        jobs = server.admin.jobs()
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
    child_cpu = (cpu_after.children_user - cpu_before.children_user) + (
        cpu_after.children_system - cpu_before.children_system
    )
    return {
        "variant": name,
        "ok": proc.returncode == 0 and all(j["status"] == "succeeded" for j in jobs) and len(jobs) == n,
        "peak_running": watcher.peak,
        "wall_s": round(wall, 1),
        "first_sync_after_s": round((watcher.first_running or started) - started, 1),
        "syncs_span_s": round((watcher.all_done or started) - (watcher.first_running or started), 1),
        "cpu_s": round(child_cpu, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("variant", nargs="+")
    args = parser.parse_args()
    table = variants(args.connections)
    print(f"load average before: {os.getloadavg()[0]:.2f}; cores: {os.cpu_count()}")
    print(
        "| variant | ok | peak running jobs | wall s | first sync after s | first start → last end s "
        "| CPU s (waited processes) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in args.variant:
        executor, run_config = table[name]
        r = measure(name, executor, run_config, args.connections, args.duration)
        print(
            f"| {r['variant']} | {r['ok']} | {r['peak_running']} | {r['wall_s']} | "
            f"{r['first_sync_after_s']} | {r['syncs_span_s']} | {r['cpu_s']} |",
            flush=True,
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
