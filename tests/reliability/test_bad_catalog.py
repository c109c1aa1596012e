"""A catalog property type the translator cannot read fails `check` and loading alike (issue 14, case 8).

`{"type": 42}` in a stream's JSON schema was a TypeError from `dagster definitions validate` while
`airbyte-ops check` exited 0. Both now stop with the same one-line message naming the connection,
the stream and the field, raised where Airbyte's answer is read.
"""

from __future__ import annotations

import copy
import json

import pytest

from dagster_airbyte_ops.cli import main
from dagster_airbyte_ops.client import AirbyteClient
from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.definitions import build_definitions
from dagster_airbyte_ops.errors import AirbyteOpsError

CONFIG = "airbyte: {{url: '{url}', api: config, retry_backoff_s: 0.01}}\nconnections: [{{match: '*'}}]\n"


def test_a_column_type_of_42_fails_check_and_definitions_with_the_same_message(
    emulator, tmp_path, monkeypatch, capsys
):
    with AirbyteClient(url=emulator.url, api="config") as client:
        workspace = client.list_workspaces()[0].id
        answer = client.transport.post("connections/list", {"workspaceId": workspace})
    bad = copy.deepcopy(answer)
    connection = bad["connections"][0]
    stream = connection["syncCatalog"]["streams"][0]["stream"]
    column = next(iter(stream["jsonSchema"]["properties"]))
    stream["jsonSchema"]["properties"][column]["type"] = 42
    expected = (
        f"field 'syncCatalog.streams[0].stream.jsonSchema.properties.{column}.type' of stream "
        f'"{stream["name"]}" is 42, not a JSON type name or a list of them in connection '
        f'"{connection["name"]}"'
    )
    emulator.admin.serve_body(json.dumps(bad), path="/api/v1/connections/list$", count=2)

    config = tmp_path / "airbyte_ops.yaml"
    config.write_text(CONFIG.format(url=emulator.url))
    monkeypatch.setenv("AIRBYTE_OPS_CONFIG", str(config))
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert expected in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err

    with pytest.raises(AirbyteOpsError) as raised:
        build_definitions(
            parse_config(config.read_text(), "airbyte_ops.yaml"), snapshot_dir=str(tmp_path / "snap")
        )
    assert expected in str(raised.value)
    assert not isinstance(raised.value.__cause__, TypeError)
