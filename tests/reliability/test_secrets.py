"""Fault matrix, part 5: secrets never leave the process — scanned, not assumed.

Canary values for a password, a client secret, a static token and a webhook URL are set through
environment variables, exactly as a deployment would, and used for real: three emulators each require
one of them, and a fourth resource sends a canary password Airbyte rejects. Then everything a user or
an attacker with UI access could read is collected and searched for the canaries (and for the basic-auth
header and the access tokens Airbyte issued):

* every file under ``DAGSTER_HOME`` after a real ``dagster asset materialize`` run (event log, run
  storage, compute logs of each step process), and that command's own output;
* GraphQL answers about the run, its logs, the assets, their materializations, the resources and the
  sensors (``dagster_graphql`` against an out-of-process code location on the same instance);
* the output of ``airbyte-ops check``, ``connections`` and ``sync`` (a failing one included);
* the messages of the exceptions the resource raises.

Each scanned text is also checked to contain something expected (a job id, a variable's name), so an
empty answer cannot pass for a clean one.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from dagster_airbyte_ops import AirbyteResource
from dagster_airbyte_ops.emulator import EmulatorServer, EmulatorSettings
from dagster_airbyte_ops.errors import AirbyteOpsError

CANARY_PASSWORD = "canary-pw-5f1d0c7e"
CANARY_SECRET = "canary-client-secret-9b2a"
CANARY_TOKEN = "canary-static-token-4e8c"
CANARY_WEBHOOK = "https://hooks.example.com/services/T000/B000/canary-webhook-77aa"
CANARY_WRONG_PASSWORD = "canary-rejected-pw-31c6"
ENV = {
    "AIRBYTE_PASSWORD": CANARY_PASSWORD,
    "RELIABILITY_CLIENT_SECRET": CANARY_SECRET,
    "RELIABILITY_TOKEN": CANARY_TOKEN,
    "ALERT_WEBHOOK_URL": CANARY_WEBHOOK,
    "RELIABILITY_WRONG_PASSWORD": CANARY_WRONG_PASSWORD,
}
CLI_TIMEOUT_S = 240

CONFIG = """
airbyte:
  url: "{url}"
  api: config
  auth: {{basic: {{username: airbyte, password: {{env: AIRBYTE_PASSWORD}}}}}}
  retry_backoff_s: 0.01
  poll_interval_s: 0.2
connections:
  - name: "PostgreSQL → MinIO"
  - name: "MSSQL → S3"
alerts:
  webhooks:
    - url: {{env: ALERT_WEBHOOK_URL}}
      on: [failed, succeeded]
"""

DEFS = """
import os

import dagster as dg

from dagster_airbyte_ops import AirbyteResource
from dagster_airbyte_ops.config import load_config
from dagster_airbyte_ops.definitions import build_definitions

FAST = {{"retry_backoff_s": 0.01, "poll_interval_s": 0.2, "max_retries": 1}}


@dg.asset
def crm_by_client_credentials(airbyte_cc: AirbyteResource) -> dg.MaterializeResult:
    result = airbyte_cc.sync("{crm}")
    return dg.MaterializeResult(metadata={{"job": result.job_id, "url": result.job_url}})


@dg.asset
def shop_by_token(airbyte_token: AirbyteResource) -> dg.MaterializeResult:
    result = airbyte_token.sync("{shop}")
    return dg.MaterializeResult(metadata={{"job": result.job_id}})


@dg.asset
def rejected_password(airbyte_rejected: AirbyteResource) -> None:
    airbyte_rejected.sync("{crm}")


