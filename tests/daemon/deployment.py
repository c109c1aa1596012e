"""A small Dagster deployment for end-to-end tests: `dagster-daemon run` on a real instance.

The daemon starts its own code server from a workspace file (as in production), the queued run
coordinator hands runs to the default run launcher, and every run executes in its own `dagster api
execute_run` worker process that rebuilds the definitions from the reconstruction metadata the code
server sent along. Nothing here is mocked: tests observe the instance and the emulator.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import dagster as dg
import yaml

from tests.connection_runs import SHARED_JOB

T = TypeVar("T")


class DaemonDeployment:
    """A project folder (config, workspace, DAGSTER_HOME) and a running `dagster-daemon`."""

    def __init__(
        self,
        root: Path,
        *,
        config_text: str,
        env: dict[str, str],
        storage: dict[str, Any] | None = None,
        max_concurrent_runs: int = 10,
        code_server_port: int | None = None,
        run_monitoring: bool = False,
    ) -> None:
        self.root = root
        self.home = root / "dagster_home"
        self.home.mkdir(parents=True)
        (root / "airbyte_ops.yaml").write_text(config_text)
        (root / "definitions.py").write_text(
            "from dagster_airbyte_ops import build_definitions, load_config\n\n"
            "defs = build_definitions(load_config())\n"
        )
        self.code_server_port = code_server_port
        if code_server_port is None:  # the daemon starts its own code server, as `dagster dev` does
            target: dict[str, Any] = {
                "python_file": {
                    "relative_path": "definitions.py",
                    "working_directory": str(root),
                    "location_name": "airbyte_ops",
                }
            }
        else:  # a separate code server, as a user-code deployment on Kubernetes
            target = {
                "grpc_server": {"host": "127.0.0.1", "port": code_server_port, "location_name": "airbyte_ops"}
            }
        workspace = {"load_from": [target]}
        (root / "workspace.yaml").write_text(yaml.safe_dump(workspace))
        instance_config: dict[str, Any] = {
            "run_coordinator": {
                "module": "dagster._core.run_coordinator",
                "class": "QueuedRunCoordinator",
                "config": {"max_concurrent_runs": max_concurrent_runs, "dequeue_interval_seconds": 1},
            },
            "sensors": {"use_threads": True, "num_workers": 4},
            "telemetry": {"enabled": False},
        }
        if storage:
            instance_config["storage"] = storage
        if run_monitoring:  # as the demo's and the deployment examples' instances have it
            instance_config["run_monitoring"] = {"enabled": True, "poll_interval_seconds": 5}
        (self.home / "dagster.yaml").write_text(yaml.safe_dump(instance_config))
        self.env = {
            **os.environ,
            **env,
            "DAGSTER_HOME": str(self.home),
            "AIRBYTE_OPS_CONFIG": str(root / "airbyte_ops.yaml"),
            "PYTHONUNBUFFERED": "1",
        }
        self.log_path = root / "daemon.log"
        self._process: subprocess.Popen[str] | None = None
        self._code_server: subprocess.Popen[str] | None = None
        self.instance = dg.DagsterInstance.from_config(str(self.home))

    def start_code_server(self, timeout_s: float = 120.0) -> None:
        """`dagster api grpc` serving definitions.py; returns once it answers."""
        from dagster._grpc.client import DagsterGrpcClient

        assert self.code_server_port is not None
        log = (self.root / "code_server.log").open("w")
        self._code_server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dagster",
                "api",
                "grpc",
                "--python-file",
                "definitions.py",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.code_server_port),
                "--location-name",
                "airbyte_ops",
            ],
            cwd=self.root,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        client = DagsterGrpcClient(port=self.code_server_port, host="127.0.0.1")

        def answers() -> bool:
            try:
                client.ping("")
                return True
            except Exception:
                if self._code_server is not None and self._code_server.poll() is not None:
                    raise AssertionError(
                        "the code server exited:\n" + (self.root / "code_server.log").read_text()[-3000:]
                    ) from None
                return False

        self.wait_for("the code server", answers, timeout_s=timeout_s)

    def start(self) -> DaemonDeployment:
        if self.code_server_port is not None and self._code_server is None:
            self.start_code_server()
        log = self.log_path.open("w")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "dagster._daemon", "run", "-w", str(self.root / "workspace.yaml")],
            cwd=self.root,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        return self

    def stop(self) -> None:
        for process in (self._process, self._code_server):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        self.instance.dispose()

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text() if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_for(self, what: str, probe: Callable[[], T | None], timeout_s: float = 120.0) -> T:
        """Poll `probe` until it returns something truthy; fail with the daemon's log otherwise."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise AssertionError(f"dagster-daemon exited while waiting for {what}:\n{self.log_tail()}")
            value = probe()
            if value:
                return value
            time.sleep(0.5)
        raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}:\n{self.log_tail()}")

    def failure_text(self, run: dg.DagsterRun) -> str:
        """What went wrong in `run`: its error and failure events, for assertion messages."""
        lines = []
        for record in self.instance.all_logs(run.run_id):
            event = record.dagster_event
            if event is None:
                continue
            if event.is_failure or event.event_type_value in ("ENGINE_EVENT", "RUN_FAILURE", "STEP_FAILURE"):
                error = getattr(event.event_specific_data, "error", None)
                lines.append(
                    f"{event.event_type_value}: {record.message} {error.to_string() if error else ''}"
                )
        return "\n".join(lines)[-6000:]

    def runs_of(self, connection_op: str) -> list[dg.DagsterRun]:
        """Runs of the shared job that sync the connection whose op is `connection_op` (a trailing
        `_job` is ignored): selected by op on the command line, or a step of that op started."""
        op = connection_op.removesuffix("_job")
        found = []
        for run in self.instance.get_runs(filters=dg.RunsFilter(job_name=SHARED_JOB)):
            if op in (run.resolved_op_selection or ()) or any(
                record.step_key == op
                for record in self.instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_START)
            ):
                found.append(run)
        return found

    def launch(self, connection_op: str) -> None:
        """Submit a run of one connection the way a person does from a terminal: the shared job with
        the connection's op selected (it queues; the daemon launches it)."""
        op = connection_op.removesuffix("_job")
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "dagster",
                "job",
                "launch",
                "-w",
                "workspace.yaml",
                "-j",
                SHARED_JOB,
                "-o",
                op,
            ],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert completed.returncode == 0, completed.stderr[-3000:]
