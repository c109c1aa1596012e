"""Small Airbyte-like HTML pages, so the job links our metadata carries open on the emulator too.

`airbyte/job_url` points at Airbyte's web app, `<ui>/workspaces/<ws>/connections/<id>/timeline?jobId=N`
(the connection's timeline opened on that job; Airbyte's `webapp` routes `connections/:id/status`,
`/timeline`, `/job-history` and more). Real Airbyte answers with its single-page app; the emulator
answers with one static page: the connection (its streams and its jobs) or, with `jobId`, the job
(status, attempts, per-stream rows and bytes, the job's log lines). Same facts as `jobs/get`, read
from the same views, never from anything the client sent; nothing here is one of Airbyte's API paths.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from dagster_airbyte_ops.emulator import jobs as joblib
from dagster_airbyte_ops.emulator.state import Connection, EmulatorState

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#1a194d}"
    "table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccd;padding:.3rem .7rem;"
    "text-align:left}th{background:#eef}.succeeded{color:#067d62}.failed,.cancelled{color:#c62828}"
    "pre{background:#f5f5fa;padding:.7rem;overflow-x:auto}"
)


def routes(state: EmulatorState) -> list[Route]:
    """The web app's connection pages, with and without the workspace segment."""

    async def page(request: Request) -> HTMLResponse:
        connection_id = request.path_params["connection_id"]
        job_id = request.query_params.get("jobId")
        with state.lock:
            connection = state.connection(connection_id)
            if connection is None:
                return _page("Connection not found", f"<p>No connection {escape(connection_id)}.</p>", 404)
            if job_id is None:
                return _connection_page(state, connection)
            job = state.jobs.get(int(job_id)) if job_id.isdigit() else None
            if job is None or job.connection_id != connection_id:
                body = f"<p>No job {escape(job_id)} of connection {escape(connection.name)}.</p>"
                return _page("Job not found", body, 404)
            return _job_page(state, connection, joblib.view(state, job))

    paths = ["/connections/{connection_id}", "/connections/{connection_id}/{tab}"]
    return [
        *(Route(f"/workspaces/{{workspace_id}}{path}", page, methods=["GET"]) for path in paths),
        *(Route(path, page, methods=["GET"]) for path in paths),
    ]


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)} | Airbyte emulator</title>"
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status)


def _time(epoch_s: float | None) -> str:
    return "-" if epoch_s is None else datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _link(connection: Connection, job_id: int) -> str:
    base = f"/workspaces/{connection.workspace_id}/connections/{connection.connection_id}"
    return f"{base}/timeline?jobId={job_id}"


def _connection_page(state: EmulatorState, connection: Connection) -> HTMLResponse:
    streams = "".join(
        f"<tr><td>{escape(s['stream']['name'])}</td>"
        f"<td>{escape(str(s['config'].get('syncMode', '')))}</td></tr>"
        for s in connection.selected_streams()
    )
    rows = []
    for job in reversed(state.jobs_for(connection.connection_id)):
        v = joblib.view(state, job)
        rows.append(
            f"<tr><td><a href='{_link(connection, job.job_id)}'>Job {job.job_id}</a></td>"
            f"<td class='{v.status}'>{v.status}</td><td>{len(v.attempts)}</td>"
            f"<td>{v.totals[1]:,}</td><td>{_time(v.created_at)}</td></tr>"
        )
    body = (
        f"<h1>{escape(connection.name)}</h1><p>Connection <code>{connection.connection_id}</code>, "
        f"status {escape(connection.status)}, schedule {escape(connection.schedule_type)}</p>"
        f"<h2>Streams</h2><table><tr><th>stream</th><th>sync mode</th></tr>{streams}</table>"
        "<h2>Job history</h2><table><tr><th>job</th><th>status</th><th>attempts</th><th>rows</th>"
        f"<th>created</th></tr>{''.join(rows) or '<tr><td colspan=5>No sync yet</td></tr>'}</table>"
    )
    return _page(connection.name, body)


def _job_page(state: EmulatorState, connection: Connection, v: joblib.JobView) -> HTMLResponse:
    job_id = v.job.job_id
    sections = []
    for attempt in v.attempts:
        streams = "".join(
            f"<tr><td>{escape(name)}</td><td>{escape(namespace or '')}</td>"
            f"<td>{rc:,}</td><td>{bc:,}</td></tr>"
            for name, namespace, _re, rc, _be, bc in attempt.stream_stats
        )
        failure = ""
        if attempt.failure:
            message = attempt.failure["failures"][0].get("externalMessage") or ""
            failure = f"<p class='failed'>Failure: {escape(str(message))}</p>"
        log = "\n".join(escape(line) for line in joblib.log_lines(v, attempt))
        sections.append(
            f"<h2>Attempt {attempt.number}: <span class='{attempt.status}'>{attempt.status}</span></h2>"
            f"<p>{_time(attempt.created_at)} to {_time(attempt.ended_at)}</p>{failure}"
            "<table><tr><th>stream</th><th>namespace</th><th>rows committed</th><th>bytes committed</th></tr>"
            f"{streams}</table><h3>Logs</h3><pre>{log}</pre>"
        )
    _re, rows, _be, size = v.totals
    body = (
        f"<p><a href='/workspaces/{connection.workspace_id}/connections/{connection.connection_id}/status'>"
        f"{escape(connection.name)}</a></p><h1>Job {job_id}: <span class='{v.status}'>{v.status}</span></h1>"
        f"<p>{v.job.config_type}, {len(v.attempts)} attempt(s), {rows:,} rows and {size:,} bytes committed; "
        f"created {_time(v.created_at)}, ended {_time(v.ended_at)}</p>"
        + ("".join(sections) or "<p>No attempt has started yet.</p>")
    )
    return _page(f"Job {job_id} of {connection.name}", body)