defs = dg.Definitions.merge(
    build_definitions(load_config("{config}"), snapshot_dir="{snapshots}"),
    dg.Definitions(
        assets=[crm_by_client_credentials, shop_by_token, rejected_password],
        resources={{
            "airbyte_cc": AirbyteResource(
                url="{cc_url}", api="public", client_id="emulator-client-id",
                client_secret=dg.EnvVar("RELIABILITY_CLIENT_SECRET"), **FAST,
            ),
            "airbyte_token": AirbyteResource(url="{token_url}", token=dg.EnvVar("RELIABILITY_TOKEN"), **FAST),
            "airbyte_rejected": AirbyteResource(
                url="{basic_url}",
                username="airbyte",
                password=dg.EnvVar("RELIABILITY_WRONG_PASSWORD"),
                **FAST,
            ),
        }},
    ),
)
"""


class Scene:
    """The emulators, files and outputs of one run of everything, shared by the module's tests."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "dagster_home"
        self.home.mkdir()
        self.basic = EmulatorServer(
            EmulatorSettings(auth="basic", password=CANARY_PASSWORD, default_job_duration_s=0.5)
        )
        self.cc = EmulatorServer(
            EmulatorSettings(
                auth="client_credentials", client_secret=CANARY_SECRET, default_job_duration_s=0.5
            )
        )
        self.token = EmulatorServer(
            EmulatorSettings(auth="bearer", token=CANARY_TOKEN, default_job_duration_s=0.5)
        )
        self.servers = [self.basic, self.cc, self.token]
        self.config = root / "airbyte_ops.yaml"
        self.config.write_text(CONFIG.format(url=self.basic.url))
        self.defs = root / "defs.py"
        self.defs.write_text(
            DEFS.format(
                crm=self._connection(self.cc, "CRM API → Postgres", api="public"),
                shop=self._connection(self.token, "Shop Orders → SQLite"),
                config=self.config,
                snapshots=root / "snapshots",
                cc_url=self.cc.url,
                token_url=self.token.url,
                basic_url=self.basic.url,
            )
        )
        mssql = self._connection(self.basic, "MSSQL → S3")
        # A failing sync whose Airbyte message the user must read (and which must carry no secret).
        self.basic.admin.set_behaviour(
            mssql, outcome="failed", duration_s=0.3, failure_message="Login failed for user 'sa'"
        )
        self.env = {
            **os.environ,
            **ENV,
            "DAGSTER_HOME": str(self.home),
            "AIRBYTE_OPS_CONFIG": str(self.config),
        }
        self.env.pop("PYTHONWARNINGS", None)

    def _connection(self, server: EmulatorServer, name: str, api: str = "config") -> str:
        credentials = server.settings.client_credentials()
        client = AirbyteResource(url=server.url, api=api, retry_backoff_s=0.01, **credentials).get_client()
        workspace = client.list_workspaces()[0].id
        return next(c.id for c in client.list_connections(workspace) if c.name == name)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_S,
            check=False,
        )

    def canaries(self) -> list[str]:
        issued = [value for server in self.servers for value in list(server.state.tokens)]
        basic_header = base64.b64encode(f"airbyte:{CANARY_PASSWORD}".encode()).decode()
        rejected_header = base64.b64encode(f"airbyte:{CANARY_WRONG_PASSWORD}".encode()).decode()
        return [*ENV.values(), basic_header, rejected_header, *issued]

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    saved = {key: os.environ.get(key) for key in ENV}
    os.environ.update(ENV)  # the GraphQL code server inherits them, as a deployed one would
    built = Scene(tmp_path_factory.mktemp("secrets"))
    try:
        yield built
    finally:
        built.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def materialized(scene: Scene) -> dict[str, Any]:
    """A real `dagster asset materialize` of every asset: step processes, compute logs, event log."""
    done = scene.run(
        sys.executable, "-m", "dagster", "asset", "materialize", "-f", str(scene.defs), "--select", "*"
    )
    instance = dg.DagsterInstance.from_config(str(scene.home))
    [run] = instance.get_runs()
    return {
        "output": done.stdout + done.stderr,
        "run_id": run.run_id,
        "instance": instance,
        "status": run.status,
    }


def assert_clean(what: str, text: str, canaries: list[str]) -> None:
    leaked = [c for c in canaries if c in text]
    assert not leaked, f"{what} leaks {leaked}"


def test_the_run_used_every_secret_and_failed_only_where_it_should(scene, materialized):
    instance = materialized["instance"]
    records = instance.get_records_for_run(materialized["run_id"]).records
    failures = {
        r.event_log_entry.step_key: r.event_log_entry.dagster_event.step_failure_data.error.message
        for r in records
        if r.event_log_entry.dagster_event
        and r.event_log_entry.dagster_event.event_type_value == "STEP_FAILURE"
    }
    assert set(failures) == {"airbyte_sync_mssql_s3", "rejected_password"}, materialized["output"][-3000:]
    assert "Login failed for user 'sa'" in failures["airbyte_sync_mssql_s3"]
    assert "credentials rejected" in failures["rejected_password"]
    materialized_keys = {
        r.event_log_entry.dagster_event.asset_key.to_user_string()
        for r in records
        if r.event_log_entry.dagster_event
        and r.event_log_entry.dagster_event.event_type_value == "ASSET_MATERIALIZATION"
    }
    assert {"crm_by_client_credentials", "shop_by_token", "public/customers"} <= materialized_keys
    assert scene.cc.state.tokens, "the client-credentials resource never fetched a token"


def test_dagster_home_and_run_output_hold_no_secret(scene, materialized):
    scanned = 0
    for path in scene.home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            scanned += len(data)
            for canary in scene.canaries():
                assert canary.encode() not in data, f"{path.relative_to(scene.home)} holds {canary!r}"
    compute_logs = [p for p in scene.home.rglob("*") if p.suffix in (".out", ".err", ".complete")]
    assert compute_logs, "no compute logs were captured"
    assert scanned > 10_000
    assert_clean("dagster asset materialize output", materialized["output"], scene.canaries())
    assert "Login failed for user 'sa'" in materialized["output"]


