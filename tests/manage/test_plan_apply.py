"""plan / apply over real HTTP: create, field-by-field update, no-op, replace, prune, convergence, secrets."""

from __future__ import annotations

import copy
import json

import pytest

from tests.manage.helpers import CONNECTION, DESTINATION, PG_PASSWORD, SOURCE, declarations

both_apis = pytest.mark.parametrize("managed", ["config", "public"], indirect=True)


@both_apis
def test_create_then_no_op(managed):
    server, runner = managed
    runner.write(declarations())
    code, out = runner.run("plan")
    assert code == 2
    assert '+ source "Shop Postgres": create' in out and '+ connection "Shop → SQLite": create' in out
    code, out = runner.run("apply", "--yes")
    assert code == 0, out
    assert "Apply complete." in out
    sources = [a for a in server.state.actors.values() if a.kind == "source"]
    assert [s.name for s in sources] == ["Shop Postgres"]
    assert sources[0].configuration["password"] == PG_PASSWORD  # the secret reached Airbyte
    (conn,) = server.state.live_connections()
    assert conn.prefix == "shop_" and {s["stream"]["name"] for s in conn.sync_catalog} == {
        "orders",
        "customers",
    }
    orders = next(s for s in conn.sync_catalog if s["stream"]["name"] == "orders")
    assert orders["config"]["syncMode"] == "incremental" and orders["config"]["cursorField"] == ["updated_at"]
    code, out = runner.run("plan")
    assert code == 0, out
    assert "Plan: 0 to create, 0 to update (0 adopted), 0 to replace, 0 to delete, 3 unchanged." in out
    code, out = runner.run("apply", "--yes")
    assert code == 0 and "Nothing to apply." in out


@both_apis
def test_update_field_by_field(managed):
    server, runner = managed
    runner.write(declarations())
    assert runner.run("apply", "--yes")[0] == 0
    data = declarations()
    data["sources"][0]["configuration"]["host"] = "db2.internal"
    data["sources"][0]["configuration"].pop("ssl_mode")
    data["connections"][0]["declare"]["prefix"] = "raw_"
    data["connections"][0]["declare"]["streams"][1]["sync_mode"] = "full_refresh_append"
    runner.write(data)
    code, out = runner.run("plan")
    assert code == 2
    assert '      host: "db.internal" -> "db2.internal"' in out
    assert '      ssl_mode.mode: "prefer" -> (none)' in out
    assert '      prefix: "shop_" -> "raw_"' in out
    assert '      streams.customers.sync_mode: "full_refresh_overwrite" -> "full_refresh_append"' in out
    assert "password" not in out  # unchanged secrets are not listed
    assert runner.run("apply", "--yes")[0] == 0
    (source,) = [a for a in server.state.actors.values() if a.kind == "source"]
    assert source.configuration["host"] == "db2.internal" and "ssl_mode" not in source.configuration
    assert source.configuration["password"] == PG_PASSWORD  # kept through the full update
    assert runner.run("plan")[0] == 0


def test_secret_change_detected_and_never_printed(managed, monkeypatch):
    server, runner = managed
    runner.write(declarations())
    assert runner.run("apply", "--yes")[0] == 0
    monkeypatch.setenv("PG_PASSWORD", "rotated-" + PG_PASSWORD[::-1])
    code, out = runner.run("plan")
    assert code == 2 and "      password: (secret changed)" in out
    assert "rotated-" not in out
    code, out = runner.run("apply", "--yes")
    assert code == 0 and "rotated-" not in out
    (source,) = [a for a in server.state.actors.values() if a.kind == "source"]
    assert source.configuration["password"] == "rotated-" + PG_PASSWORD[::-1]
    assert runner.run("plan")[0] == 0
    state = (runner.path.parent / "state.json").read_text()
    assert "rotated-" not in state and "hmac-sha256:" in state


