"""`resolve_connections`: entries of the file against the connections a workspace really has."""

# ruff: noqa: E501  (expected messages are kept whole, one per line, to read as the user does)
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pytest

from dagster_airbyte_ops.config import parse_config, resolve_connections
from dagster_airbyte_ops.errors import ConfigError


@dataclass
class Stream:
    name: str


@dataclass
class Connection:
    id: str
    name: str
    status: str = "active"
    streams: list[Stream] = field(default_factory=list)


PG = Connection(
    "5e0f6c9a-1d2b-4c3e-9f4a-7b8c9d0e1f2a",
    "PostgreSQL → MinIO",
    streams=[Stream("customers"), Stream("orders")],
)
MSSQL = Connection("a3d9e1b7-6c4f-4e2a-8b1d-0f9e8d7c6b5a", "MSSQL → S3", streams=[Stream("invoices")])
CRM = Connection("0b7c6d5e-4f3a-4b2c-9d1e-8f7a6b5c4d3e", "CRM API → Postgres", streams=[Stream("contacts")])
CRM_OLD = Connection("f1e2d3c4-b5a6-4978-8a6b-5c4d3e2f1a0b", "CRM legacy", status="inactive")
SHOP = Connection("9c8b7a6f-5e4d-4c3b-a2f1-0e9d8c7b6a5f", "Shop Orders → SQLite")
CATALOG = [PG, MSSQL, CRM, CRM_OLD, SHOP]


def resolve(text: str, catalog: list[Connection] = CATALOG) -> list[tuple[str, str]]:
    config = parse_config(text, environ={})
    return [(entry.path, connection.name) for entry, connection in resolve_connections(config, catalog)]


def problem(text: str, catalog: list[Connection] = CATALOG) -> str:
    config = parse_config(text, environ={})
    with pytest.raises(ConfigError) as caught:
        resolve_connections(config, catalog)
    return str(caught.value)


def test_demo_file_selects_the_demo_connections() -> None:
    from pathlib import Path

    from dagster_airbyte_ops.config import load_config

    config = load_config(Path(__file__).resolve().parents[2] / "airbyte_ops.yaml", environ={})
    pairs = resolve_connections(config, CATALOG)
    assert [c.name for _, c in pairs] == [PG.name, MSSQL.name, CRM.name, SHOP.name]
    assert all(entry.name == connection.name for entry, connection in pairs)


def test_select_by_name_id_and_glob_in_file_order() -> None:
    text = f"""
connections:
  - match: "*→ S*"
  - id: {PG.id}
  - name: "CRM API → Postgres"
"""
    assert resolve(text) == [
        ("connections[0]", "MSSQL → S3"),
        ("connections[0]", "Shop Orders → SQLite"),
        ("connections[1]", "PostgreSQL → MinIO"),
        ("connections[2]", "CRM API → Postgres"),
    ]


def test_returns_the_catalog_objects_themselves() -> None:
    config = parse_config('connections: [{name: "MSSQL → S3"}]', environ={})
    [(entry, connection)] = resolve_connections(config, CATALOG)
    assert connection is MSSQL and entry is config.connections[0]


def test_inactive_connections_are_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert resolve('connections: [{match: "CRM*"}, {name: "CRM legacy"}]') == [
            ("connections[0]", "CRM API → Postgres")
        ]
    assert "CRM legacy" in caplog.text and "include_inactive" in caplog.text


def test_inactive_connections_are_kept_when_asked() -> None:
    assert resolve('defaults: {include_inactive: true}\nconnections: [{match: "CRM*"}]') == [
        ("connections[0]", "CRM API → Postgres"),
        ("connections[0]", "CRM legacy"),
    ]


def test_enum_statuses_work() -> None:
    import enum

    class Status(enum.StrEnum):
        ACTIVE = "active"
        INACTIVE = "inactive"

    catalog = [
        Connection(PG.id, PG.name, status=Status.INACTIVE),
        Connection(MSSQL.id, MSSQL.name, Status.ACTIVE),
    ]
    assert resolve('connections: [{match: "*"}]', catalog) == [("connections[0]", "MSSQL → S3")]


def test_deprecated_connections_are_never_selected() -> None:
    catalog = [Connection(PG.id, PG.name, status="deprecated")]
    assert resolve('defaults: {include_inactive: true}\nconnections: [{match: "*"}]', catalog) == []


def test_unknown_name_suggests_close_names() -> None:
    assert problem('connections: [{name: "Postgres → MinIO"}]') == (
        'airbyte_ops.yaml: connections[0].name: no Airbyte connection is named "Postgres → MinIO"; '
        'did you mean "PostgreSQL → MinIO"?'
    )


def test_unknown_name_without_close_match_lists_the_workspace() -> None:
    assert problem('connections: [{name: "Zendesk"}]') == (
        'airbyte_ops.yaml: connections[0].name: no Airbyte connection is named "Zendesk"; '
        'the workspace\'s connections are: "CRM API → Postgres", "CRM legacy", "MSSQL → S3", '
        '"PostgreSQL → MinIO", "Shop Orders → SQLite"'
    )


