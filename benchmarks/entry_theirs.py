"""Code location of dagster-airbyte for `dagster asset materialize -f` (see `subjects`)."""

from benchmarks.subjects import theirs_defs

defs = theirs_defs()
