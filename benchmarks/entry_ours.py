"""Code location of dagster_airbyte_ops for `dagster asset materialize -f` (see `subjects`)."""

from benchmarks.subjects import ours_defs

defs = ours_defs()
