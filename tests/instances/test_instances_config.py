"""How `instances:` reads: defaults each instance and entry inherits, and the single-`airbyte:` form."""

from __future__ import annotations

from dagster_airbyte_ops.config import parse_config

TWO = """
defaults: {key_prefix: [raw], group_prefix: lake_}
instances:
  onprem:
    airbyte: {url: "http://onprem:8000", api: config}
  cloud:
    airbyte: {url: "https://api.airbyte.com/v1", api: public}
    key_prefix: [saas]
    group_prefix: saas_
connections:
  - {name: "Orders", instance: onprem}
  - {name: "Contacts", instance: cloud}
  - {name: "Deals", instance: cloud, key_prefix: [crm]}
"""


def test_instances_inherit_defaults_unless_they_set_their_own():
    config = parse_config(TWO)
    onprem, cloud = config.airbyte_instances()

    assert (onprem.name, onprem.key_prefix, onprem.group_prefix) == ("onprem", ("raw",), "lake_onprem_")
    assert (cloud.name, cloud.key_prefix, cloud.group_prefix) == ("cloud", ("saas",), "saas_")
    assert (onprem.resource_key(), cloud.resource_key("ab")) == ("airbyte_onprem", "ab_cloud")
    assert (onprem.path, onprem.airbyte.url) == ("instances.onprem.airbyte", "http://onprem:8000")
    assert [e.key_prefix for e in config.connections] == [["raw"], ["saas"], ["crm"]]


def test_one_instance_needs_no_instance_on_its_entries():
    config = parse_config('instances: {cloud: {airbyte: {api: public}}}\nconnections: [{name: "Orders"}]\n')

    [entry] = config.connections
    assert entry.instance == "cloud"
    assert config.instance_of(entry).resource_key() == "airbyte_cloud"


def test_the_airbyte_section_is_one_unnamed_instance_with_the_old_names():
    config = parse_config('airbyte: {url: "http://localhost:8001"}\nconnections: [{name: "Orders"}]\n')

    [instance] = config.airbyte_instances()
    assert (instance.name, instance.resource_key(), instance.slug_prefix, instance.path) == (
        None,
        "airbyte",
        "",
        "airbyte",
    )
    assert config.connections[0].instance is None
