"""Switching from dagster-airbyte keeps every asset's history: `defaults: {key_style: dagster-airbyte}`
gives the same asset keys (and groups) dagster-airbyte 0.29 builds for the same connections.

Both sides are built for real against one emulator workspace: dagster-airbyte's
`build_airbyte_assets_definitions(workspace=AirbyteWorkspace(...))` as its docs show, and ours from an
airbyte_ops.yaml selecting every connection. docs/migrating-from-dagster-airbyte.md is the guide.
"""

from __future__ import annotations

import dagster as dg
import pytest

from dagster_airbyte_ops import AirbyteResource
from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.definitions import build_definitions
from dagster_airbyte_ops.errors import ConfigError

pytestmark = pytest.mark.emulator(auth="client_credentials")
#: Its `orders` stream would collide with PostgreSQL → MinIO's under dagster-airbyte's keys (both are
#: `orders`: dagster-airbyte's assets for this workspace do not load together; ours say so, naming
#: both). Both sides leave it out: `connection_selector_fn` there, entries by name here.
LEFT_OUT = "Shop Orders → SQLite"
OUR_CONNECTIONS = (
    *("PostgreSQL → MinIO", "MSSQL → S3", "CRM API → Postgres"),
    *("Stripe → Warehouse", "Paused → Lake"),
)


def _workspace_with_every_key_rule(emulator) -> None:
    """The demo's connections (namespaces from source and destination, a stream prefix) plus a custom
    namespace format, a prefix, and an inactive connection (dagster-airbyte builds assets for it too)."""
    emulator.admin.create_connection(
        "Stripe → Warehouse",
        streams=["charges", "customers"],
        prefix="stripe_",
        namespace_definition="customformat",
        namespace_format="raw_${SOURCE_NAMESPACE}",
    )
    emulator.admin.create_connection("Paused → Lake", streams=["events"], status="inactive")


def _their_definitions(emulator, workspace_id: str, monkeypatch) -> tuple[list[dg.AssetsDefinition], object]:
    from dagster_airbyte import AirbyteWorkspace, build_airbyte_assets_definitions

    credentials = emulator.settings.client_credentials()
    monkeypatch.setenv("MIGRATION_CLIENT_SECRET", credentials["client_secret"])
    workspace = AirbyteWorkspace(
        rest_api_base_url=f"{emulator.url}/api/public/v1",
        configuration_api_base_url=f"{emulator.url}/api/v1",
        workspace_id=workspace_id,
        client_id=credentials["client_id"],
        client_secret=dg.EnvVar("MIGRATION_CLIENT_SECRET"),
    )
    assets = build_airbyte_assets_definitions(
        workspace=workspace, connection_selector_fn=lambda connection: connection.name != LEFT_OUT
    )
    return list(assets), workspace


def _theirs(emulator, workspace_id: str, monkeypatch) -> dict[dg.AssetKey, str | None]:
    assets, _ = _their_definitions(emulator, workspace_id, monkeypatch)
    return {key: group for a in assets for key, group in a.group_names_by_key.items()}


def _ours(emulator, monkeypatch, defaults: str) -> dict[dg.AssetKey, str | None]:
    graph = _our_definitions(emulator, monkeypatch, defaults).resolve_asset_graph()
    return {
        key: graph.get(key).group_name
        for key in graph.get_all_asset_keys()
        if graph.get(key).is_materializable
    }


def _our_definitions(emulator, monkeypatch, defaults: str) -> dg.Definitions:
    credentials = emulator.settings.client_credentials()
    monkeypatch.setenv("MIGRATION_CLIENT_ID", credentials["client_id"])
    monkeypatch.setenv("MIGRATION_CLIENT_SECRET", credentials["client_secret"])
    config = parse_config(
        f"""
airbyte:
  url: {emulator.url}
  api: config
  auth:
    client_credentials:
      client_id: {{env: MIGRATION_CLIENT_ID}}
      client_secret: {{env: MIGRATION_CLIENT_SECRET}}
defaults: {defaults}
connections:
"""
        + "".join(f'  - name: "{name}"\n' for name in OUR_CONNECTIONS)
    )
    return build_definitions(config)


