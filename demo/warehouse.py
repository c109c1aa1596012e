"""Where the demo reads and writes: the SQLite file of Airbyte's Local SQLite destination."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from pydantic import Field

#: The project's data folder; the emulator maps Airbyte's `/local` mount here (`--data-dir`).
DATA_DIR_VARIABLE = "AIRBYTE_OPS_DATA_DIR"
#: The demo connection's destination_path is `/local/airbyte.sqlite`.
SQLITE_FILE = "airbyte.sqlite"
PROJECT_DIR = Path(__file__).resolve().parents[1]


def default_sqlite_path() -> str:
    """`$AIRBYTE_OPS_DATA_DIR/airbyte.sqlite`, else `data/airbyte.sqlite` in the project."""
    return str(Path(os.environ.get(DATA_DIR_VARIABLE) or PROJECT_DIR / "data") / SQLITE_FILE)


class ShopWarehouse(dg.ConfigurableResource):
    """The SQLite database Airbyte writes the shop's orders to; the analytics tables go next to them."""

    path: str = Field(
        default_factory=default_sqlite_path,
        description="Path of the SQLite file written by the Local SQLite destination.",
    )

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection that commits on success; waits up to 30 s while a sync is writing."""
        if not Path(self.path).exists():
            raise _not_synced(f"{self.path} does not exist yet")
        con = sqlite3.connect(self.path, timeout=30)
        try:
            with con:
                yield con
        finally:
            con.close()

    def require_tables(self, con: sqlite3.Connection, *tables: str) -> None:
        """Fail with the fix when a raw table is missing (the connection has not synced yet)."""
        present = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = [t for t in tables if t not in present]
        if missing:
            raise _not_synced(f"{self.path} has no table {', '.join(missing)}")


def _not_synced(problem: str) -> dg.Failure:
    return dg.Failure(
        f"{problem}: the Airbyte connection “Shop Orders → SQLite” has not synced yet. Materialize "
        "the shop_orders_sqlite group first (the shop_analytics downstream sensor then runs this)."
    )
