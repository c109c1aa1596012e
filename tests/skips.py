"""What the suite may leave out, only when asked: `AIRBYTE_OPS_SKIP=browser,postgres`.

The suite drives Debian's Chromium (the demo's browser test) and PostgreSQL (Dagster's production
storage) for real; `make test` installs them first (scripts/system-packages.sh). A machine that cannot
have them runs the rest by naming what to leave out, and the run ends with a banner listing every
test that did not run, so a green run never hides a part of the suite. Without the variable a missing
package fails its tests with the install command; nothing is skipped silently.
"""

from __future__ import annotations

import os

import pytest

VARIABLE = "AIRBYTE_OPS_SKIP"
#: name -> (what it stands for, how a test is recognised)
PARTS = {
    "browser": "the demo in headless Chromium (tests marked browser)",
    "postgres": "Dagster on PostgreSQL (the postgres_server fixture, and [postgres] of dagster_instance)",
}
_KEY = pytest.StashKey[list[tuple[str, str]]]()


def requested(config: pytest.Config) -> set[str]:
    """The parts the variable names; an unknown name stops the run (a typo must not run less)."""
    names = {name.strip() for name in os.environ.get(VARIABLE, "").split(",") if name.strip()}
    unknown = names - set(PARTS)
    if unknown:
        raise pytest.UsageError(
            f"{VARIABLE}: unknown part(s) {', '.join(sorted(unknown))}; known: {', '.join(PARTS)}"
        )
    return names


def part_of(item: pytest.Item) -> str | None:
    if item.get_closest_marker("browser") is not None:
        return "browser"
    if "postgres_server" in getattr(item, "fixturenames", ()):
        return "postgres"
    # The [postgres] case of the `dagster_instance` fixture asks for the server only when it runs.
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("dagster_instance") == "postgres":
        return "postgres"
    return None


def apply(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the requested parts' tests skipped, remembering them for the banner."""
    wanted = requested(config)
    left_out: list[tuple[str, str]] = []
    for item in items:
        part = part_of(item)
        if part in wanted:
            item.add_marker(pytest.mark.skip(reason=f"{VARIABLE}={os.environ[VARIABLE]}: {part} not run"))
            left_out.append((part, item.nodeid))
    config.stash[_KEY] = left_out


def banner(terminalreporter, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    left_out = config.stash.get(_KEY, [])
    if not left_out and not requested(config):
        return
    terminalreporter.write_sep("!", f"NOT RUN: asked for with {VARIABLE}={os.environ.get(VARIABLE, '')}")
    for part in sorted({part for part, _ in left_out} | requested(config)):
        ids = [nodeid for name, nodeid in left_out if name == part] or _skipped_reports(
            terminalreporter, part
        )
        terminalreporter.write_line(f"{part}: {len(ids)} test(s) not run ({PARTS[part]})")
        for nodeid in ids[:5]:
            terminalreporter.write_line(f"    {nodeid}")
        if len(ids) > 5:
            terminalreporter.write_line(f"    ... and {len(ids) - 5} more")


def _skipped_reports(terminalreporter, part: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The tests of `part` the run skipped, from their reports: with xdist the workers collect, so the
    controller's stash is empty and only the reports reach it."""
    ids = []
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        if f"{VARIABLE}=" in reason and reason.endswith(f": {part} not run"):
            ids.append(report.nodeid)
    return ids
