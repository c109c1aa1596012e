"""apply on a terminal asks first: only "yes" applies (driven through a real pseudo-terminal)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time

import yaml

from tests.manage.helpers import PG_PASSWORD, declarations

RUN = "from dagster_airbyte_ops.cli import main; raise SystemExit(main())"


def _apply_on_a_terminal(config, env, answer: str) -> tuple[int, str]:
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", RUN, "apply", "--config", str(config)],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        close_fds=True,
    )
    os.close(secondary)
    output = b""
    deadline = time.monotonic() + 60
    answered = False
    while time.monotonic() < deadline:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
        if not answered and b"Only 'yes' applies" in output:
            os.write(primary, answer.encode() + b"\n")
            answered = True
    os.close(primary)
    return process.wait(timeout=30), output.decode(errors="replace")


def test_apply_asks_on_a_terminal_and_only_yes_applies(managed, tmp_path):
    server, runner = managed
    runner.write(declarations())
    env = {**os.environ}
    code, out = _apply_on_a_terminal(runner.path, env, "no")
    assert code == 1 and "Not applied." in out
    assert not server.state.actors
    code, out = _apply_on_a_terminal(runner.path, env, "yes")
    assert code == 0 and "Apply complete." in out, out
    assert len(server.state.live_connections()) == 1
    assert PG_PASSWORD not in out
    assert yaml.safe_load(runner.path.read_text())["sources"]
