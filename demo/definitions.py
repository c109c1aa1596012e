"""The demo's definitions, merged with the Airbyte ones in the repository's `definitions.py`."""

from __future__ import annotations

import dagster as dg

from demo.assets import customer_counts, daily_revenue
from demo.warehouse import ShopWarehouse


def demo_definitions(*, sqlite_path: str | None = None) -> dg.Definitions:
    """The shop analytics assets and their warehouse (default: `data/airbyte.sqlite`).

    Example:
        >>> import dagster as dg
        >>> defs = dg.Definitions.merge(airbyte_defs, demo_definitions())  # doctest: +SKIP
    """
    warehouse = ShopWarehouse(path=sqlite_path) if sqlite_path else ShopWarehouse()
    return dg.Definitions(assets=[daily_revenue, customer_counts], resources={"shop_warehouse": warehouse})
