"""The example's code location: the connections airbyte_ops.yaml selects (declared ones included)."""

from dagster_airbyte_ops.config import load_config
from dagster_airbyte_ops.definitions import build_definitions

defs = build_definitions(load_config())
