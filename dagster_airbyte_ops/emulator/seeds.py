"""Seed workspaces: the realistic demo, an empty one, and fast generated ones for scale tests.

Ids are uuid5 of readable names, so ``seed="demo"`` gives the same ids on every run and tests or docs
may hard-code them.
"""

from __future__ import annotations

from typing import Any

from dagster_airbyte_ops.emulator.sqlite_destination import drop_tables
from dagster_airbyte_ops.emulator.state import (
    Actor,
    Connection,
    Definition,
    EmulatorState,
    Workspace,
    stable_id,
)

#: Real Airbyte definition ids (identical in every Airbyte instance; scripts hard-code them).
SOURCE_POSTGRES = "decd338e-5647-4c0b-adf4-da0e75f5a750"
SOURCE_MYSQL = "435bb9a5-7887-4809-aa58-28c27df0d7ad"
SOURCE_MSSQL = "b5ea17b1-f170-46dc-bc31-cc744ca984c1"
SOURCE_FAKER = "dfd88b22-b603-4c3d-aad7-3701784586b1"
SOURCE_FILE = "778daa7c-feaf-4db6-96f3-70fd645acc77"
SOURCE_GITHUB = "ef69ef6e-aa7f-4af1-a01d-ef775033524e"
SOURCE_STRIPE = "e094cb9a-26de-4645-8761-65c0c425d1de"
SOURCE_HUBSPOT = "36c891d9-4bd9-43ac-bad2-10e12756272c"
#: A connector built in Airbyte's Connector Builder: a workspace's own definition, so its id is minted.
SOURCE_SHOP_ORDERS_API = stable_id("definition", "Shop Orders API")
DESTINATION_S3 = "4816b78f-1489-44c1-9060-4b19d5fa9362"
DESTINATION_POSTGRES = "25c5221d-dce2-4163-ade9-739ef790f503"
DESTINATION_SQLITE = "b76be0a6-27dc-4560-95f6-2623da0bd7b6"
DESTINATION_BIGQUERY = "22f6c74f-5699-40ff-833c-4a879ea40133"
DESTINATION_SNOWFLAKE = "424892c4-daac-4491-b35d-c6688ba547ba"

_DOCS = "https://docs.airbyte.com/integrations"

DEFINITIONS: list[Definition] = [
    Definition(
        SOURCE_POSTGRES,
        "source",
        "Postgres",
        "airbyte/source-postgres",
        "3.6.28",
        f"{_DOCS}/sources/postgres",
        source_type="database",
    ),
    Definition(
        SOURCE_MYSQL,
        "source",
        "MySQL",
        "airbyte/source-mysql",
        "3.11.1",
        f"{_DOCS}/sources/mysql",
        source_type="database",
    ),
    Definition(
        SOURCE_MSSQL,
        "source",
        "Microsoft SQL Server (MSSQL)",
        "airbyte/source-mssql",
        "4.1.26",
        f"{_DOCS}/sources/mssql",
        source_type="database",
    ),
    Definition(
        SOURCE_FAKER,
        "source",
        "Sample Data",
        "airbyte/source-faker",
        "6.2.20",
        f"{_DOCS}/sources/faker",
        source_type="api",
        release_stage="beta",
    ),
    Definition(
        SOURCE_FILE,
        "source",
        "File (CSV, JSON, Excel, Feather, Parquet)",
        "airbyte/source-file",
        "0.5.13",
        f"{_DOCS}/sources/file",
        source_type="file",
    ),
    Definition(
        SOURCE_GITHUB,
        "source",
        "GitHub",
        "airbyte/source-github",
        "1.8.30",
        f"{_DOCS}/sources/github",
        source_type="api",
    ),
    Definition(
        SOURCE_STRIPE,
        "source",
        "Stripe",
        "airbyte/source-stripe",
        "5.8.3",
        f"{_DOCS}/sources/stripe",
        source_type="api",
    ),
    Definition(
        SOURCE_HUBSPOT,
        "source",
        "HubSpot",
        "airbyte/source-hubspot",
        "6.0.1",
        f"{_DOCS}/sources/hubspot",
        source_type="api",
    ),
    Definition(
        SOURCE_SHOP_ORDERS_API,
        "source",
        "Shop Orders API",
        "airbyte/source-declarative-manifest",
        "6.36.3",
        "https://docs.airbyte.com/connector-development/connector-builder-ui/overview",
        source_type="api",
        release_stage="custom",
        support_level="none",
    ),
    Definition(
        DESTINATION_S3, "destination", "S3", "airbyte/destination-s3", "1.5.4", f"{_DOCS}/destinations/s3"
    ),
    Definition(
        DESTINATION_POSTGRES,
        "destination",
        "Postgres",
        "airbyte/destination-postgres",
        "2.4.5",
        f"{_DOCS}/destinations/postgres",
    ),
    Definition(
        DESTINATION_SQLITE,
        "destination",
        "Local SQLite",
        "airbyte/destination-sqlite",
        "0.2.5",
        f"{_DOCS}/destinations/sqlite",
        release_stage="alpha",
        support_level="community",
    ),
    Definition(
        DESTINATION_BIGQUERY,
        "destination",
        "BigQuery",
        "airbyte/destination-bigquery",
        "2.12.4",
        f"{_DOCS}/destinations/bigquery",
    ),
    Definition(
        DESTINATION_SNOWFLAKE,
        "destination",
        "Snowflake",
        "airbyte/destination-snowflake",
        "3.15.2",
        f"{_DOCS}/destinations/snowflake",
    ),
]