def _workspace_id(emulator) -> str:
    resource = AirbyteResource(url=emulator.url, **emulator.settings.client_credentials())
    workspace_id = resource.resolved_workspace_id()
    assert workspace_id
    return workspace_id


def test_migration_key_style_gives_dagster_airbytes_keys_and_groups(emulator, monkeypatch):
    _workspace_with_every_key_rule(emulator)
    theirs = _theirs(emulator, _workspace_id(emulator), monkeypatch)
    ours = _ours(emulator, monkeypatch, "{key_style: dagster-airbyte, include_inactive: true}")
    assert len(theirs) == 13  # 4 + 3 + 3 demo streams, 2 Stripe, 1 paused
    assert sorted(k.to_user_string() for k in ours) == sorted(k.to_user_string() for k in theirs)
    assert ours == theirs  # the groups too: Dagster's `default`, as dagster-airbyte sets none
    assert dg.AssetKey("mssql_invoices") in ours  # the connection's stream prefix, no namespace
    assert dg.AssetKey("stripe_charges") in ours


def test_migration_default_key_style_differs_so_the_switch_is_a_choice(emulator, monkeypatch):
    """Without the key style our keys name the destination table (namespace first): a switch without
    it would orphan every dagster-airbyte asset's history, which is why the guide starts with it."""
    _workspace_with_every_key_rule(emulator)
    theirs = _theirs(emulator, _workspace_id(emulator), monkeypatch)
    ours = _ours(emulator, monkeypatch, "{include_inactive: true}")
    assert set(ours).isdisjoint(theirs)
    assert dg.AssetKey(["raw_public", "stripe_charges"]) in ours


def test_migration_key_prefix_applies_before_their_key(emulator, monkeypatch):
    """dagster-airbyte users who prefixed keys in a translator write `key_prefix:` instead."""
    _workspace_with_every_key_rule(emulator)
    ours = _ours(emulator, monkeypatch, "{key_style: dagster-airbyte, key_prefix: [airbyte]}")
    assert dg.AssetKey(["airbyte", "stripe_charges"]) in ours


def test_migration_an_unknown_key_style_is_one_line_naming_the_choices():
    with pytest.raises(ConfigError) as caught:
        parse_config("airbyte: {url: 'http://127.0.0.1:1'}\ndefaults: {key_style: dagster_airbyte}\n")
    message = str(caught.value)
    assert "defaults.key_style" in message and "dagster-airbyte" in message and "\n" not in message


#: Dagster stores what this test checks; SQLite is enough (no PostgreSQL variant).
POSTGRES_TESTS: set[str] = set()


def test_migration_keeps_the_history_dagster_airbyte_recorded(emulator, monkeypatch, dagster_instance):
    """A sync materialized by dagster-airbyte, then our definitions with the key style on the same
    instance: every stream asset of that connection already has its materialization (its history
    carried over), and our next sync adds to the same keys."""
    _workspace_with_every_key_rule(emulator)
    assets, workspace = _their_definitions(emulator, _workspace_id(emulator), monkeypatch)
    [stripe] = [a for a in assets if dg.AssetKey("stripe_charges") in a.keys]
    result = dg.materialize([stripe], resources={"airbyte": workspace}, instance=dagster_instance)
    assert result.success
    before = {key: dagster_instance.get_latest_materialization_event(key) for key in stripe.keys}
    assert all(before.values()), before

    ours = _our_definitions(emulator, monkeypatch, "{key_style: dagster-airbyte, include_inactive: true}")
    job = ours.resolve_job_def("airbyte_sync_job").get_subset(asset_selection=set(stripe.keys))
    assert job.execute_in_process(instance=dagster_instance).success
    for key in stripe.keys:
        records = dagster_instance.fetch_materializations(key, limit=10).records
        assert len(records) == 2, key  # theirs, then ours, under one key
