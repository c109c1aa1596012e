# ruff: noqa: E501  (each expected message is kept on one line, as the user reads it)
"""Bad declarations, each with its exact message (file: field.path: problem; fix).

Load-time problems come from the file alone; the others from the connector's specification and the
source's discovered catalog, read from Airbyte before anything is written (the source exists here, so
streams are checked at plan time too).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from tests.manage.helpers import declarations


def _edit(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = declarations()
    change(data)
    return data


def src(**cfg: Any) -> dict[str, Any]:
    return _edit(lambda d: d["sources"][0]["configuration"].update(cfg))


def stream(**kw: Any) -> dict[str, Any]:
    return _edit(lambda d: d["connections"][0]["declare"]["streams"][0].update(kw))


def declare(**kw: Any) -> dict[str, Any]:
    return _edit(lambda d: d["connections"][0]["declare"].update(kw))


def _select_by_match(d: dict[str, Any]) -> None:
    d["connections"][0].pop("name")
    d["connections"][0]["match"] = "Shop*"


SPEC = "sources[0].configuration"
MODES = "full_refresh_overwrite, full_refresh_append, incremental_append, incremental_deduped_history"
CASES: dict[str, tuple[dict[str, Any], str]] = {
    "unknown-key": (
        src(hots="x"),
        f'{SPEC}.hots: not a field of the Postgres connector; did you mean "host"?',
    ),
    "missing-required": (
        _edit(lambda d: d["sources"][0]["configuration"].pop("database")),
        f"{SPEC}.database: required by the Postgres connector; add it",
    ),
    "text-for-integer": (
        src(port="5432"),
        f'{SPEC}.port: "5432" is text, the Postgres connector expects an integer; write it without quotes',
    ),
    "integer-for-text": (
        src(database=5),
        f"{SPEC}.database: 5 is an integer, the Postgres connector expects text; quote it",
    ),
    "above-maximum": (src(port=70000), f"{SPEC}.port: 70000 is above the maximum 65536; lower it"),
    "unknown-alternative": (
        src(ssl_mode={"mode": "sometimes"}),
        f'{SPEC}.ssl_mode.mode: "sometimes" is not allowed; use one of "disable", "allow", "prefer", "require", '
        '"verify-ca", "verify-full"',
    ),
    "alternative-not-chosen": (
        src(ssl_mode={}),
        f'{SPEC}.ssl_mode.mode: required: choose one of "disable", "allow", "prefer", "require", "verify-ca", '
        '"verify-full"',
    ),
    "alternative-field-missing": (
        src(ssl_mode={"mode": "verify-ca"}),
        f"{SPEC}.ssl_mode.ca_certificate: required by the Postgres connector; add it",
    ),
    "enum": (
        src(
            replication_method={
                "method": "CDC",
                "replication_slot": "s",
                "publication": "p",
                "plugin": "wal2json",
            }
        ),
        f'{SPEC}.replication_method.plugin: "wal2json" is not allowed; use one of "pgoutput"',
    ),
    "literal-secret-by-name": (
        src(password="hunter2"),
        f"{SPEC}.password: a secret must come from the environment, not the file: write {{env: VARIABLE_NAME}} "
        "and export VARIABLE_NAME",
    ),
    "literal-secret-by-spec": (
        src(ssl_mode={"mode": "verify-ca", "ca_certificate": "-----BEGIN CERTIFICATE-----"}),
        f"{SPEC}.ssl_mode.ca_certificate: the Postgres connector marks this field secret; write {{env: VARIABLE_NAME}} "
        "instead of a value in the file",
    ),
    "variable-unset": (
        src(password={"env": "NOT_SET_ANYWHERE"}),
        f"{SPEC}.password: environment variable NOT_SET_ANYWHERE is not set; export it before running",
    ),
    "variable-not-an-integer": (
        src(port={"env": "PG_PASSWORD"}),
        f"{SPEC}.port: environment variable PG_PASSWORD does not hold an integer, which the Postgres connector "
        "expects here; set it to one",
    ),
    "unknown-connector": (
        _edit(lambda d: d["sources"][0].update(connector="Postgress")),
        'sources[0].connector: "Postgress" is not a source connector of this Airbyte; did you mean "Postgres"?',
    ),
    "destination-unknown-key": (
        _edit(lambda d: d["destinations"][0]["configuration"].update(destination_pth="/local/x")),
        "destinations[0].configuration.destination_pth: not a field of the Local SQLite connector; "
        'did you mean "destination_path"?',
    ),
    "destination-missing-required": (
        _edit(lambda d: d["destinations"][0].update(configuration={})),
        "destinations[0].configuration.destination_path: required by the Local SQLite connector; add it",
    ),
    "duplicate-source": (
        _edit(lambda d: d["sources"].append(copy.deepcopy(d["sources"][0]))),
        'sources[1].name: "Shop Postgres" is already declared by sources[0]; Airbyte names must be unique here',
    ),
    "undeclared-source": (
        declare(source="Shop PG"),
        'connections[0].declare.source: "Shop PG" is not in sources:; did you mean "Shop Postgres"?',
    ),
    "declared-by-match": (
        _edit(_select_by_match),
        'connections[0].match: a declared connection is selected by name; write name: "..." instead of match:',
    ),
    "custom-format-without-format": (
        declare(namespace="custom_format"),
        "connections[0].declare: namespace: custom_format needs namespace_format, e.g. namespace_format: "
        '"crm_${SOURCE_NAMESPACE}"',
    ),
    "unknown-sync-mode": (
        stream(sync_mode="incremental"),
        f'connections[0].declare.streams[0].sync_mode: "incremental" is not one of {MODES}; '
        'did you mean "incremental_append"?',
    ),
    "no-streams": (declare(streams=[]), "connections[0].declare.streams: must not be empty"),
    "stream-not-in-catalog": (
        stream(name="ordres"),
        'connections[0].declare.streams[0].name: the source has no stream "ordres"; did you mean "orders"?',
    ),
    "dedup-not-supported-by-destination": (
        stream(sync_mode="incremental_deduped_history"),
        "connections[0].declare.streams[0].sync_mode: the destination does not support append_dedup "
        "(it supports overwrite, append); choose another sync mode",
    ),
    "cursor-not-a-column": (
        stream(cursor_field="changed_at"),
        'connections[0].declare.streams[0].cursor_field: the stream "orders" has no column "changed_at"; '
        'did you mean "updated_at"?',
    ),
    "schedule-unknown-key": (
        declare(airbyte_schedule={"cron": "0 0 2 * * ?", "tz": "UTC"}),
        "connections[0].declare.airbyte_schedule.tz: unknown key; the keys here are: cron, timezone",
    ),
}


@pytest.fixture
def existing_source(managed):
    """The source and destination exist (so streams are checked at plan time); nothing else."""
    server, runner = managed
    runner.write(declarations(connections=[]))
    assert runner.run("apply", "--yes")[0] == 0
    return server, runner


@pytest.mark.parametrize(("data", "message"), list(CASES.values()), ids=list(CASES))
def test_bad_declaration_has_its_exact_message(existing_source, data, message):
    server, runner = existing_source
    before = {a.actor_id: dict(a.configuration) for a in server.state.actors.values()}
    runner.write(data)
    code, out = runner.run("plan")
    assert code == 1
    lines = [line.strip() for line in out.splitlines()]
    assert message in lines or f"airbyte-ops: {runner.path}: {message}" in lines, out
    code, _ = runner.run("apply", "--yes")
    assert code == 1
    assert {a.actor_id: dict(a.configuration) for a in server.state.actors.values()} == before  # no write
    assert not server.state.live_connections()


def test_every_problem_at_once(existing_source):
    _, runner = existing_source
    runner.write(src(port="5432", hots="x", ssl_mode={"mode": "sometimes"}))
    code, out = runner.run("plan")
    assert code == 1
    for fragment in (".port:", ".hots:", ".ssl_mode.mode:"):
        assert any(line.strip().startswith(SPEC + fragment) for line in out.splitlines()), fragment


def test_incremental_needs_a_stream_that_supports_it(managed):
    _, runner = managed
    data = declarations()
    data["sources"][0] = {
        "name": "Rates file",
        "connector": "File (CSV, JSON, Excel, Feather, Parquet)",
        "configuration": {
            "dataset_name": "rates",
            "format": "csv",
            "url": "https://example.com/rates.csv",
            "provider": {"storage": "HTTPS"},
        },
    }
    data["connections"][0]["declare"]["source"] = "Rates file"
    data["connections"][0]["declare"]["streams"] = [{"name": "rates", "sync_mode": "incremental_append"}]
    runner.write(data)
    code, out = runner.run("apply", "--yes")
    assert code == 1
    assert (
        "connections[0].declare.streams[0].sync_mode: incremental_append needs incremental reads, which the "
        'stream "rates" does not support; use full_refresh_overwrite or full_refresh_append'
    ) in [line.strip() for line in out.splitlines()]
    data["connections"][0]["declare"]["streams"] = [{"name": "rates", "sync_mode": "full_refresh_overwrite"}]
    runner.write(data)
    assert runner.run("apply", "--yes")[0] == 0
    assert runner.run("plan")[0] == 0


@pytest.mark.parametrize("managed", ["public"], indirect=True)
def test_public_api_leaves_validation_to_airbyte_and_shows_its_refusal(managed):
    server, runner = managed
    runner.write(src(port="5432"))
    code, out = runner.run("plan")
    assert code == 2
    assert "this Airbyte serves no connector specifications (the public API has none)" in out
    code, out = runner.run("apply", "--yes")
    assert code == 1
    lines = [line.strip() for line in out.splitlines()]
    assert f"{SPEC}.port: Airbyte refused it: string found, integer expected" in lines, out
    assert not server.state.actors


def test_every_file_problem_of_a_configuration_at_once(tmp_path):
    from dagster_airbyte_ops.config import parse_config
    from dagster_airbyte_ops.errors import ConfigError

    data = src(password="hunter2", token="abc", port={"env": "NOT_SET_ANYWHERE"})
    with pytest.raises(ConfigError) as raised:
        parse_config(yaml.safe_dump(data, allow_unicode=True), environ={"AIRBYTE_URL": "http://x"})
    lines = str(raised.value).splitlines()
    assert (
        f"airbyte_ops.yaml: {SPEC}.port: environment variable NOT_SET_ANYWHERE is not set; export it before running"
        in lines
    )
    assert any(line.startswith(f"airbyte_ops.yaml: {SPEC}.password: a secret must") for line in lines)
    assert any(line.startswith(f"airbyte_ops.yaml: {SPEC}.token: a secret must") for line in lines)
    assert "hunter2" not in str(raised.value)
