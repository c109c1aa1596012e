"""Print the requirements of `make test-latest-dagster`: ours and the test extra, dagster unpinned.

dagster loses its version bound so pip takes the newest release the index has. Packages that pin
dagster exactly (dagster-webserver, dagster-postgres, dagster-dg-cli: a webserver release can reach
the index after its dagster release, and would hold dagster back) and the browser driver are left
out: the tests that run there (Makefile's LATEST_DAGSTER_TESTS) do not use them.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

UNBOUNDED = ("dagster",)
LEFT_OUT = ("dagster-webserver", "dagster-postgres", "dagster-dg-cli", "playwright")


def requirements(pyproject: Path) -> list[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    out = []
    for requirement in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        name = re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0]
        if name in LEFT_OUT:
            continue
        out.append(name if name in UNBOUNDED else requirement)
    return out


if __name__ == "__main__":
    print("\n".join(requirements(Path(__file__).resolve().parents[1] / "pyproject.toml")))
