"""The Dagster code location: `dagster dev` (via workspace.yaml) loads `defs` from here.

Configuration comes from airbyte_ops.yaml, or the file named by $AIRBYTE_OPS_CONFIG.
"""

from dagster_airbyte_ops.config import load_config
from dagster_airbyte_ops.definitions import build_definitions

defs = build_definitions(load_config())
