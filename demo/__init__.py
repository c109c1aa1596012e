"""The demo's own Dagster code: analytics computed from the rows Airbyte lands in SQLite.

It stands for what a team writes downstream of its Airbyte assets: plain Python assets whose `deps=`
name the synced tables. `definitions.py` at the repository root merges it with the Airbyte definitions.
"""

from demo.assets import customer_counts, daily_revenue
from demo.definitions import demo_definitions
from demo.warehouse import ShopWarehouse, default_sqlite_path

__all__ = ["ShopWarehouse", "customer_counts", "daily_revenue", "default_sqlite_path", "demo_definitions"]