def test_replace_refused_without_the_flag(managed):
    server, runner = managed
    runner.write(declarations())
    assert runner.run("apply", "--yes")[0] == 0
    old_conn = server.state.live_connections()[0].connection_id
    data = declarations()
    data["destinations"][0] = {
        "name": "Local SQLite",
        "connector": "Postgres",
        "configuration": {
            "host": "wh.internal",
            "port": 5432,
            "database": "dw",
            "schema": "raw",
            "username": "loader",
        },
    }
    runner.write(data)
    code, out = runner.run("plan")
    assert code == 2
    assert '-/+ destination "Local SQLite": replace (delete, then create)' in out
    assert '-/+ connection "Shop → SQLite": replace (delete, then create)' in out
    code, out = runner.run("apply", "--yes")
    assert code == 1
    assert (
        'destination "Local SQLite": the connector changes to Postgres, which Airbyte cannot do in place; '
        "rerun with --replace to delete and recreate it (its connections lose their sync state and history)"
    ) in out
    assert server.state.live_connections()[0].connection_id == old_conn  # nothing written
    code, out = runner.run("apply", "--yes", "--replace")
    assert code == 0, out
    (conn,) = server.state.live_connections()
    assert conn.connection_id != old_conn
    assert runner.run("plan")[0] == 0


def test_prune_deletes_only_managed(managed):
    server, runner = managed
    runner.write(declarations())
    assert runner.run("apply", "--yes")[0] == 0
    wid = server.state.default_workspace_id
    # A source made by hand in Airbyte's UI: never touched.
    from tests.emulator.helpers import config_post

    made = config_post(
        server.url,
        "sources/create",
        {
            "workspaceId": wid,
            "name": "Hand made",
            "sourceDefinitionId": "decd338e-5647-4c0b-adf4-da0e75f5a750",
            "connectionConfiguration": {"host": "h", "port": 5432, "database": "d", "username": "u"},
        },
    ).json()
    runner.write(declarations(connections=[], destinations=[]))
    code, out = runner.run("plan")
    assert code == 0  # without --prune, undeclared managed resources are kept
    assert 'Note: connection "Shop → SQLite" is no longer declared; apply --prune deletes it' in out
    code, out = runner.run("plan", "--prune")
    assert code == 2
    assert '- connection "Shop → SQLite": delete' in out and '- destination "Local SQLite": delete' in out
    assert "Hand made" not in out
    assert runner.run("apply", "--yes", "--prune")[0] == 0
    names = {a.name for a in server.state.actors.values() if not a.tombstone}
    assert names == {"Shop Postgres", "Hand made"}
    assert server.state.source(made["sourceId"]) is not None
    assert not server.state.live_connections()
    assert runner.run("plan", "--prune")[0] == 0


def test_partial_failure_then_converge(managed):
    server, runner = managed
    data = declarations()
    data["connections"][0]["declare"]["streams"][0]["name"] = "ordres"  # checked once the source exists
    runner.write(data)
    code, out = runner.run("apply", "--yes")
    assert code == 1
    assert (
        'connections[0].declare.streams[0].name: the source has no stream "ordres"; did you mean "orders"?'
        in out
    )
    assert 'created source "Shop Postgres"' in out and not server.state.live_connections()
    runner.write(declarations())
    code, out = runner.run("plan")
    assert code == 2 and '  + connection "Shop → SQLite": create' in out
    assert 'source "Shop Postgres": no change' in out  # recorded: not created twice
    assert runner.run("apply", "--yes")[0] == 0
    assert len([a for a in server.state.actors.values() if a.kind == "source"]) == 1
    assert runner.run("plan")[0] == 0


def test_adopt_hand_made_resources_without_recreating(managed):
    server, runner = managed
    runner.write(declarations())
    assert runner.run("apply", "--yes")[0] == 0
    ids = {a.actor_id for a in server.state.actors.values()}
    conn_id = server.state.live_connections()[0].connection_id
    (runner.path.parent / "state.json").unlink()  # as if the resources had been made by hand
    code, out = runner.run("plan")
    assert code == 2
    assert '~ source "Shop Postgres": adopt (update in place, then manage)' in out
    assert "      password: (secret changed)" in out  # no fingerprint yet: written once more
    assert runner.run("apply", "--yes")[0] == 0
    assert {a.actor_id for a in server.state.actors.values()} == ids
    assert server.state.live_connections()[0].connection_id == conn_id
    assert runner.run("plan")[0] == 0


def test_apply_off_a_terminal_needs_yes(managed):
    server, runner = managed
    runner.write(declarations())
    code, out = runner.run("apply")
    assert code == 1
    assert "Not applied: not on a terminal, so nobody can confirm; rerun with --yes to apply this plan" in out
    assert not server.state.actors


def test_check_connection_failure_stops_apply(managed):
    server, runner = managed
    data = declarations()
    data["sources"][0]["configuration"]["host"] = "db.example.invalid"
    runner.write(data)
    code, out = runner.run("apply", "--yes")
    assert code == 1
    assert 'sources[0]: created source "Shop Postgres"' in out
    assert "but Airbyte cannot connect with it: Could not connect with provided configuration." in out
    assert not server.state.live_connections()


