"""`make test` on a fresh machine: the system packages the suite drives are installed first, or the run
stops before any test saying which and how; a part is left out only when asked, and then named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "system-packages.sh"


def _script(env: dict[str, str], *, user: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [str(SCRIPT)] if user is None else ["runuser", "-u", user, "--", str(SCRIPT)]
    return subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, timeout=60)


def test_the_makefile_and_ci_run_the_same_script_before_the_tests():
    makefile = (REPO / "Makefile").read_text()
    target = makefile[makefile.index("\ntest:") :].split("\n\n")[0]
    assert target.index("scripts/system-packages.sh") < target.index("pytest")
    assert "scripts/system-packages.sh" in (REPO / ".ci" / "run").read_text()


def test_with_everything_installed_the_script_does_nothing():
    for part in ("/usr/bin/chromium",):
        if not Path(part).exists():
            pytest.fail(f"{part} missing: run scripts/system-packages.sh", pytrace=False)
    result = _script({})
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_missing_packages_without_root_stop_with_one_message_naming_them():
    """As root, run as `nobody`; as a user without passwordless sudo, as oneself."""
    user = "nobody" if os.geteuid() == 0 else None
    if user is None and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        pytest.fail("run this test as root or without passwordless sudo (it would install)", pytrace=False)
    missing = {"CHROMIUM": "/nonexistent/chromium", "PG_CTL_GLOB": "/nonexistent/*/pg_ctl"}
    result = _script(missing, user=user)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert "drives postgresql chromium, missing here" in line
    assert "sudo apt-get install -y postgresql chromium" in line
    assert "AIRBYTE_OPS_SKIP=postgres,browser make test" in line
    asked = _script({**missing, "AIRBYTE_OPS_SKIP": "browser,postgres"}, user=user)
    assert (asked.returncode, asked.stderr) == (0, "")


def test_a_part_left_out_on_request_is_listed_at_the_end_of_the_run():
    env = {**os.environ, "AIRBYTE_OPS_SKIP": "browser"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "tests/demo/test_browser.py"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
    assert "NOT RUN: asked for with AIRBYTE_OPS_SKIP=browser" in result.stdout
    assert "browser: 1 test(s) not run (the demo in headless Chromium" in result.stdout
    assert "tests/demo/test_browser.py::test_the_demo_in_a_browser" in result.stdout


def test_an_unknown_part_name_stops_the_run():
    env = {**os.environ, "AIRBYTE_OPS_SKIP": "browsr"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "tests/demo/test_browser.py"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert (
        "AIRBYTE_OPS_SKIP: unknown part(s) browsr; known: browser, postgres" in result.stdout + result.stderr
    )