DEFAULT_WORKSPACE_NAME = "Default Workspace"
#: Where the demo's Local SQLite destination writes (``data/airbyte.sqlite`` under the data dir).
DEMO_SQLITE_PATH = "/local/airbyte.sqlite"


# ---------------------------------------------------------------------- catalog helpers
def col(type_: str | list[str], fmt: str | None = None, **extra: Any) -> dict[str, Any]:
    """A JSON-schema column, nullable like most discovered database columns."""
    types = [type_] if isinstance(type_, str) else list(type_)
    schema: dict[str, Any] = {"type": [*types, "null"] if "null" not in types else types}
    if fmt:
        schema["format"] = fmt
    if fmt == "date-time":
        schema["airbyte_type"] = "timestamp_with_timezone"
    schema.update(extra)
    return schema


def stream(
    name: str,
    columns: dict[str, dict[str, Any]],
    *,
    namespace: str | None,
    primary_key: list[str] | None,
    cursor: str | None,
    sync_mode: str = "incremental",
    destination_sync_mode: str = "append_dedup",
    source_defined_cursor: bool = False,
) -> dict[str, Any]:
    """A Config API ``AirbyteStreamAndConfiguration`` (discovered stream plus its configuration)."""
    supported = ["full_refresh", "incremental"] if cursor or source_defined_cursor else ["full_refresh"]
    airbyte_stream: dict[str, Any] = {
        "name": name,
        "jsonSchema": {"type": "object", "properties": columns},
        "supportedSyncModes": supported,
        "sourceDefinedCursor": source_defined_cursor,
        "defaultCursorField": [cursor] if cursor else [],
        "sourceDefinedPrimaryKey": [[k] for k in (primary_key or [])],
        "isResumable": True,
    }
    if namespace:
        airbyte_stream["namespace"] = namespace
    config: dict[str, Any] = {
        "syncMode": sync_mode,
        "cursorField": [cursor] if cursor and sync_mode == "incremental" else [],
        "destinationSyncMode": destination_sync_mode,
        "primaryKey": [[k] for k in (primary_key or [])],
        "aliasName": name,
        "selected": True,
        "suggested": True,
        "fieldSelectionEnabled": False,
    }
    return {"stream": airbyte_stream, "config": config}


