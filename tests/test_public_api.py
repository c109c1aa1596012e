"""The package's public surface: `__all__` lists exactly what is exported, and the error tree holds."""

from __future__ import annotations

import dagster as dg

import dagster_airbyte_ops
from dagster_airbyte_ops import errors


def test_all_matches_public_names():
    public = {name for name in dir(dagster_airbyte_ops) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(dagster_airbyte_ops, name)).__name__ == "module"}
    assert set(dagster_airbyte_ops.__all__) == public - modules
    assert sorted(dagster_airbyte_ops.__all__) == list(dagster_airbyte_ops.__all__)


def test_every_error_is_a_dagster_failure_under_one_root():
    classes = [
        obj for obj in vars(errors).values() if isinstance(obj, type) and obj.__module__ == errors.__name__
    ]
    assert len(classes) == 7
    for cls in classes:
        assert issubclass(cls, errors.AirbyteOpsError) and issubclass(cls, dg.Failure)
