"""The whole demo in a real browser: `airbyte-ops dev` (emulator + `dagster dev`), driven in headless
Chromium through Playwright, as a newcomer would click through it after `make dev`.

Chromium is Debian's `/usr/bin/chromium` (`.ci/run` installs it); Playwright never downloads one.
Screenshots go to `test-artifacts/demo/` (the README's two images are copied from there).
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from ports import free_port

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts" / "demo"
#: Bounds, not expectations: start-up is ~15 s on an idle laptop, far more on a loaded 2-core runner.
START_TIMEOUT_S = 150.0
UI_TIMEOUT_MS = 90_000
STOP_TIMEOUT_S = 60.0
CONNECTION_GROUPS = ("postgresql_minio", "mssql_s3", "crm_api_postgres", "shop_orders_sqlite")

pytestmark = [pytest.mark.timeout(420), pytest.mark.browser]


def _require_browser() -> None:
    """Fail without Chromium or Playwright, saying how to get them (or AIRBYTE_OPS_SKIP=browser)."""
    problems = []
    if not CHROMIUM.exists():
        problems.append(f"{CHROMIUM} is missing (scripts/system-packages.sh installs it)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the playwright package is missing (pip install -e '.[test]')")
    if problems:
        pytest.fail(
            "the browser test cannot run: "
            + "; ".join(problems)
            + "; or leave it out: AIRBYTE_OPS_SKIP=browser",
            pytrace=False,
        )


@dataclass
class Demo:
    """A running `airbyte-ops dev`."""

    ui: str
    emulator: str
    data_dir: Path
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def graphql(self, query: str) -> dict:
        response = requests.post(f"{self.ui}/graphql", json={"query": query}, timeout=10)
        response.raise_for_status()
        return response.json()["data"]


def _wait_for_assets(demo: Demo, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"airbyte-ops dev exited with {process.returncode}:\n{demo.log_tail()}")
        try:
            nodes = demo.graphql("{ assetNodes { id } }")["assetNodes"]
            if len(nodes) >= 14:
                return
        except (requests.RequestException, KeyError, TypeError, ValueError):
            pass
        time.sleep(0.5)
    pytest.fail(f"the demo UI did not list its assets within {START_TIMEOUT_S:.0f} s:\n{demo.log_tail()}")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    """`airbyte-ops dev` on free ports, with a temporary DAGSTER_HOME and data dir, stopped by Ctrl-C."""
    _require_browser()
    root = tmp_path
    ui_port, emulator_port = free_port(), free_port()
    env = {**os.environ, "DAGSTER_HOME": str(root / "dagster_home")}
    for variable in ("AIRBYTE_OPS_CONFIG", "AIRBYTE_URL", "AIRBYTE_OPS_DATA_DIR"):
        env.pop(variable, None)
    log = root / "dev.log"
    demo = Demo(f"http://127.0.0.1:{ui_port}", f"http://127.0.0.1:{emulator_port}", root / "data", log)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "dagster_airbyte_ops.cli", "dev", "--port", str(ui_port)),
                *("--emulator-port", str(emulator_port), "--data-dir", str(demo.data_dir)),
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for_assets(demo, process)
        yield demo
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C: airbyte-ops dev stops dagster dev, then the emulator
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            pytest.fail(f"airbyte-ops dev did not stop on Ctrl-C:\n{demo.log_tail()}")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{demo.emulator}/api/v1/health", timeout=2)


@pytest.fixture
def browser_page(demo: Demo):
    """A headless Chromium page (the community pop-up dismissed whenever it shows)."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=UI_TIMEOUT_MS)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.set_default_timeout(UI_TIMEOUT_MS)
        skip = page.get_by_role("button", name="Skip")
        page.add_locator_handler(skip, lambda locator: locator.click())
        try:
            yield page
        finally:
            browser.close()


def _shot(page, name: str) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _wait_for_row_count(demo: Demo, asset: str) -> int:
    """The row count of the asset's latest materialization, once there is one (sensors tick every 30 s)."""
    query = (
        f'{{ assetOrError(assetKey: {{path: ["{asset}"]}}) {{ ... on Asset {{ '
        "assetMaterializations(limit: 1) { metadataEntries { label ... on IntMetadataEntry { intValue } } } "
        "} } }"
    )
    deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        events = demo.graphql(query)["assetOrError"].get("assetMaterializations") or []
        for entry in events[0]["metadataEntries"] if events else []:
            if entry["label"] == "dagster/row_count":
                return int(entry["intValue"])
        time.sleep(1)
    pytest.fail(f"{asset} was not materialized by the downstream sensor:\n{demo.log_tail()}")


def test_the_demo_in_a_browser(demo, browser_page):
    """One demo for all steps (a test each would start one demo per xdist worker)."""
    _check_the_asset_graph_shows_the_connection_groups(demo, browser_page)
    _check_materialize_a_connection_and_see_its_row_count(demo, browser_page)
    _check_the_schedules_page_shows_custom_crons_with_time_zones(demo, browser_page)