def _ecommerce_streams() -> list[dict[str, Any]]:
    ns = "public"
    return [
        stream(
            "customers",
            {
                "id": col("integer"),
                "email": col("string"),
                "first_name": col("string"),
                "last_name": col("string"),
                "country": col("string"),
                "created_at": col("string", "date-time"),
                "updated_at": col("string", "date-time"),
            },
            namespace=ns,
            primary_key=["id"],
            cursor="updated_at",
        ),
        stream(
            "orders",
            {
                "id": col("integer"),
                "customer_id": col("integer"),
                "status": col("string"),
                "total_amount": col("number"),
                "currency": col("string"),
                "ordered_at": col("string", "date-time"),
                "updated_at": col("string", "date-time"),
            },
            namespace=ns,
            primary_key=["id"],
            cursor="updated_at",
        ),
        stream(
            "order_items",
            {
                "id": col("integer"),
                "order_id": col("integer"),
                "product_id": col("integer"),
                "quantity": col("integer"),
                "unit_price": col("number"),
                "updated_at": col("string", "date-time"),
            },
            namespace=ns,
            primary_key=["id"],
            cursor="updated_at",
        ),
        stream(
            "products",
            {
                "id": col("integer"),
                "sku": col("string"),
                "name": col("string"),
                "category": col("string"),
                "price": col("number"),
                "active": col("boolean"),
                "updated_at": col("string", "date-time"),
            },
            namespace=ns,
            primary_key=["id"],
            cursor="updated_at",
        ),
    ]


def _cdc_columns() -> dict[str, dict[str, Any]]:
    return {
        "_ab_cdc_lsn": col("string"),
        "_ab_cdc_updated_at": col("string", "date-time"),
        "_ab_cdc_deleted_at": col("string", "date-time"),
    }


def faker_streams() -> list[dict[str, Any]]:
    """Sample Data (Faker): users, products and purchases, incremental on ``updated_at``."""
    ts = col("string", "date-time")
    return [
        stream(
            "users",
            {"id": col("integer"), "name": col("string"), "email": col("string"), "updated_at": ts},
            namespace=None,
            primary_key=["id"],
            cursor="updated_at",
            source_defined_cursor=True,
        ),
        stream(
            "products",
            {"id": col("integer"), "make": col("string"), "price": col("number"), "updated_at": ts},
            namespace=None,
            primary_key=["id"],
            cursor="updated_at",
            source_defined_cursor=True,
        ),
        stream(
            "purchases",
            {"id": col("integer"), "user_id": col("integer"), "product_id": col("integer"), "updated_at": ts},
            namespace=None,
            primary_key=["id"],
            cursor="updated_at",
            source_defined_cursor=True,
        ),
    ]


def _mssql_streams() -> list[dict[str, Any]]:
    ns = "dbo"
    return [
        stream(
            "invoices",
            {
                "InvoiceID": col("integer"),
                "CustomerID": col("integer"),
                "InvoiceDate": col("string", "date"),
                "Amount": col("number"),
                "Status": col("string"),
                **_cdc_columns(),
            },
            namespace=ns,
            primary_key=["InvoiceID"],
            cursor="_ab_cdc_lsn",
            source_defined_cursor=True,
        ),
        stream(
            "payments",
            {
                "PaymentID": col("integer"),
                "InvoiceID": col("integer"),
                "PaidAt": col("string", "date-time"),
                "Amount": col("number"),
                "Method": col("string"),
                **_cdc_columns(),
            },
            namespace=ns,
            primary_key=["PaymentID"],
            cursor="_ab_cdc_lsn",
            source_defined_cursor=True,
        ),
        stream(
            "ledger_entries",
            {
                "EntryID": col("integer"),
                "Account": col("string"),
                "Debit": col("number"),
                "Credit": col("number"),
                "PostedAt": col("string", "date-time"),
                **_cdc_columns(),
            },
            namespace=ns,
            primary_key=["EntryID"],
            cursor="_ab_cdc_lsn",
            source_defined_cursor=True,
        ),
    ]


