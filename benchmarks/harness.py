"""Shared pieces: options, statistics, markdown tables, child processes, emulators, machine facts."""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from dagster_airbyte_ops.emulator import EmulatorServer, EmulatorSettings

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-secret"  # the emulator's own test credential, not a secret of anyone's


def _log(message: str) -> None:
    """Progress on stderr, each line stamped with the UTC time (where `make bench`'s minutes go)."""
    print(f"{time.strftime('%H:%M:%S', time.gmtime())} {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Options:
    """How hard to push: `quick` is the smallest size once (the smoke test); `reps` repetitions."""

    quick: bool = False
    reps: int = 3
    theirs: bool = True  # run the dagster-airbyte half (off when it is not installed)
    profile_dir: str | None = None  # where the floor benchmark's loads of ours write pyinstrument reports
    log: Callable[[str], None] = field(default=lambda message: _log(message))

    @property
    def repetitions(self) -> int:
        return 1 if self.quick else self.reps


# ---------------------------------------------------------------------------------------------- stats
@dataclass(frozen=True)
class Stats:
    """Median, min and max of repeated measurements."""

    median: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: Iterable[float]) -> Stats:
        data = [float(v) for v in values]
        if not data:
            return cls(math.nan, math.nan, math.nan, 0)
        return cls(statistics.median(data), min(data), max(data), len(data))

    def show(self, unit: str = "", digits: int = 2) -> str:
        """`median (min-max)`, or just the value when every repetition agrees."""
        if self.n == 0:
            return "—"
        low, high = _num(self.low, digits), _num(self.high, digits)
        if low == high:
            return f"{_num(self.median, digits)}{unit}"
        return f"{_num(self.median, digits)}{unit} ({low}-{high})"


def _num(value: float, digits: int) -> str:
    if math.isnan(value):
        return "—"
    if float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def ratio(ours: Stats | float, theirs: Stats | float) -> str:
    """ours / theirs of the medians, as `0.05x`; `—` when either is missing or zero."""
    a = ours.median if isinstance(ours, Stats) else ours
    b = theirs.median if isinstance(theirs, Stats) else theirs
    if b is None or a is None or math.isnan(a) or math.isnan(b) or b == 0:
        return "—"
    r = a / b
    return f"{r:.3f}x" if r < 0.1 else f"{r:.2f}x"


def verdict(met: bool | None) -> str:
    if met is None:
        return "not measured"
    return "**met**" if met else "**missed**"


# ---------------------------------------------------------------------------------------------- tables
@dataclass
class Table:
    """One markdown table with its target, verdict and notes."""

    title: str
    target: str
    columns: Sequence[str]
    rows: list[list[str]] = field(default_factory=list)
    met: bool | None = None
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: Any) -> None:
        self.rows.append([str(c) for c in cells])

    def markdown(self) -> str:
        lines = [f"### {self.title}", "", f"Target: {self.target} — {verdict(self.met)}", ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "|".join(" --- " for _ in self.columns) + "|")
        lines.extend("| " + " | ".join(row) + " |" for row in self.rows)
        if self.notes:
            lines.append("")
            lines.extend(f"- {note}" for note in self.notes)
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------- emulators
@contextmanager
def emulator(seed: str, **settings: Any) -> Iterator[EmulatorServer]:
    """An emulator on a free port with client-credentials auth (what both subjects support)."""
    merged: dict[str, Any] = {
        "seed": seed,
        "auth": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "token_lifetime_s": 3600.0,
    }
    merged.update(settings)
    server = EmulatorServer(EmulatorSettings(**merged), port=0)
    distinct_prefixes(server)
    try:
        yield server
    finally:
        server.stop()


def distinct_prefixes(server: EmulatorServer) -> None:
    """Give every connection its own stream prefix (`c00042_`).

    The generated seed's connections all write streams `table_000`… into one shared destination, so
    both subjects would (rightly) map two connections to one table; real connections into one
    destination differ by prefix or namespace. Set on the emulator's state before any request.
    """
    with server.state.lock:
        for index, connection in enumerate(server.state.connections.values()):
            connection.prefix = f"c{index:05d}_"


