"""docs/reliability.md is the fault matrix users read: every test it names must exist.

The matrix refers to tests elsewhere in the suite rather than copying them; this keeps those
references (and the count of bad configuration files it quotes) true as the suite changes.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "reliability.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?`")


def test_every_test_the_matrix_names_exists():
    references = REFERENCE.findall(DOC.read_text())
    assert len(references) >= 15
    missing = []
    for path, name in references:
        source = REPO / path
        if not source.is_file():
            missing.append(path)
        elif name and not re.search(rf"^def {name}\(", source.read_text(), re.MULTILINE):
            missing.append(f"{path}::{name}")
    assert not missing, f"docs/reliability.md names tests that do not exist: {missing}"


def test_matrix_rows_name_the_parametrized_cases_that_exist():
    """Each `[case-id]` the matrix quotes is an id of the transient-fault, outcome or change tables."""
    from .test_job_outcomes import ROWS as OUTCOMES
    from .test_transient_faults import ROWS as TRANSIENT

    known = {row.id for row in TRANSIENT} | {row.id for row in OUTCOMES} | {"deleted", "inactive"}
    quoted = set(re.findall(r"`\[([\w-]+)\]`|\[([\w-]+)\]`", DOC.read_text()))
    ids = {a or b for a, b in quoted}
    assert ids, "no case ids quoted"
    assert ids <= known, ids - known
    assert {row.id for row in TRANSIENT} <= ids  # every transient row is in the doc


def test_the_bad_configuration_table_holds_at_least_40_files():
    table = (REPO / "tests/config/test_config_errors.py").read_text()
    count = len(re.findall(r'^\s+id="[\w-]+",?$', table, re.MULTILINE))
    quoted = re.search(r"\| (\d+) bad `airbyte_ops.yaml` files", DOC.read_text())
    assert quoted is not None
    assert 40 <= int(quoted.group(1)) <= count
