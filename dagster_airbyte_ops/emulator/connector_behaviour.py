"""What a created source discovers and when ``check_connection`` fails: the emulator's connector rules.

The emulator reaches no database, so both follow documented rules instead of the network:

- **discover**: a source's streams follow its connector and configuration. Postgres and MySQL offer the
  shop tables (customers, orders, order_items, products) in each configured schema (Postgres
  ``schemas``, default ``public``; MySQL: the ``database``); MSSQL offers the finance tables
  (invoices, payments, ledger_entries) in each of ``schemas`` (default ``dbo``) with CDC cursors;
  File offers one full-refresh stream named ``dataset_name``; Sample Data (Faker) offers users,
  products and purchases; HubSpot offers contacts, companies and deals. Other connectors offer three
  generated tables. A CDC replication method makes database streams use Airbyte's CDC cursor.
- **check_connection**: fails (HTTP 200, ``status: failed``, a ``config_error`` failure reason) when a
  host the configuration names (``host``, ``tunnel_host``, the host of ``s3_endpoint`` or ``url``)
  is under the reserved top-level domain ``.invalid`` (RFC 2606: such a name never resolves), and for
  a Local SQLite ``destination_path`` outside Airbyte's ``/local`` mount. Everything else succeeds.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any
from urllib.parse import urlparse

from dagster_airbyte_ops.emulator import seeds

_FILE_COLUMNS = {"id": seeds.col("integer"), "name": seeds.col("string"), "value": seeds.col("number")}


def _is_cdc(config: dict[str, Any]) -> bool:
    method = config.get("replication_method")
    return isinstance(method, dict) and method.get("method") == "CDC"


def _with_namespace(streams: list[dict[str, Any]], namespace: str) -> list[dict[str, Any]]:
    out = []
    for s in streams:
        stream = copy.deepcopy(s["stream"])
        stream["namespace"] = namespace
        out.append(stream)
    return out


def _cdc(streams: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for s in streams:
        s["jsonSchema"]["properties"].update(copy.deepcopy(seeds._cdc_columns()))
        s["sourceDefinedCursor"] = True
        s["defaultCursorField"] = ["_ab_cdc_lsn"]
        s["supportedSyncModes"] = ["full_refresh", "incremental"]
    return streams


def discover(definition_id: str, config: dict[str, Any]) -> list[dict[str, Any]]:
    """The Config API ``AirbyteStream`` list a source with this configuration discovers."""
    if definition_id in (seeds.SOURCE_POSTGRES, seeds.SOURCE_MYSQL):
        if definition_id == seeds.SOURCE_POSTGRES:
            schemas = [str(x) for x in config.get("schemas") or ["public"]]
        else:
            schemas = [str(config.get("database") or "db")]
        streams = [s for ns in schemas for s in _with_namespace(seeds._ecommerce_streams(), ns)]
        return _cdc(streams) if _is_cdc(config) else streams
    if definition_id == seeds.SOURCE_MSSQL:
        schemas = [str(x) for x in config.get("schemas") or ["dbo"]]
        return [s for ns in schemas for s in _with_namespace(seeds._mssql_streams(), ns)]
    if definition_id == seeds.SOURCE_FILE:
        name = str(config.get("dataset_name") or "file")
        entry = seeds.stream(name, dict(_FILE_COLUMNS), namespace=None, primary_key=None, cursor=None)
        return [entry["stream"]]
    if definition_id == seeds.SOURCE_FAKER:
        return [s["stream"] for s in seeds.faker_streams()]
    if definition_id == seeds.SOURCE_HUBSPOT:
        return [s["stream"] for s in seeds._crm_streams()]
    return [s["stream"] for s in seeds.generated_streams(3, "public")]


def _hosts(config: Any) -> list[str]:
    """Every host name a configuration points at, nested objects included."""
    out: list[str] = []
    if not isinstance(config, dict):
        return out
    for key, value in config.items():
        if isinstance(value, dict):
            out.extend(_hosts(value))
        elif isinstance(value, str) and key in ("host", "tunnel_host"):
            out.append(value)
        elif isinstance(value, str) and key in ("s3_endpoint", "url") and "://" in value:
            out.append(urlparse(value).hostname or "")
    return out


def check_failure(definition_id: str, config: dict[str, Any]) -> str | None:
    """Why ``check_connection`` fails for this configuration under the emulator's rules, or None."""
    for host in _hosts(config):
        if host.lower().rstrip(".").endswith(".invalid"):
            return (
                f"Could not connect with provided configuration. Error: java.net.UnknownHostException: "
                f"{host}: Name or service not known"
            )
    if definition_id == seeds.DESTINATION_SQLITE:
        path = str(config.get("destination_path") or "")
        if not path.startswith("/local/"):
            return f"Destination path {path!r} must be under the local mount /local/"
    return None


def check_read(config_type: str, config_id: str, now: float, failure: str | None) -> dict[str, Any]:
    """``CheckConnectionRead``: succeeded, or failed with the connector's message and a failure reason."""
    job: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "configType": config_type,
        "configId": config_id,
        "createdAt": int(now),
        "endedAt": int(now),
        "succeeded": True,
        "connectorConfigurationUpdated": False,
        "logs": {"logLines": []},
    }
    if failure is None:
        return {"status": "succeeded", "message": "Successfully connected.", "jobInfo": job}
    job["failureReason"] = {
        "failureOrigin": "source" if config_type.endswith("source") else "destination",
        "failureType": "config_error",
        "externalMessage": failure,
        "internalMessage": failure,
        "retryable": False,
        "timestamp": int(now * 1000),
    }
    return {"status": "failed", "message": failure, "jobInfo": job}