def seed_history(server: EmulatorServer, count: int = 3, gap_s: float = 3600.0) -> None:
    """Give every connection `count` finished syncs in the past, of the emulator's default length.

    What a connection synced for a while has, and what predicted polling reads (one jobs-list call);
    created straight in the emulator's state, an hour apart, so no real time passes.
    """
    from dagster_airbyte_ops.emulator import jobs as joblib

    with server.state.lock:
        now = server.state.now()
        for connection in list(server.state.connections.values()):
            for back in range(count, 0, -1):
                job = joblib.create_job(server.state, connection, "sync")
                job.created_at = now - back * gap_s


def child_env(server: EmulatorServer, **extra: str) -> dict[str, str]:
    """The environment a child needs to build either subject against `server`."""
    env = dict(os.environ)
    env.update(
        BENCH_URL=server.url,
        BENCH_WORKSPACE_ID=server.state.default_workspace_id,
        BENCH_CLIENT_ID=CLIENT_ID,
        BENCH_CLIENT_SECRET=CLIENT_SECRET,
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        PYTHONWARNINGS="ignore",
    )
    env.update(extra)
    return env


def requests_between(server: EmulatorServer, start: float, end: float | None = None) -> list[Any]:
    """Logged Airbyte requests received in [start, end] (wall-clock seconds)."""
    with server.state.lock:
        log = list(server.state.request_log)
    return [r for r in log if r.time >= start and (end is None or r.time <= end)]


# ---------------------------------------------------------------------------------------------- children
class ChildFailed(RuntimeError):
    """A measurement process exited non-zero; carries the tail of its stderr."""


def start_child(task: str, args: dict[str, Any], env: dict[str, str]) -> subprocess.Popen[str]:
    """Start `python -m benchmarks.child TASK ARGS` (non-blocking)."""
    return subprocess.Popen(
        [sys.executable, "-m", "benchmarks.child", task, json.dumps(args)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_child(proc: subprocess.Popen[str], task: str, timeout: float = 900) -> dict[str, Any]:
    """Wait for a child and parse the JSON object on its last stdout line."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise ChildFailed(f"{task}: timed out after {timeout:.0f} s\n{err[-3000:]}") from None
    if proc.returncode != 0:
        raise ChildFailed(f"{task}: exit {proc.returncode}\n{err[-3000:]}")
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise ChildFailed(f"{task}: no result printed\n{err[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def run_child(task: str, args: dict[str, Any], env: dict[str, str], timeout: float = 900) -> dict[str, Any]:
    """Run one measurement in a fresh process and return what it reports."""
    return finish_child(start_child(task, args, env), task, timeout)


def run_cli(argv: Sequence[str], env: dict[str, str], timeout: float = 900) -> float:
    """Run a command (e.g. `dagster asset materialize`); returns its wall time; raises on failure."""
    started = time.monotonic()
    proc = subprocess.run(list(argv), cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise ChildFailed(f"{' '.join(argv[:4])}…: exit {proc.returncode}\n{proc.stderr[-3000:]}")
    return time.monotonic() - started


# ---------------------------------------------------------------------------------------------- machine
def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_facts() -> dict[str, str]:
    """Date, machine and versions for the results header."""
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    load = os.getloadavg()
    return {
        "date (UTC)": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "machine": f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
        f"{mem_kb / 1024 / 1024:.1f} GiB RAM, {platform.system()} {platform.machine()}",
        "load average at start (1/5/15 min)": f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}",
        "python": platform.python_version(),
        "dagster": _version("dagster"),
        "dagster-airbyte-ops": _version("dagster-airbyte-ops"),
        "dagster-airbyte": _version("dagster-airbyte"),
    }
