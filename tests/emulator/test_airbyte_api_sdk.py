"""Airbyte's official Python SDK (``airbyte-api``, generated from api.yaml) used unmodified."""

from __future__ import annotations

import pytest

from dagster_airbyte_ops.emulator import EmulatorServer

from .helpers import wait_for

airbyte_api = pytest.importorskip("airbyte_api")
from airbyte_api import api, models  # noqa: E402


@pytest.mark.emulator(auth="client_credentials")
def test_sdk_lists_creates_and_reads_a_job(emulator: EmulatorServer) -> None:
    settings = emulator.settings
    sdk = airbyte_api.AirbyteAPI(
        server_url=emulator.public_api_url,
        security=models.Security(
            client_credentials=models.SchemeClientCredentials(
                client_id=settings.client_id,
                client_secret=settings.client_secret,
                token_url=f"{emulator.public_api_url}/applications/token",
            )
        ),
    )
    workspaces = sdk.workspaces.list_workspaces(request=api.ListWorkspacesRequest())
    assert workspaces.workspaces_response is not None
    assert workspaces.workspaces_response.data[0].name == "Default Workspace"
    conns = sdk.connections.list_connections(request=api.ListConnectionsRequest(limit=2))
    assert conns.connections_response is not None
    page = conns.connections_response
    assert len(page.data) == 2 and page.next
    cid = page.data[0].connection_id
    emulator.admin.set_behaviour(cid, duration_s=0.4)
    created = sdk.jobs.create_job(
        request=models.JobCreateRequest(connection_id=cid, job_type=models.JobTypeEnum.SYNC)
    )
    assert created.job_response is not None
    job_id = created.job_response.job_id

    def succeeded() -> bool:
        got = sdk.jobs.get_job(request=api.GetJobRequest(job_id=job_id))
        assert got.job_response is not None
        return got.job_response.status == models.JobStatusEnum.SUCCEEDED

    wait_for(succeeded, timeout=5, interval=0.1)
    assert emulator.admin.count("/applications/token") == 1  # the token was reused, not re-fetched


def test_sdk_clear_is_answered_as_a_reset_and_refresh_is_refused(emulator: EmulatorServer) -> None:
    sdk = airbyte_api.AirbyteAPI(server_url=emulator.public_api_url)
    conns = sdk.connections.list_connections(request=api.ListConnectionsRequest(limit=1))
    assert conns.connections_response is not None
    cid = conns.connections_response.data[0].connection_id

    cleared = sdk.jobs.create_job(
        request=models.JobCreateRequest(connection_id=cid, job_type=models.JobTypeEnum.CLEAR)
    )
    assert cleared.job_response is not None
    assert cleared.job_response.job_type == models.JobTypeEnum.RESET

    with pytest.raises(airbyte_api.errors.SDKError) as refused:  # its error for an undeclared status
        sdk.jobs.create_job(
            request=models.JobCreateRequest(connection_id=cid, job_type=models.JobTypeEnum.REFRESH)
        )
    assert "422" in str(refused.value)
    assert "Refreshes are not supported in the public API" in str(refused.value)
    assert [j["configType"] for j in emulator.admin.jobs()] == ["reset_connection"]