def _crm_streams() -> list[dict[str, Any]]:
    ns = "crm"
    return [
        stream(
            "contacts",
            {
                "id": col("string"),
                "email": col("string"),
                "firstname": col("string"),
                "lastname": col("string"),
                "company_id": col("string"),
                "createdAt": col("string", "date-time"),
                "updatedAt": col("string", "date-time"),
                "properties": col("object"),
            },
            namespace=ns,
            primary_key=["id"],
            cursor="updatedAt",
            source_defined_cursor=True,
        ),
        stream(
            "companies",
            {
                "id": col("string"),
                "name": col("string"),
                "domain": col("string"),
                "industry": col("string"),
                "employees": col("integer"),
                "updatedAt": col("string", "date-time"),
            },
            namespace=ns,
            primary_key=["id"],
            cursor="updatedAt",
            source_defined_cursor=True,
        ),
        stream(
            "deals",
            {
                "id": col("string"),
                "dealname": col("string"),
                "amount": col("number"),
                "dealstage": col("string"),
                "closedate": col("string", "date-time"),
                "associated_company_ids": col("array", items={"type": "string"}),
                "updatedAt": col("string", "date-time"),
            },
            namespace=ns,
            primary_key=["id"],
            cursor="updatedAt",
            source_defined_cursor=True,
        ),
    ]


def _shop_streams() -> list[dict[str, Any]]:
    """The order API's streams. destination-sqlite has no deduplication: incremental streams append."""
    ns = "shop"
    return [
        stream(
            "orders",
            {
                "order_id": col("integer"),
                "customer_id": col("integer"),
                "customer_email": col("string"),
                "status": col("string"),
                "currency": col("string"),
                "shipping_country": col("string"),
                "item_count": col("integer"),
                "total": col("number"),
                "placed_at": col("string", "date-time"),
                "updated_at": col("string", "date-time"),
            },
            namespace=ns,
            primary_key=["order_id"],
            cursor="updated_at",
            destination_sync_mode="append",
        ),
        stream(
            "refunds",
            {
                "refund_id": col("integer"),
                "order_id": col("integer"),
                "amount": col("number"),
                "reason": col("string"),
                "refunded_at": col("string", "date-time"),
            },
            namespace=ns,
            primary_key=["refund_id"],
            cursor=None,
            sync_mode="full_refresh",
            destination_sync_mode="overwrite",
        ),
    ]


# ---------------------------------------------------------------------- builders
def install_definitions(state: EmulatorState) -> None:
    """Register the connector definitions every seed offers."""
    for d in DEFINITIONS:
        state.definitions[d.definition_id] = d


def install_workspace(state: EmulatorState, name: str = DEFAULT_WORKSPACE_NAME) -> Workspace:
    """Create the (default) workspace and make it the target of admin shortcuts."""
    ws = Workspace(
        workspace_id=stable_id("workspace", name),
        name=name,
        slug=name.lower().replace(" ", "-"),
        organization_id="00000000-0000-0000-0000-000000000000",
        customer_id=stable_id("customer", name),
    )
    state.workspaces[ws.workspace_id] = ws
    if not state.default_workspace_id:
        state.default_workspace_id = ws.workspace_id
    return ws


def add_pair(
    state: EmulatorState,
    name: str,
    *,
    workspace_id: str,
    source_name: str,
    source_definition_id: str,
    source_config: dict[str, Any],
    destination_name: str,
    destination_definition_id: str,
    destination_config: dict[str, Any],
    streams: list[dict[str, Any]],
    created_at: int,
    id_key: str | None = None,
    **connection_fields: Any,
) -> Connection:
    """Create (or reuse by name) a source and a destination and connect them.

    Ids derive from the names (or ``id_key`` when names may repeat), keeping seeds deterministic.
    """
    source_id = stable_id("source", workspace_id, source_name)
    if source_id not in state.actors:
        state.add_actor(
            Actor(
                source_id,
                "source",
                workspace_id,
                source_definition_id,
                source_name,
                source_config,
                created_at,
                catalog=state.snapshot_catalog([s["stream"] for s in streams]),
            )
        )
        # Creating the connection ran a discover: its result is the source's cached catalog.
        state.actors[source_id].fetched_catalog = state.actors[source_id].catalog
    destination_id = stable_id("destination", workspace_id, destination_name)
    if destination_id not in state.actors:
        state.add_actor(
            Actor(
                destination_id,
                "destination",
                workspace_id,
                destination_definition_id,
                destination_name,
                destination_config,
                created_at,
            )
        )
    connection = Connection(
        connection_id=stable_id("connection", workspace_id, id_key or name),
        workspace_id=workspace_id,
        name=name,
        source_id=source_id,
        destination_id=destination_id,
        sync_catalog=streams,
        created_at=created_at,
        **connection_fields,
    )
    return state.add_connection(connection)


