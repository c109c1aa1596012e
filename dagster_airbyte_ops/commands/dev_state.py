"""Where a running `airbyte-ops dev` put its Airbyte emulator, so other commands find it unasked.

`make dev EMULATOR_PORT=18201` in one shell, then `airbyte-ops check` in another, with no flag and
no variable: the dev command writes `airbyte-ops-dev.json` (the emulator's URL and the dev
command's pid) into its DAGSTER_HOME (`./.dagster_home` unless set) while it runs and removes it on
the way out. The other commands read it when `AIRBYTE_URL` is unset; a file whose process is gone
(killed with -9) is ignored, so a stale file never sends anyone to a dead port.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

STATE_FILE_NAME = "airbyte-ops-dev.json"


def dagster_home(cwd: Path | None = None) -> Path:
    """The DAGSTER_HOME `airbyte-ops dev` uses (`make dev` exports the same): set, or `./.dagster_home`."""
    return Path(os.environ.get("DAGSTER_HOME") or (cwd or Path.cwd()) / ".dagster_home").resolve()


@dataclass(frozen=True)
class DevState:
    """A running dev command: its emulator's URL, the Dagster UI's URL, and its pid."""

    emulator_url: str
    ui_url: str
    pid: int
    path: Path

    def describe(self) -> str:
        return f"the emulator of the running `airbyte-ops dev` (pid {self.pid}, recorded in {self.path})"


def write_state(home: Path, *, emulator_url: str, ui_url: str) -> Path:
    path = home / STATE_FILE_NAME
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"emulator_url": emulator_url, "ui_url": ui_url, "pid": os.getpid()}))
    temporary.replace(path)
    return path


def remove_state(path: Path) -> None:
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def read_state(home: Path | None = None) -> DevState | None:
    """The running dev command's state, or None (no file, unreadable, or its process has exited)."""
    path = (home or dagster_home()) / STATE_FILE_NAME
    try:
        data = json.loads(path.read_text())
        state = DevState(str(data["emulator_url"]), str(data.get("ui_url", "")), int(data["pid"]), path)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return state if _alive(state.pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
