"""Auth modes and version-profile differences."""

from __future__ import annotations

import pytest
import requests

from dagster_airbyte_ops.emulator import EmulatorServer, EmulatorSettings

from .helpers import config_post, connection_by_name

CREDS = {
    "client_id": "emulator-client-id",
    "client_secret": "emulator-client-secret",
    "grant-type": "client_credentials",
}


@pytest.mark.emulator(auth="basic")
def test_basic_auth(emulator: EmulatorServer) -> None:
    assert config_post(emulator.url, "workspaces/list").status_code == 401
    assert config_post(emulator.url, "workspaces/list", auth=("airbyte", "wrong")).status_code == 401
    ok = config_post(emulator.url, "workspaces/list", auth=("airbyte", "password"))
    assert ok.status_code == 200
    assert requests.get(f"{emulator.public_api_url}/workspaces", auth=("airbyte", "password"), timeout=5).ok
    assert requests.get(f"{emulator.url}/api/v1/health", timeout=5).ok  # open
    assert requests.get(f"{emulator.url}/_emulator/state", timeout=5).ok  # open


@pytest.mark.emulator(auth="bearer", token="s3cret")
def test_static_bearer(emulator: EmulatorServer) -> None:
    assert requests.get(f"{emulator.public_api_url}/workspaces", timeout=5).status_code == 401
    headers = {"Authorization": "Bearer s3cret"}
    assert requests.get(f"{emulator.public_api_url}/workspaces", headers=headers, timeout=5).ok


@pytest.mark.emulator(auth="client_credentials", token_lifetime_s=60)
def test_client_credentials_tokens(emulator: EmulatorServer) -> None:
    token_url = f"{emulator.public_api_url}/applications/token"
    as_json = requests.post(token_url, json=CREDS, timeout=5).json()
    assert as_json["token_type"] == "Bearer" and as_json["expires_in"] == 60
    as_form = requests.post(token_url, data=CREDS, timeout=5)
    assert as_form.status_code == 200
    bad = requests.post(token_url, json={**CREDS, "client_secret": "nope"}, timeout=5)
    assert bad.status_code == 401
    assert requests.post(token_url, json={"client_id": "x"}, timeout=5).status_code == 400
    headers = {"Authorization": f"Bearer {as_json['access_token']}"}
    assert requests.get(f"{emulator.public_api_url}/connections", headers=headers, timeout=5).ok
    # Tokens are also accepted by the Config API.
    assert config_post(emulator.url, "workspaces/list", headers=headers).ok
    assert emulator.admin.expire_tokens() == 2
    assert (
        requests.get(f"{emulator.public_api_url}/connections", headers=headers, timeout=5).status_code == 401
    )


def test_token_lifetime_follows_profile() -> None:
    assert EmulatorSettings(airbyte_version="0.50").effective_token_lifetime_s == 180
    assert EmulatorSettings(airbyte_version="1.6").effective_token_lifetime_s == 900
    assert EmulatorSettings(airbyte_version="2.0", token_lifetime_s=5).effective_token_lifetime_s == 5
    with pytest.raises(ValueError):
        EmulatorServer(EmulatorSettings(airbyte_version="9.9"), start=False)


@pytest.mark.emulator(airbyte_version="2.0")
def test_profile_2_0(emulator: EmulatorServer) -> None:
    assert config_post(emulator.url, "workspaces/list").status_code == 404
    cid = connection_by_name(emulator.url, "MSSQL → S3")["connectionId"]
    emulator.admin.set_behaviour(cid, outcome="stuck")
    config_post(emulator.url, "connections/sync", {"connectionId": cid})
    conflict = config_post(emulator.url, "connections/sync", {"connectionId": cid}).json()
    assert set(conflict) == {"message", "errorId"}
    assert conflict["message"] == f"A sync is already running for: {cid}"
    assert (
        requests.get(f"{emulator.url}/api/v1/instance_configuration", timeout=5).json()["version"] == "2.0.0"
    )


@pytest.mark.emulator(airbyte_version="0.50")
def test_profile_0_50(emulator: EmulatorServer) -> None:
    assert config_post(emulator.url, "workspaces/list").ok
    cid = connection_by_name(emulator.url, "MSSQL → S3")["connectionId"]
    emulator.admin.set_behaviour(cid, outcome="stuck")
    config_post(emulator.url, "connections/sync", {"connectionId": cid})
    conflict = config_post(emulator.url, "connections/sync", {"connectionId": cid}).json()
    assert {"message", "exceptionClassName", "exceptionStack"} <= set(conflict)
    token = requests.post(f"{emulator.public_api_url}/applications/token", json=CREDS, timeout=5).json()
    assert token["expires_in"] == 180
