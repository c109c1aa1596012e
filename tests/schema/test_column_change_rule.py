"""The `column_schema_change` rule (Dagster's, evaluated in the sync step): each case and its text."""

from __future__ import annotations

import dagster as dg
import pytest

from dagster_airbyte_ops.checks.schema import COLUMN_SCHEMA_CHECK_NAME, column_change_results

KEY = dg.AssetKey("orders")


def schema(**columns: str) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name, kind) for name, kind in columns.items()])


@pytest.mark.parametrize(
    ("previous", "passed", "text"),
    [
        ({}, True, "The asset has been materialized fewer than 2 times"),
        ({KEY: None}, True, "The previous materialization recorded no column schema: nothing to compare"),
        (
            {KEY: schema(id="integer", total="number")},
            True,
            "No changes to column schema between previous and latest materialization",
        ),
        (
            {KEY: schema(id="integer", total="string", gone="string")},
            False,
            "Column schema changed between previous and latest materialization.\n\nAdded columns: coupon"
            "\n\nRemoved columns: gone\n\nColumn type changes:\n- total: string -> number",
        ),
    ],
)
def test_column_schema_change_rule(previous, passed, text) -> None:
    current = {KEY: schema(id="integer", total="number", **({"coupon": "string"} if not passed else {}))}
    [result] = column_change_results(previous, current)
    assert (result.check_name, result.asset_key) == (COLUMN_SCHEMA_CHECK_NAME, KEY)
    assert (result.passed, result.severity, result.description) == (passed, dg.AssetCheckSeverity.WARN, text)