GRAPHQL_RUN = """
query ($runId: ID!) {
  runOrError(runId: $runId) {
    ... on Run { runId status runConfigYaml tags { key value } }
  }
  logsForRun(runId: $runId, limit: 100000) {
    ... on EventConnection {
      events {
        __typename
        ... on MessageEvent { message level stepKey }
        ... on MaterializationEvent { assetKey { path } metadataEntries { ...entry } }
        ... on ExecutionStepFailureEvent { error { message stack causes { message stack } } }
        ... on RunFailureEvent { error { message stack } }
      }
    }
  }
}
fragment entry on MetadataEntry {
  label description
  ... on TextMetadataEntry { text }
  ... on UrlMetadataEntry { url }
  ... on JsonMetadataEntry { jsonString }
  ... on IntMetadataEntry { intValue }
}
"""

GRAPHQL_DEFINITIONS = """
query {
  assetNodes {
    assetKey { path } description groupName opName
    metadataEntries { ...entry }
    assetMaterializations { runId metadataEntries { ...entry } }
  }
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes {
        name
        allTopLevelResourceDetails {
          name description
          configFields { name description }
          configuredValues { key value type }
        }
        sensors { name description }
        schedules { name description }
      }
    }
  }
}
fragment entry on MetadataEntry {
  label description
  ... on TextMetadataEntry { text }
  ... on UrlMetadataEntry { url }
  ... on JsonMetadataEntry { jsonString }
}
"""


def test_graphql_answers_hold_no_secret(scene, materialized):
    from dagster_graphql.test.utils import define_out_of_process_context, execute_dagster_graphql

    instance = materialized["instance"]
    with define_out_of_process_context(str(scene.defs), None, instance) as context:
        run = execute_dagster_graphql(context, GRAPHQL_RUN, {"runId": materialized["run_id"]})
        definitions = execute_dagster_graphql(context, GRAPHQL_DEFINITIONS)
    run_text = json.dumps(run.data)
    definitions_text = json.dumps(definitions.data)
    assert_clean("GraphQL run and logs", run_text, scene.canaries())
    assert_clean("GraphQL assets, resources and sensors", definitions_text, scene.canaries())
    # The answers are about what they should be: the failure, the job links, the variables' names.
    assert "Login failed for user 'sa'" in run_text and "jobId=" in run_text
    assert "RELIABILITY_CLIENT_SECRET" in definitions_text and "AIRBYTE_PASSWORD" in definitions_text
    assert "airbyte_alerts" in definitions_text  # the webhook's sensor is there, without its URL


def test_cli_output_holds_no_secret(scene):
    outputs = []
    for args in (["check"], ["connections"], ["sync", "PostgreSQL → MinIO"], ["sync", "MSSQL → S3"]):
        done = scene.run(sys.executable, "-m", "dagster_airbyte_ops.cli", *args)
        outputs.append((args, done.returncode, done.stdout + done.stderr))
    for args, _, text in outputs:
        assert_clean(f"airbyte-ops {' '.join(args)}", text, scene.canaries())
    codes = {args[-1]: code for args, code, _ in outputs}
    assert codes == {"check": 0, "connections": 0, "PostgreSQL → MinIO": 0, "MSSQL → S3": 1}, outputs
    assert "Login failed for user 'sa'" in outputs[-1][2]


def test_exception_messages_hold_no_secret(scene):
    messages, kinds = [], []
    for resource in (
        AirbyteResource(
            url=scene.basic.url, username="airbyte", password=CANARY_WRONG_PASSWORD, max_retries=0
        ),
        AirbyteResource(
            url=scene.cc.url, client_id="emulator-client-id", client_secret="not-" + CANARY_SECRET
        ),
        AirbyteResource(url=scene.token.url, token=CANARY_TOKEN + "-revoked", max_retries=0),
        AirbyteResource(
            url="http://127.0.0.1:9", username="airbyte", password=CANARY_PASSWORD, max_retries=0
        ),
    ):
        with pytest.raises(AirbyteOpsError) as raised:
            resource.sync("4a501211-a0e4-535d-8b0b-a4322ba47b01")
        error = raised.value
        messages.append("\n".join([str(error), repr(error), error.description or "", repr(resource)]))
        kinds.append(type(error).__name__)
    assert_clean("exception messages", "\n".join(messages), scene.canaries())
    assert kinds == ["AirbyteAuthError", "AirbyteAuthError", "AirbyteAuthError", "AirbyteApiError"]


def test_tls_is_verified_by_default_and_turning_it_off_warns(caplog):
    from dagster_airbyte_ops.config import parse_config
    from dagster_airbyte_ops.definitions import build_load_time_resource, build_resource

    default = AirbyteResource(url="https://airbyte.example.com")
    assert default.verify_tls is True
    with caplog.at_level("WARNING"):
        assert default.get_client().transport.verify_tls is True
    assert "verify_tls" not in caplog.text

    config = parse_config(
        "airbyte:\n  url: https://airbyte.example.com\n  verify_tls: false\n", "airbyte_ops.yaml"
    )
    assert build_resource(config).verify_tls is False
    with caplog.at_level("WARNING"):
        client = build_load_time_resource(config).get_client()
    assert client.transport.verify_tls is False
    assert "verify_tls is false: Airbyte's TLS certificate is not checked" in caplog.text