def test_state_file_lists_ids_and_fingerprints_only(managed):
    _, runner = managed
    runner.write(declarations())
    assert runner.run("apply", "--yes")[0] == 0
    state = json.loads((runner.path.parent / "state.json").read_text())
    src = state["resources"]["source/Shop Postgres"]
    assert set(src) == {"id", "secrets"} and set(src["secrets"]) == {"password"}
    assert src["secrets"]["password"].startswith("hmac-sha256:")
    assert copy.deepcopy(SOURCE)["name"] == "Shop Postgres" and DESTINATION and CONNECTION


def test_prune_refuses_a_source_a_hand_made_connection_uses(managed):
    server, runner = managed
    runner.write(declarations(connections=[]))
    assert runner.run("apply", "--yes")[0] == 0
    from tests.emulator.helpers import config_post

    source = next(a for a in server.state.actors.values() if a.kind == "source")
    destination = next(a for a in server.state.actors.values() if a.kind == "destination")
    made = config_post(
        server.url,
        "connections/create",
        {
            "sourceId": source.actor_id,
            "destinationId": destination.actor_id,
            "status": "active",
            "name": "By hand",
        },
    )
    assert made.ok
    runner.write(declarations(sources=[], destinations=[], connections=[]))
    code, out = runner.run("plan", "--prune")
    assert code == 1
    assert (
        'source "Shop Postgres": connection "By hand", which this file does not manage, uses it; deleting it '
        "would disable that connection: delete or re-point the connection first"
    ) in out
    assert runner.run("apply", "--yes", "--prune")[0] == 1
    assert server.state.source(source.actor_id) is not None


@both_apis
def test_airbyte_failing_mid_apply_then_rerun_converges(managed):
    server, runner = managed
    data = declarations()
    data["airbyte"]["max_retries"] = 0
    runner.write(data)
    # A 500 on the connection's creation (Config API connections/create, public POST /connections).
    server.admin.add_fault("status", path=r"connections(/create)?$", method="POST", count=1, status=500)
    code, out = runner.run("apply", "--yes")
    assert code == 1, out
    assert 'created source "Shop Postgres"' in out and 'created destination "Local SQLite"' in out
    assert "Apply stopped:" in out and not server.state.live_connections()
    code, out = runner.run("apply", "--yes")
    assert code == 0, out
    assert 'created connection "Shop → SQLite"' in out and "created source" not in out
    kinds = sorted(a.kind for a in server.state.actors.values())
    assert kinds == ["destination", "source"] and len(server.state.live_connections()) == 1
    assert runner.run("plan")[0] == 0


def test_rename_in_airbyte_and_the_file_keeps_the_resource(managed):
    server, runner = managed
    runner.write(declarations())
    assert runner.run("apply", "--yes")[0] == 0
    source = next(a for a in server.state.actors.values() if a.kind == "source")
    conn_id = server.state.live_connections()[0].connection_id
    source.name = "Shop Postgres (prod)"  # renamed in Airbyte's UI
    data = declarations()
    data["sources"][0]["name"] = "Shop Postgres (prod)"
    data["connections"][0]["declare"]["source"] = "Shop Postgres (prod)"
    runner.write(data)
    code, out = runner.run("plan", "--prune")
    assert code == 2, out
    assert '~ source "Shop Postgres (prod)": adopt (update in place, then manage)' in out
    assert "delete" not in out.split("Plan:")[0] and "replace" not in out.split("Plan:")[0]
    assert runner.run("apply", "--yes", "--prune")[0] == 0
    assert server.state.source(source.actor_id) is not None
    assert server.state.live_connections()[0].connection_id == conn_id
    assert runner.run("plan", "--prune")[0] == 0


def test_resource_deleted_outside_the_file_is_created_again(managed):
    server, runner = managed
    runner.write(declarations(connections=[]))
    assert runner.run("apply", "--yes")[0] == 0
    from tests.emulator.helpers import config_post

    destination = next(a for a in server.state.actors.values() if a.kind == "destination")
    assert config_post(server.url, "destinations/delete", {"destinationId": destination.actor_id}).ok
    code, out = runner.run("plan")
    assert code == 2
    assert f'destination "Local SQLite" ({destination.actor_id}) was deleted outside this file' in out
    assert '+ destination "Local SQLite": create' in out
    assert runner.run("apply", "--yes")[0] == 0
    assert runner.run("plan")[0] == 0
