"""Code location of Dagster's floor for benchmark 2 (`dagster asset materialize -f`; see floor_syncs)."""

from benchmarks.floor_syncs import floor_syncs_defs

defs = floor_syncs_defs()