def seed_demo(state: EmulatorState) -> None:
    """The demo workspace: four connections that look like a small company's real Airbyte."""
    ws = install_workspace(state)
    t0 = int(state.started_at) - 86_400 * 30
    add_pair(
        state,
        "PostgreSQL → MinIO",
        workspace_id=ws.workspace_id,
        source_name="Shop Postgres",
        source_definition_id=SOURCE_POSTGRES,
        source_config={
            "host": "postgres.internal",
            "port": 5432,
            "database": "shop",
            "schemas": ["public"],
            "username": "airbyte",
            "password": "**********",
            "ssl_mode": {"mode": "prefer"},
            "replication_method": {"method": "Standard"},
        },
        destination_name="MinIO Lake",
        destination_definition_id=DESTINATION_S3,
        destination_config={
            "s3_bucket_name": "lake",
            "s3_bucket_path": "raw/shop",
            "s3_bucket_region": "us-east-1",
            "s3_endpoint": "http://minio:9000",
            "access_key_id": "**********",
            "secret_access_key": "**********",
            "format": {"format_type": "Parquet", "compression_codec": "SNAPPY"},
            "s3_path_format": "${NAMESPACE}/${STREAM_NAME}/${YEAR}_${MONTH}_${DAY}_${EPOCH}_",
        },
        streams=_ecommerce_streams(),
        created_at=t0,
        namespace_definition="source",
        schedule_type="cron",
        schedule_data={"cron": {"cronExpression": "0 0 2 * * ?", "cronTimeZone": "UTC"}},
    )
    add_pair(
        state,
        "MSSQL → S3",
        workspace_id=ws.workspace_id,
        source_name="Finance MSSQL",
        source_definition_id=SOURCE_MSSQL,
        source_config={
            "host": "mssql.internal",
            "port": 1433,
            "database": "finance",
            "schemas": ["dbo"],
            "username": "airbyte_cdc",
            "password": "**********",
            "replication_method": {"method": "CDC", "initial_waiting_seconds": 300},
        },
        destination_name="Finance S3",
        destination_definition_id=DESTINATION_S3,
        destination_config={
            "s3_bucket_name": "finance-raw",
            "s3_bucket_path": "mssql",
            "s3_bucket_region": "eu-west-1",
            "access_key_id": "**********",
            "secret_access_key": "**********",
            "format": {"format_type": "JSONL", "compression": {"compression_type": "GZIP"}},
        },
        streams=_mssql_streams(),
        created_at=t0 + 3600,
        namespace_definition="destination",
        prefix="mssql_",
        schedule_type="basic",
        schedule_data={"basicSchedule": {"timeUnit": "hours", "units": 6}},
    )
    add_pair(
        state,
        "CRM API → Postgres",
        workspace_id=ws.workspace_id,
        source_name="HubSpot CRM",
        source_definition_id=SOURCE_HUBSPOT,
        source_config={
            "credentials": {
                "credentials_title": "OAuth Credentials",
                "client_id": "7f4b0e2c-crm-sync",
                "client_secret": "**********",
                "refresh_token": "**********",
            },
            "start_date": "2024-01-01T00:00:00Z",
            "enable_experimental_streams": False,
        },
        destination_name="Warehouse Postgres (staging)",
        destination_definition_id=DESTINATION_POSTGRES,
        destination_config={
            "host": "warehouse.internal",
            "port": 5432,
            "database": "analytics",
            "schema": "staging",
            "username": "airbyte",
            "password": "**********",
            "ssl_mode": {"mode": "require"},
        },
        streams=_crm_streams(),
        created_at=t0 + 7200,
        namespace_definition="customformat",
        namespace_format="crm_${SOURCE_NAMESPACE}",
        schedule_type="manual",
    )
    add_pair(
        state,
        "Shop Orders → SQLite",
        workspace_id=ws.workspace_id,
        source_name="Shop Orders API",
        source_definition_id=SOURCE_SHOP_ORDERS_API,
        source_config={
            # OAuth with a refresh token (access tokens last an hour) and cursor pagination.
            "api_base_url": "https://api.shop.example.com/v2",
            "credentials": {
                "auth_type": "oauth2_refresh_token",
                "token_refresh_endpoint": "https://auth.shop.example.com/oauth/token",
                "client_id": "airbyte-orders-export",
                "client_secret": "**********",
                "refresh_token": "**********",
            },
            "pagination": {"type": "cursor", "page_size": 250, "cursor_param": "page_token"},
            "start_date": "2025-01-01T00:00:00Z",
        },
        destination_name="Local SQLite",
        destination_definition_id=DESTINATION_SQLITE,
        # Airbyte mounts /local from LOCAL_ROOT; the emulator maps it to its data dir (data/ in the demo).
        destination_config={"destination_path": DEMO_SQLITE_PATH},
        streams=_shop_streams(),
        created_at=t0 + 10800,
        namespace_definition="destination",
        schedule_type="manual",
    )


