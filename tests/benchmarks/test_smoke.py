"""Every benchmark runs once at its smallest size (`python -m benchmarks --quick`), so none can rot.

Numbers are not checked here (speed belongs to `make bench`); what is checked is that each benchmark
ran against the emulator and produced its table with a target, a verdict and a row per subject.
The dagster-airbyte half runs only where it is installed (`make bench` installs it, `make test` not).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TITLES = (
    "1. Loading definitions",
    "1b. Run-worker reload",
    "2. Many syncs in one run",
    "3. Completion lag and requests per sync",
    "4. Observation sensor tick",
    "5. Code-server memory",
    "6. Against Dagster's floor",
)


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^### ", text, flags=re.MULTILINE)[1:]
    return {part.splitlines()[0]: part for part in parts}


@pytest.mark.timeout(900)
def test_every_benchmark_runs_once_at_its_smallest_size(tmp_path):
    out = tmp_path / "results.md"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=880,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    text = out.read_text()
    assert "dagster: " in text and "machine: " in text  # the header names versions and machine
    sections = _sections(text)
    theirs = importlib.util.find_spec("dagster_airbyte") is not None
    for title in TITLES:
        [section] = [body for heading, body in sections.items() if heading.startswith(title)]
        assert re.search(r"^Target: .+ — (\*\*met\*\*|\*\*missed\*\*|not measured)$", section, re.MULTILINE)
        rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line][1:]
        assert any("dagster_airbyte_ops" in row for row in rows), section
        if theirs and not title.startswith(("4.", "6.")):  # no observation sensor; 6 is against the floor
            assert any("dagster-airbyte" in row for row in rows), section
        if title.startswith(("2.", "6.")):  # the floor: what Dagster alone needs, measured in the same run
            assert any("Dagster alone (floor)" in row for row in rows), section
    # The reload row of ours reports zero calls to Airbyte (a count read off the emulator's log).
    reload_rows = [r for r in sections_with("1b.", sections) if "dagster_airbyte_ops (config API)" in r]
    assert reload_rows and reload_rows[0].split("|")[3].strip() == "0"


def sections_with(prefix: str, sections: dict[str, str]) -> list[str]:
    return [
        line for heading, body in sections.items() if heading.startswith(prefix) for line in body.splitlines()
    ]
