"""Shop analytics on top of the raw tables Airbyte's Local SQLite destination writes.

The destination appends every version of an order it receives (`_airbyte_raw_orders` holds the first
sync's history and, after each incremental sync, the orders that were new or changed), so the models
first keep the latest version of each order, as a dbt staging model would. Amounts are converted to
EUR at fixed demo rates. Results are written as plain tables in the same file, next to the raw ones.
"""

import sqlite3

import dagster as dg

from demo.warehouse import ShopWarehouse

#: The Airbyte stream assets of “Shop Orders → SQLite” (the destination has no schema: keys are bare).
ORDERS = dg.AssetKey(["orders"])
REFUNDS = dg.AssetKey(["refunds"])
GROUP = "shop_analytics"
EUR_PER_UNIT = {"EUR": 1.0, "GBP": 1.17, "USD": 0.92}

#: Latest version of each order (the raw table keeps every version an incremental sync delivered).
CURRENT_ORDERS_SQL = """
WITH versions AS (
    SELECT
        json_extract(_airbyte_data, '$.order_id') AS order_id,
        json_extract(_airbyte_data, '$.customer_id') AS customer_id,
        json_extract(_airbyte_data, '$.status') AS status,
        json_extract(_airbyte_data, '$.currency') AS currency,
        json_extract(_airbyte_data, '$.shipping_country') AS country,
        json_extract(_airbyte_data, '$.total') AS total,
        substr(json_extract(_airbyte_data, '$.placed_at'), 1, 10) AS day,
        ROW_NUMBER() OVER (
            PARTITION BY json_extract(_airbyte_data, '$.order_id')
            ORDER BY json_extract(_airbyte_data, '$.updated_at') DESC, _airbyte_emitted_at DESC
        ) AS version
    FROM _airbyte_raw_orders
)
SELECT order_id, customer_id, status, currency, country, total, day FROM versions WHERE version = 1
"""


def _eur(amount: float | None, currency: str | None) -> float:
    return float(amount or 0.0) * EUR_PER_UNIT.get(currency or "EUR", 1.0)


def _current_orders(con: sqlite3.Connection) -> list[sqlite3.Row]:
    con.row_factory = sqlite3.Row
    return list(con.execute(CURRENT_ORDERS_SQL))


def _markdown(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


@dg.asset(
    deps=[ORDERS, REFUNDS],
    group_name=GROUP,
    kinds={"python", "sqlite"},
    description="Net revenue per day in EUR: orders placed that day (cancelled ones excluded, latest "
    "version of each order) minus the refunds issued that day.",
)
def daily_revenue(context: dg.AssetExecutionContext, shop_warehouse: ShopWarehouse) -> dg.MaterializeResult:
    with shop_warehouse.connect() as con:
        shop_warehouse.require_tables(con, "_airbyte_raw_orders", "_airbyte_raw_refunds")
        days: dict[str, list[float]] = {}
        currency_of: dict[int, str] = {}
        for order in _current_orders(con):
            currency_of[order["order_id"]] = order["currency"]
            if order["status"] == "cancelled":
                continue
            day = days.setdefault(order["day"], [0, 0.0, 0.0])
            day[0] += 1
            day[1] += _eur(order["total"], order["currency"])
        refunds = con.execute(
            "SELECT json_extract(_airbyte_data, '$.order_id'), json_extract(_airbyte_data, '$.amount'), "
            "substr(json_extract(_airbyte_data, '$.refunded_at'), 1, 10) FROM _airbyte_raw_refunds"
        )
        for order_id, amount, day_key in refunds:
            day = days.setdefault(day_key, [0, 0.0, 0.0])
            day[2] += _eur(amount, currency_of.get(order_id))
        rows = [
            (day, int(n), round(gross, 2), round(refunded, 2), round(gross - refunded, 2))
            for day, (n, gross, refunded) in sorted(days.items())
        ]
        con.execute("DROP TABLE IF EXISTS daily_revenue")
        con.execute(
            "CREATE TABLE daily_revenue (day TEXT PRIMARY KEY, orders INTEGER, gross_eur REAL, "
            "refunds_eur REAL, net_eur REAL)"
        )
        con.executemany("INSERT INTO daily_revenue VALUES (?, ?, ?, ?, ?)", rows)
    net = round(sum(r[4] for r in rows), 2)
    context.log.info(f"{len(rows)} days, net revenue {net} EUR")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(rows),
            "dagster/table_name": "daily_revenue",
            "net_revenue_eur": dg.MetadataValue.float(net),
            "last_7_days": dg.MetadataValue.md(
                _markdown(("day", "orders", "gross €", "refunds €", "net €"), rows[-7:])
            ),
        }
    )


@dg.asset(
    deps=[ORDERS],
    group_name=GROUP,
    kinds={"python", "sqlite"},
    description="Customers, orders and revenue (EUR) per shipping country, from the latest version "
    "of each order; cancelled orders excluded.",
)
def customer_counts(context: dg.AssetExecutionContext, shop_warehouse: ShopWarehouse) -> dg.MaterializeResult:
    with shop_warehouse.connect() as con:
        shop_warehouse.require_tables(con, "_airbyte_raw_orders")
        countries: dict[str, tuple[set[int], list[float]]] = {}
        for order in _current_orders(con):
            if order["status"] == "cancelled":
                continue
            customers, totals = countries.setdefault(order["country"] or "??", (set(), [0, 0.0]))
            customers.add(order["customer_id"])
            totals[0] += 1
            totals[1] += _eur(order["total"], order["currency"])
        rows = sorted(
            ((c, len(ids), int(t[0]), round(t[1], 2)) for c, (ids, t) in countries.items()),
            key=lambda r: (-r[1], r[0]),
        )
        con.execute("DROP TABLE IF EXISTS customer_counts")
        con.execute(
            "CREATE TABLE customer_counts (country TEXT PRIMARY KEY, customers INTEGER, orders INTEGER, "
            "revenue_eur REAL)"
        )
        con.executemany("INSERT INTO customer_counts VALUES (?, ?, ?, ?)", rows)
    total = len({cid for ids, _ in countries.values() for cid in ids})
    context.log.info(f"{total} customers in {len(rows)} countries")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(rows),
            "dagster/table_name": "customer_counts",
            "customers": dg.MetadataValue.int(total),
            "by_country": dg.MetadataValue.md(
                _markdown(("country", "customers", "orders", "revenue €"), rows)
            ),
        }
    )
