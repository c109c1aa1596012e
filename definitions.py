"""The Dagster code location: `dagster dev` (via workspace.yaml) loads `defs` from here.

Configuration comes from airbyte_ops.yaml, or the file named by $AIRBYTE_OPS_CONFIG. The demo's own
assets (package `demo/`, analytics on the rows the “Shop Orders → SQLite” connection lands) are merged
in the way a team adds its downstream code: plain assets whose `deps=` name the synced tables.
"""

import dagster as dg

from dagster_airbyte_ops.config import load_config
from dagster_airbyte_ops.definitions import build_definitions
from demo import demo_definitions

defs = dg.Definitions.merge(build_definitions(load_config()), demo_definitions())