def _check_the_asset_graph_shows_the_connection_groups(demo: Demo, page) -> None:
    from playwright.sync_api import expect

    page.goto(f"{demo.ui}/asset-groups")
    for group in (*CONNECTION_GROUPS, "shop_analytics"):
        expect(page.get_by_text(group, exact=True).first).to_be_visible()
    _shot(page, "asset-lineage")


def _check_materialize_a_connection_and_see_its_row_count(demo: Demo, page) -> None:
    from playwright.sync_api import expect

    page.goto(f"{demo.ui}/locations/airbyte_ops/asset-groups/shop_orders_sqlite")
    expect(page.get_by_text("orders", exact=True).first).to_be_visible()
    page.get_by_role("button", name="Materialize all").click()
    expect(page.get_by_text(re.compile(r"Launched run"))).to_be_visible()
    # Both stream assets of the connection turn green once the Airbyte job has succeeded.
    expect(page.get_by_text("Materialized", exact=True)).to_have_count(2)

    with sqlite3.connect(demo.data_dir / "airbyte.sqlite") as con:
        on_disk = con.execute("SELECT count(*) FROM _airbyte_raw_orders").fetchone()[0]
    assert on_disk > 0
    _shot(page, "connection-group")

    page.goto(f"{demo.ui}/assets/orders")
    expect(page.locator("body")).to_contain_text(re.compile(rf"Row count\s*{on_disk}(?!\d)"))
    _shot(page, "asset-row-count")
    _check_the_job_link_opens_the_airbyte_job_page(demo, page)

    # The `downstream:` sensor then runs the demo's analytics on the rows that landed.
    countries = _wait_for_row_count(demo, "customer_counts")
    page.goto(f"{demo.ui}/assets/customer_counts")
    expect(page.locator("body")).to_contain_text(re.compile(rf"Row count\s*{countries}(?!\d)"))
    with sqlite3.connect(demo.data_dir / "airbyte.sqlite") as con:
        assert con.execute("SELECT count(*) FROM customer_counts").fetchone()[0] == countries
        days = con.execute("SELECT count(*) FROM daily_revenue").fetchone()[0]
    page.goto(f"{demo.ui}/assets/daily_revenue")
    expect(page.locator("body")).to_contain_text(re.compile(rf"Row count\s*{days}(?!\d)"))
    expect(page.get_by_text("net_revenue_eur", exact=True)).to_be_visible()
    _shot(page, "downstream-asset")


def _check_the_job_link_opens_the_airbyte_job_page(demo: Demo, page) -> None:
    """`airbyte/job_url` in the materialization's metadata, clicked, opens the job's page (the emulator's)."""
    from playwright.sync_api import expect

    page.goto(f"{demo.ui}/assets/orders?view=events")
    link = page.locator("a[href*='timeline?jobId=']").first
    expect(link).to_be_visible()
    assert (link.get_attribute("href") or "").startswith(demo.emulator)
    if link.get_attribute("target") == "_blank":
        with page.context.expect_page() as opened:
            link.click()
        job_page = opened.value
    else:
        link.click()
        job_page = page
    job_page.wait_for_load_state()
    expect(job_page.locator("h1")).to_contain_text(re.compile(r"Job \d+: succeeded"))
    expect(job_page.locator("body")).to_contain_text("Starting attempt 1 of job")
    job_page.screenshot(path=str(ARTIFACTS / "airbyte-job-page.png"))
    if job_page is not page:
        job_page.close()


def _check_the_schedules_page_shows_custom_crons_with_time_zones(demo: Demo, page) -> None:
    from playwright.sync_api import expect

    page.goto(f"{demo.ui}/automation")
    expect(page.get_by_text("shop_orders_sqlite_schedule", exact=True)).to_be_visible()
    expect(page.get_by_text("postgresql_minio_schedule", exact=True)).to_be_visible()
    expect(page.get_by_text("shop_analytics", exact=True)).to_be_visible()  # the downstream: sensor
    # Dagster words the cron in the schedule's own zone (EST/EDT, GMT+1/GMT+2 depending on the date).
    business_hours = re.compile(r"between 08:00 AM E[SD]T and 07:59 PM E[SD]T, Monday through Friday")
    expect(page.get_by_text(business_hours)).to_be_visible()
    _shot(page, "automation")

    for schedule, cron, zone in (
        ("shop_orders_sqlite_schedule", "*/30 8-19 * * 1-5", "America/New_York"),
        ("postgresql_minio_schedule", "0 6-18 * * *", "Europe/Paris"),
    ):
        page.goto(f"{demo.ui}/locations/airbyte_ops/schedules/{schedule}")
        expect(page.get_by_text(f"({cron})", exact=True)).to_be_visible()
        expect(page.locator("body")).to_contain_text(re.compile(rf"Execution timezone\s*{re.escape(zone)}"))
    _shot(page, "schedule")
