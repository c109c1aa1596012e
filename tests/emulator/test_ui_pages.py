"""The job links in our materialization metadata (`airbyte/job_url`) open a page on the emulator too:
a small Airbyte-like page for the job (status, attempts, per-stream rows and bytes, log lines) and
for its connection (streams, job history)."""

from __future__ import annotations

import re

import pytest
import requests

from dagster_airbyte_ops import AirbyteResource
from dagster_airbyte_ops.emulator import EmulatorServer
from dagster_airbyte_ops.errors import SyncFailedError

from .helpers import connection_by_name


def _page(url: str) -> requests.Response:
    response = requests.get(url, timeout=10)
    assert response.headers["content-type"].startswith("text/html")
    return response


def test_the_job_link_of_a_sync_opens_the_job_page(emulator: EmulatorServer) -> None:
    cid = connection_by_name(emulator.url, "Shop Orders → SQLite")["connectionId"]
    result = AirbyteResource(url=emulator.url).sync(cid)
    assert result.job_url is not None
    page = _page(result.job_url)
    assert page.status_code == 200
    html = page.text
    assert f"Job {result.job_id}: <span class='succeeded'>succeeded</span>" in html
    assert "Attempt 1:" in html and "Shop Orders → SQLite" in html
    assert result.stream_stats  # per stream: rows and bytes as jobs/get reported them
    for name, stats in result.stream_stats.items():
        row = re.search(rf"<tr><td>{name}</td><td>[^<]*</td><td>([\d,]+)</td><td>([\d,]+)</td></tr>", html)
        assert row is not None, name
        assert (int(row[1].replace(",", "")), int(row[2].replace(",", ""))) == (
            stats.records_committed,
            stats.bytes_committed,
        )
    assert f"Starting attempt 1 of job {result.job_id} for connection {cid}" in html  # the log lines


def test_a_failed_job_page_shows_the_failure_and_every_attempt(emulator: EmulatorServer) -> None:
    cid = connection_by_name(emulator.url, "MSSQL → S3")["connectionId"]
    emulator.admin.set_behaviour(
        cid, outcome="failed", attempts=2, duration_s=0.4, failure_message="Login failed for user 'sa'"
    )
    airbyte = AirbyteResource(url=emulator.url)
    with pytest.raises(SyncFailedError):
        airbyte.sync(cid)
    [job] = emulator.admin.jobs()
    html = _page(airbyte.job_url(cid, job["jobId"])).text
    assert "<span class='failed'>failed</span>" in html
    assert "Attempt 1:" in html and "Attempt 2:" in html
    assert "Failure: Login failed for user &#x27;sa&#x27;" in html  # escaped, as all of Airbyte's text


def test_the_connection_page_lists_its_jobs_with_links(emulator: EmulatorServer) -> None:
    cid = connection_by_name(emulator.url, "CRM API → Postgres")["connectionId"]
    airbyte = AirbyteResource(url=emulator.url)
    first, second = airbyte.sync(cid), airbyte.sync(cid)
    workspace = airbyte.resolved_workspace_id()
    html = _page(f"{emulator.url}/workspaces/{workspace}/connections/{cid}/status").text
    assert "<h1>CRM API → Postgres</h1>" in html
    for job_id in (first.job_id, second.job_id):
        assert f"timeline?jobId={job_id}'>Job {job_id}</a>" in html


def test_unknown_jobs_and_connections_are_html_404s(emulator: EmulatorServer) -> None:
    cid = connection_by_name(emulator.url, "CRM API → Postgres")["connectionId"]
    assert _page(f"{emulator.url}/connections/{cid}/timeline?jobId=999").status_code == 404
    assert _page(f"{emulator.url}/connections/nope/timeline?jobId=1").status_code == 404