def test_unknown_id_suggests_a_near_typo() -> None:
    assert problem("connections: [{id: 5e0f6c9a-1d2b-4c3e-9f4a-7b8c9d0e1f2b}]") == (
        'airbyte_ops.yaml: connections[0].id: no Airbyte connection has id "5e0f6c9a-1d2b-4c3e-9f4a-7b8c9d0e1f2b"; '
        'did you mean "5e0f6c9a-1d2b-4c3e-9f4a-7b8c9d0e1f2a"?'
    )


def test_unknown_id_lists_the_ids() -> None:
    assert problem("connections: [{id: 11111111-2222-4333-8444-555555555555}]", [PG, MSSQL]) == (
        'airbyte_ops.yaml: connections[0].id: no Airbyte connection has id "11111111-2222-4333-8444-555555555555"; '
        f'the workspace\'s ids are: "{PG.id}", "{MSSQL.id}"'
    )


def test_glob_matching_nothing() -> None:
    assert problem('connections: [{match: "crm*"}]', [CRM, SHOP]) == (
        'airbyte_ops.yaml: connections[0].match: "crm*" matches no Airbyte connection (case matters); '
        'the workspace\'s connections are: "CRM API → Postgres", "Shop Orders → SQLite"'
    )


def test_two_connections_with_the_same_name_need_an_id() -> None:
    twin = Connection("77777777-0000-4000-8000-000000000000", PG.name)
    assert problem(f'connections: [{{name: "{PG.name}"}}]', [PG, twin]) == (
        'airbyte_ops.yaml: connections[0].name: 2 Airbyte connections are named "PostgreSQL → MinIO" '
        f"({PG.id}, {twin.id}); select one with id: instead"
    )


def test_connection_selected_by_two_entries_names_both() -> None:
    assert problem('connections: [{name: "MSSQL → S3"}, {match: "*S3"}]') == (
        'airbyte_ops.yaml: connections[1].match: selects "MSSQL → S3", already selected by '
        'connections[0] (name "MSSQL → S3"); keep it in one entry (narrow the glob or remove one)'
    )


def test_unknown_stream() -> None:
    assert problem('connections: [{name: "PostgreSQL → MinIO", streams: [customers, order]}]') == (
        'airbyte_ops.yaml: connections[0].streams: "order" is not a stream of "PostgreSQL → MinIO"; '
        'did you mean "orders"?'
    )


def test_unknown_stream_without_close_match_lists_streams() -> None:
    assert problem('connections: [{name: "PostgreSQL → MinIO", streams: [payments]}]') == (
        'airbyte_ops.yaml: connections[0].streams: "payments" is not a stream of "PostgreSQL → MinIO"; '
        'its streams are: "customers", "orders"'
    )


def test_after_accepts_selected_connections_and_asset_keys() -> None:
    text = 'connections: [{match: "CRM API*"}, {name: "MSSQL → S3", after: ["CRM API → Postgres", "raw/orders"]}]'
    assert resolve(text) == [("connections[0]", "CRM API → Postgres"), ("connections[1]", "MSSQL → S3")]


def test_after_unknown_name() -> None:
    assert problem('connections: [{name: "MSSQL → S3", after: ["PostgreSQL → MinIO"]}]') == (
        'airbyte_ops.yaml: connections[0].after: "PostgreSQL → MinIO" is neither a selected connection nor '
        'an asset key; select it under connections:, or write an asset key with "/" (e.g. "analytics/orders")'
    )


def test_after_typo_suggests_a_selected_connection() -> None:
    text = 'connections: [{name: "PostgreSQL → MinIO"}, {name: "MSSQL → S3", after: ["PostgreSQL -> MinIO"]}]'
    assert problem(text) == (
        'airbyte_ops.yaml: connections[1].after: "PostgreSQL -> MinIO" is neither a selected connection nor '
        'an asset key; did you mean "PostgreSQL → MinIO"?'
    )


def test_after_cycle_through_a_glob() -> None:
    text = 'connections: [{match: "CRM API*", after: ["MSSQL → S3"]}, {name: "MSSQL → S3", after: ["CRM API → Postgres"]}]'
    assert problem(text) == (
        'airbyte_ops.yaml: connections[0].after: cycle between connections: "CRM API → Postgres" → '
        '"MSSQL → S3" → "CRM API → Postgres"; remove one of these after: entries'
    )


def test_downstream_when_must_name_selected_connections() -> None:
    text = """
connections: [{name: "MSSQL → S3"}]
downstream:
  - {name: revenue, when: ["MSSQL → S3", "MSSQL → S4", "Zendesk"], groups: [analytics]}
"""
    assert problem(text).splitlines() == [
        'airbyte_ops.yaml: downstream[0].when: "MSSQL → S4" is not a selected connection; did you mean "MSSQL → S3"?',
        'airbyte_ops.yaml: downstream[0].when: "Zendesk" is not a selected connection; list it under connections: first',
    ]


def test_every_problem_is_reported_at_once() -> None:
    text = 'connections: [{name: "Nope"}, {match: "Zzz*"}, {name: "PostgreSQL → MinIO", streams: [x]}]'
    assert [line.split(": ")[1] for line in problem(text).splitlines()] == [
        "connections[0].name",
        "connections[1].match",
        "connections[2].streams",
    ]


def test_empty_catalog() -> None:
    assert problem('connections: [{match: "*"}]', []) == (
        'airbyte_ops.yaml: connections[0].match: "*" matches no Airbyte connection (case matters); '
        "the workspace's connections are: none"
    )
