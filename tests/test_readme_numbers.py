"""The README's numbers and lists stay true as the code changes (a newcomer reads them first)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def test_every_count_of_bad_configuration_files_is_the_table_length():
    sys.path.insert(0, str(REPO / "tests" / "config"))
    try:
        from test_config_errors import BAD_CONFIGS
    finally:
        sys.path.pop(0)
    counts = {int(n) for n in re.findall(r"(\d+) bad (?:configuration )?files", README)}
    assert counts == {len(BAD_CONFIGS)}, counts


def test_every_variable_of_make_dev_is_in_the_readme_table():
    """The settable variables (`?=`) the dev target and its install step use, and the exported ones."""
    makefile = (REPO / "Makefile").read_text()
    settable = set(re.findall(r"^(?:export )?([A-Z_]+) \?=", makefile, flags=re.M))
    exported = set(re.findall(r"^export ([A-Z_]+) \?=", makefile, flags=re.M))
    dev = "".join(
        block for block in makefile.split("\n\n") if re.search(r"^(dev|\$\(DEV_STAMP\)):", block, flags=re.M)
    )
    variables = (settable & set(re.findall(r"\$\(([A-Z_]+)\)", dev))) | exported
    # Also read by `airbyte-ops dev` and by the code location it starts:
    variables |= {"AIRBYTE_OPS_DATA_DIR", "AIRBYTE_OPS_CONFIG"}
    assert {"EMULATOR_PORT", "DAGSTER_PORT", "PYTHON"} <= variables
    table = README[README.index("(`make dev NAME=value`)") : README.index("### What you will see")]
    listed = set(re.findall(r"^\| `([A-Z_]+)` \|", table, flags=re.M))
    assert variables <= listed, variables - listed


def test_the_two_commands_come_first():
    first_block = README[README.index("```bash") : README.index("```", README.index("```bash") + 3)]
    assert [line.split()[:2] for line in first_block.splitlines()[1:]] == [["make", "dev"], ["make", "test"]]
