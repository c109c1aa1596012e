"""The fence around Dagster's private internals used outside the executor: one name per missing API.

Everything here is `dagster._...`, which Dagster may change in any release. Code outside execution/
imports these names from this module only, so `make test-latest-dagster` and a reader of this file
see every such dependency at once (docs/upgrading-dagster.md says how to move to a new release).
This module imports nothing from the package, so any folder may import it.

The comment above each import names the public API that is missing.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

# Schedule ticks (schedules/schedule_builder.py): `ScheduleEvaluationContext.scheduled_execution_time`
# raises this for a context built without a time. Public API missing: a way to ask whether it is set.
from dagster._check import CheckError

# Column-schema change check (checks/schema.py): the comparison behind `dg.build_column_schema_change_checks`,
# used inside the sync step instead of the factory's extra op per connection. Public API missing: the
# diff itself (only the factory is public).
from dagster._core.definitions.asset_checks.asset_check_factories.schema_change_checks import TableSchemaDiff

# Catalog-backed definitions (assets/catalog.py): the loader that fetches Airbyte's catalog on the code
# server and carries it to run workers as reconstruction metadata. Public API missing: Dagster exposes
# this only through `StateBackedComponent` (components); plain `Definitions` built in code have none.
from dagster._core.definitions.definitions_load_context import StateBackedDefinitionsLoader

# Owners (config/values.py): Dagster's own rule, so `owners:` fails at load with our message rather
# than when the definitions are built. Public API missing: an owner validator.
from dagster._core.definitions.utils import is_valid_owner

# Cron (config/cron.py, and the emulator's scheduler): the rule Dagster's schedules apply, so a cron
# `load_config` accepts is one Dagster will run. Public API missing: a cron validator and iterator.
from dagster._utils.schedules import (
    cron_string_iterator,
    has_out_of_range_cron_interval,
    is_valid_cron_string,
)

# Tags (config/values.py): as owners, for `tags:`. Public API missing: tag key and value validators.
from dagster._utils.tags import is_private_system_tag_key, is_valid_strict_tag_value, is_valid_tag_key


def prefetch_check_targets(context: dg.AssetExecutionContext, keys: Sequence[dg.AssetKey]) -> None:
    """Read the latest materialization of `keys` in one query, for the check results that follow.

    Each `AssetCheckResult` a step yields names its target materialization, which Dagster reads from
    the step's data-version cache, one `get_asset_records` query per asset not yet cached: 200
    queries after a run of 20 connections of 10 streams, each as slow as an event write on SQLite.
    Called once the step's materializations are stored (storing one wipes the asset's cache entry),
    this fills the cache for all of them in one query; Dagster then reads exactly what it would have
    read one by one. Public API missing: a batched read of the check targets. If Dagster changes
    these internals, nothing is prefetched and the checks read one by one as before.
    """
    try:
        cache = context.get_step_execution_context()._data_version_cache
        missing = [key for key in keys if key not in cache.input_asset_version_info]
        if missing:
            cache._fetch_input_asset_version_info(missing)
    except AttributeError:
        return


__all__ = [
    "CheckError",
    "StateBackedDefinitionsLoader",
    "TableSchemaDiff",
    "cron_string_iterator",
    "has_out_of_range_cron_interval",
    "is_private_system_tag_key",
    "is_valid_cron_string",
    "is_valid_owner",
    "is_valid_strict_tag_value",
    "is_valid_tag_key",
    "prefetch_check_targets",
]