def generated_streams(count: int, namespace: str) -> list[dict[str, Any]]:
    """``count`` uniform incremental streams (``table_000`` ...), cheap to build by the thousand."""
    cols = {"id": col("integer"), "payload": col("string"), "updated_at": col("string", "date-time")}
    return [
        stream(f"table_{i:03d}", dict(cols), namespace=namespace, primary_key=["id"], cursor="updated_at")
        for i in range(count)
    ]


def add_generated_connection(
    state: EmulatorState, name: str, streams: list[dict[str, Any]], **connection_fields: Any
) -> Connection:
    """One Postgres → S3 connection with its own source and a shared destination."""
    ws_id = state.default_workspace_id
    return add_pair(
        state,
        name,
        workspace_id=ws_id,
        source_name=f"{name} source",
        source_definition_id=SOURCE_POSTGRES,
        source_config={
            "host": "db.internal",
            "port": 5432,
            "database": "app",
            "username": "airbyte",
            "password": "**********",
        },
        destination_name="Generated S3",
        destination_definition_id=DESTINATION_S3,
        destination_config={
            "s3_bucket_name": "generated",
            "s3_bucket_path": "raw",
            "s3_bucket_region": "us-east-1",
        },
        streams=streams,
        created_at=int(state.started_at),
        **connection_fields,
    )


def seed_generated(state: EmulatorState, connections: int, streams: int) -> None:
    """``connections`` active connections of ``streams`` streams each, in the default workspace."""
    install_workspace(state)
    for i in range(connections):
        add_generated_connection(state, f"generated-{i:05d}", generated_streams(streams, f"app_{i:05d}"))


def apply_seed(state: EmulatorState, seed: str) -> None:
    """Replace the state's entities with the named seed (``demo``, ``empty`` or ``generated:N:M``)."""
    with state.lock:
        state.clear_entities()
        state.default_workspace_id = ""
        install_definitions(state)
        if seed == "demo":
            seed_demo(state)
        elif seed == "empty":
            install_workspace(state)
        elif seed.startswith("generated:"):
            try:
                _, n, m = seed.split(":")
                seed_generated(state, int(n), int(m))
            except ValueError:
                raise ValueError(f"seed {seed!r} must look like generated:N:M") from None
        else:
            raise ValueError(f"unknown seed {seed!r}; use demo, empty or generated:N:M")
        drop_tables(state)
