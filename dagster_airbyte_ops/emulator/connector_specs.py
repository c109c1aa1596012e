"""Connector specifications the emulator serves and validates against (``*_definition_specifications/get``).

Field names, types, required lists, enums, ``oneOf`` discriminators and ``airbyte_secret`` flags are
read off Airbyte's own connector specifications (airbytehq/airbyte); descriptions are shortened to
titles. Where each came from (path @ commit):

- source Postgres: ``airbyte-integrations/connectors/source-postgres/src/main/resources/spec.json``
  @ 035bb71fe8a0 (host, port, database, schemas, username, password [secret], jdbc_url_params, ssl_mode
  oneOf on ``mode`` with secret certificates/keys, replication_method oneOf ``Standard`` | ``CDC``
  with replication_slot/publication required).
- source MySQL: ``.../source-mysql/src/test/resources/spec-schema-snapshots/
  MySqlSourceConfigurationSpecification.json`` @ 716d2b5eddc8 (required host, port, database,
  username, replication_method; ``STANDARD`` | ``CDC``; ssl_mode; tunnel_method).
- source MSSQL: ``.../source-mssql/src/test/resources/spec-schema-snapshots/
  MsSqlServerSourceConfigurationSpecification.json`` @ 99407909886b (required host, port, database,
  replication_method; password and client_secret secret).
- source File: ``.../source-file/source_file/spec.json`` @ 03c23e750e58 (dataset_name, format enum,
  reader_options, url, provider oneOf on ``storage``); the provider passwords and keys are marked
  ``airbyte_secret`` as in later releases of the connector (that old file says ``airbyte_sensitive``).
- destination S3: ``.../destination-s3/src/test-integration/resources/expected-spec-oss.json``
  @ 047355457d31 (S3 V2: required s3_bucket_name, s3_bucket_path, s3_bucket_region, format; access
  keys secret; format oneOf on ``format_type`` CSV | JSONL | Avro | Parquet).
- destination Postgres: ``.../destination-postgres/src/test-integration/resources/expected-spec-oss.json``
  @ 114ca073295b (required host, port, database, schema, username; password secret; ssl_mode).
- destination Local SQLite: ``.../destination-sqlite/destination_sqlite/spec.json`` @ 004f98c0b844
  (destination_path required; no additional properties).

Connectors the emulator lists without a bundled specification (GitHub, Stripe, BigQuery, ...) get a
permissive one (any object); their secrets are then masked by key name, the emulator's older rule.
"""

from __future__ import annotations

from typing import Any

from dagster_airbyte_ops.emulator.seeds import (
    DESTINATION_POSTGRES,
    DESTINATION_S3,
    DESTINATION_SQLITE,
    SOURCE_FAKER,
    SOURCE_FILE,
    SOURCE_HUBSPOT,
    SOURCE_MSSQL,
    SOURCE_MYSQL,
    SOURCE_POSTGRES,
)

Schema = dict[str, Any]

_DOCS = "https://docs.airbyte.com/integrations"


def _str(title: str, **extra: Any) -> Schema:
    return {"type": "string", "title": title, **extra}


def _int(title: str, **extra: Any) -> Schema:
    return {"type": "integer", "title": title, **extra}


def _bool(title: str, **extra: Any) -> Schema:
    return {"type": "boolean", "title": title, **extra}


def _secret(title: str, **extra: Any) -> Schema:
    return {"type": "string", "title": title, "airbyte_secret": True, **extra}


def _port(default: int | None) -> Schema:
    out = _int("Port", minimum=0, maximum=65536)
    if default is not None:
        out["default"] = default
    return out


def _branch(
    title: str,
    key: str,
    value: str,
    *,
    const: bool = False,
    shared: dict[str, Schema] | None = None,
    **props: Schema,
) -> Schema:
    """One ``oneOf`` alternative discriminated by ``key`` (``const`` or a one-value ``enum``)."""
    props = {**{k: dict(v) for k, v in (shared or {}).items()}, **props}
    disc: Schema = {"type": "string", "default": value}
    disc.update({"const": value} if const else {"enum": [value]})
    required = [key, *[k for k, v in props.items() if v.pop("_required", False)]]
    return {
        "title": title,
        "type": "object",
        "additionalProperties": True,
        "required": required,
        "properties": {key: disc, **props},
    }


def _req(schema: Schema) -> Schema:
    """Mark a property of a ``_branch`` as required there."""
    return {**schema, "_required": True}


def _one_of(title: str, *branches: Schema) -> Schema:
    return {"type": "object", "title": title, "oneOf": list(branches)}


def _ssh_tunnel() -> Schema:
    common = {
        "tunnel_host": _req(_str("SSH Tunnel Jump Server Host")),
        "tunnel_port": _req(_int("SSH Connection Port", default=22, minimum=0, maximum=65536)),
        "tunnel_user": _req(_str("SSH Login Username")),
    }
    return _one_of(
        "SSH Tunnel Method",
        _branch("No Tunnel", "tunnel_method", "NO_TUNNEL"),
        _branch(
            "SSH Key Authentication",
            "tunnel_method",
            "SSH_KEY_AUTH",
            shared=common,
            ssh_key=_req(_secret("SSH Private Key", multiline=True)),
        ),
        _branch(
            "Password Authentication",
            "tunnel_method",
            "SSH_PASSWORD_AUTH",
            shared=common,
            tunnel_user_password=_req(_secret("Password")),
        ),
    )


def _pg_ssl_modes(*, certificates: bool) -> Schema:
    branches = []
    for mode in ("disable", "allow", "prefer", "require", "verify-ca", "verify-full"):
        props: dict[str, Schema] = {}
        if certificates and mode.startswith("verify"):
            props = {
                "ca_certificate": _req(_secret("CA certificate", multiline=True)),
                "client_certificate": _secret("Client Certificate", multiline=True),
                "client_key": _secret("Client Key", multiline=True),
                "client_key_password": _secret("Client key password"),
            }
        branches.append(_branch(mode, "mode", mode, const=certificates, **props))
    return _one_of("SSL Modes", *branches)


def source_postgres() -> Schema:
    """Postgres source (``airbyte/source-postgres``)."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Postgres Source Spec",
        "type": "object",
        "required": ["host", "port", "database", "username"],
        "properties": {
            "host": _str("Host"),
            "port": _port(5432),
            "database": _str("Database Name"),
            "schemas": {
                "type": "array",
                "title": "Schemas",
                "items": {"type": "string"},
                "minItems": 0,
                "uniqueItems": True,
                "default": ["public"],
            },
            "username": _str("Username"),
            "password": _secret("Password"),
            "jdbc_url_params": _str("JDBC URL Parameters (Advanced)"),
            "ssl_mode": _pg_ssl_modes(certificates=True),
            "replication_method": _one_of(
                "Replication Method",
                _branch("Standard", "method", "Standard", const=True),
                _branch(
                    "Logical Replication (CDC)",
                    "method",
                    "CDC",
                    const=True,
                    plugin=_str("Plugin", enum=["pgoutput"], default="pgoutput"),
                    replication_slot=_req(_str("Replication Slot")),
                    publication=_req(_str("Publication")),
                    initial_waiting_seconds=_int("Initial Waiting Time in Seconds (Advanced)", default=300),
                    lsn_commit_behaviour=_str(
                        "LSN commit behaviour",
                        enum=["While reading Data", "After loading Data in the destination"],
                        default="After loading Data in the destination",
                    ),
                ),
            ),
            "tunnel_method": _ssh_tunnel(),
        },
    }


def _mysql_ssl_modes() -> Schema:
    certs = {
        "ca_certificate": _req(_secret("CA certificate", multiline=True)),
        "client_certificate": _secret("Client certificate File", multiline=True),
        "client_key": _secret("Client Key", multiline=True),
        "client_key_password": _secret("Client key password", multiline=True),
    }
    return _one_of(
        "Encryption",
        _branch("preferred", "mode", "preferred"),
        _branch("required", "mode", "required"),
        _branch("verify_ca", "mode", "verify_ca", shared=certs),
        _branch("verify_identity", "mode", "verify_identity", shared=certs),
    )


_CDC_POSITION = ["Fail sync", "Re-sync data"]


def source_mysql() -> Schema:
    """MySQL source (``airbyte/source-mysql``)."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "MySQL Source Spec",
        "type": "object",
        "additionalProperties": True,
        "required": ["host", "port", "database", "username", "replication_method"],
        "properties": {
            "host": _str("Host"),
            "port": _port(3306),
            "database": _str("Database"),
            "username": _str("User"),
            "password": _secret("Password"),
            "replication_method": _one_of(
                "Update Method",
                _branch("Scan Changes with User Defined Cursor", "method", "STANDARD"),
                _branch(
                    "Read Changes using Change Data Capture (CDC)",
                    "method",
                    "CDC",
                    server_timezone=_str("Configured server timezone for the MySQL source (Advanced)"),
                    invalid_cdc_cursor_position_behavior=_str(
                        "Invalid CDC Position Behavior (Advanced)", enum=_CDC_POSITION, default="Fail sync"
                    ),
                    initial_load_timeout_hours=_int("Initial Load Timeout in Hours (Advanced)", default=8),
                ),
            ),
            "jdbc_url_params": _str("JDBC URL Params"),
            "checkpoint_target_interval_seconds": _int("Checkpoint Target Time Interval", default=300),
            "check_privileges": _bool("Check Table and Column Access Privileges", default=True),
            "ssl_mode": _mysql_ssl_modes(),
            "tunnel_method": _ssh_tunnel(),
        },
    }


def source_mssql() -> Schema:
    """Microsoft SQL Server source (``airbyte/source-mssql``)."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "MSSQL Source Spec",
        "type": "object",
        "additionalProperties": True,
        "required": ["host", "port", "database", "replication_method"],
        "properties": {
            "host": _str("Host"),
            "port": _port(1433),
            "database": _str("Database"),
            "schemas": {
                "type": "array",
                "title": "Schemas",
                "items": {"type": "string"},
                "minItems": 0,
                "uniqueItems": True,
            },
            "username": _str("Username"),
            "password": _secret("Password"),
            "jdbc_url_params": _str("JDBC URL Params"),
            "client_id": _str("Entra ID Client ID"),
            "client_secret": _secret("Entra ID Client Secret"),
            "tenant_id": _str("Entra ID Tenant ID"),
            "ssl_mode": _one_of(
                "Encryption",
                _branch("Unencrypted", "mode", "unencrypted"),
                _branch("Encrypted (trust server certificate)", "mode", "encrypted_trust_server_certificate"),
                _branch(
                    "Encrypted (verify certificate)",
                    "mode",
                    "encrypted_verify_certificate",
                    hostNameInCertificate=_str("Host Name In Certificate"),
                    certificate=_secret("Certificate", multiline=True),
                ),
            ),
            "tunnel_method": _ssh_tunnel(),
            "replication_method": _one_of(
                "Update Method",
                _branch(
                    "Scan Changes with User Defined Cursor",
                    "method",
                    "STANDARD",
                    exclude_todays_data=_bool("Exclude Today's Data", default=False),
                ),
                _branch(
                    "Read Changes using Change Data Capture (CDC)",
                    "method",
                    "CDC",
                    initial_waiting_seconds=_int("Initial Waiting Time in Seconds (Advanced)"),
                    invalid_cdc_cursor_position_behavior=_str(
                        "Invalid CDC Position Behavior (Advanced)", enum=_CDC_POSITION, default="Fail sync"
                    ),
                    initial_load_timeout_hours=_int("Initial Load Timeout in Hours (Advanced)", default=8),
                    poll_interval_ms=_int("Poll Interval in Milliseconds (Advanced)", default=500),
                ),
            ),
            "checkpoint_target_interval_seconds": _int("Checkpoint Target Time Interval", default=300),
            "concurrency": _int("Concurrency"),
            "check_privileges": _bool("Check Table and Column Access Privileges", default=True),
        },
    }


def source_file() -> Schema:
    """File source (``airbyte/source-file``): one stream read from a URL."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "File Source Spec",
        "type": "object",
        "additionalProperties": False,
        "required": ["dataset_name", "format", "url", "provider"],
        "properties": {
            "dataset_name": _str("Dataset Name"),
            "format": _str(
                "File Format",
                enum=["csv", "json", "jsonl", "excel", "excel_binary", "feather", "parquet", "yaml"],
                default="csv",
            ),
            "reader_options": _str("Reader Options"),
            "url": _str("URL"),
            "provider": _one_of(
                "Storage Provider",
                _branch("HTTPS: Public Web", "storage", "HTTPS"),
                _branch(
                    "GCS: Google Cloud Storage",
                    "storage",
                    "GCS",
                    service_account_json=_secret("Service Account JSON"),
                ),
                _branch(
                    "S3: Amazon Web Services",
                    "storage",
                    "S3",
                    aws_access_key_id=_str("AWS Access Key ID"),
                    aws_secret_access_key=_secret("AWS Secret Access Key"),
                ),
                _branch(
                    "SSH: Secure Shell",
                    "storage",
                    "SSH",
                    user=_req(_str("User")),
                    password=_secret("Password"),
                    host=_req(_str("Host")),
                ),
                _branch(
                    "SFTP: Secure File Transfer Protocol",
                    "storage",
                    "SFTP",
                    user=_req(_str("User")),
                    password=_secret("Password"),
                    host=_req(_str("Host")),
                ),
                _branch("Local Filesystem (limited)", "storage", "local"),
            ),
        },
    }


def source_faker() -> Schema:
    """Sample Data (Faker) source: fake users, products and purchases."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Faker Source Spec",
        "type": "object",
        "additionalProperties": True,
        "required": [],
        "properties": {
            "count": _int("Count", default=1000, minimum=1),
            "seed": _int("Seed", default=-1),
            "records_per_slice": _int("Records Per Stream Slice", default=1000, minimum=1),
            "always_updated": _bool("Always Updated", default=True),
            "parallelism": _int("Parallelism", default=4, minimum=1),
        },
    }


def source_hubspot() -> Schema:
    """HubSpot source: OAuth or private-app credentials."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "HubSpot Source Spec",
        "type": "object",
        "additionalProperties": True,
        "required": ["credentials"],
        "properties": {
            "start_date": _str("Start date", format="date-time"),
            "credentials": _one_of(
                "Authentication",
                _branch(
                    "OAuth",
                    "credentials_title",
                    "OAuth Credentials",
                    const=True,
                    client_id=_req(_str("Client ID")),
                    client_secret=_req(_secret("Client Secret")),
                    refresh_token=_req(_secret("Refresh Token")),
                ),
                _branch(
                    "Private App",
                    "credentials_title",
                    "Private App Credentials",
                    const=True,
                    access_token=_req(_secret("Access token")),
                ),
            ),
            "enable_experimental_streams": _bool("Enable experimental streams", default=False),
        },
    }


_S3_REGIONS = [
    "",
    "af-south-1",
    "ap-east-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
]


def _compression() -> Schema:
    return _one_of(
        "Compression",
        _branch("No Compression", "compression_type", "No Compression"),
        _branch("GZIP", "compression_type", "GZIP"),
    )


def _flattening() -> Schema:
    return _str("Flattening", enum=["No flattening", "Root level flattening"], default="No flattening")


def destination_s3() -> Schema:
    """S3 destination (``airbyte/destination-s3``, the V2 specification)."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "S3 V2 Destination Spec",
        "type": "object",
        "additionalProperties": True,
        "required": ["s3_bucket_name", "s3_bucket_path", "s3_bucket_region", "format"],
        "properties": {
            "access_key_id": _secret("S3 Key ID"),
            "secret_access_key": _secret("S3 Access Key"),
            "role_arn": _str("Role ARN"),
            "s3_bucket_name": _str("S3 Bucket Name"),
            "s3_bucket_path": _str("S3 Bucket Path"),
            "s3_bucket_region": _str("S3 Bucket Region", enum=_S3_REGIONS, default=""),
            "format": _one_of(
                "Output Format",
                _branch(
                    "CSV: Comma-Separated Values",
                    "format_type",
                    "CSV",
                    flattening=_req(_flattening()),
                    compression=_compression(),
                ),
                _branch(
                    "JSON Lines: Newline-delimited JSON",
                    "format_type",
                    "JSONL",
                    flattening=_flattening(),
                    compression=_compression(),
                ),
                _branch(
                    "Avro: Apache Avro",
                    "format_type",
                    "Avro",
                    compression_codec=_req(
                        _one_of(
                            "Compression Codec",
                            _branch("no compression", "codec", "no compression"),
                            _branch(
                                "Deflate", "codec", "Deflate", compression_level=_req(_int("Deflate Level"))
                            ),
                            _branch("bzip2", "codec", "bzip2"),
                            _branch("snappy", "codec", "snappy"),
                        )
                    ),
                ),
                _branch(
                    "Parquet: Columnar Storage",
                    "format_type",
                    "Parquet",
                    compression_codec=_str(
                        "Compression Codec",
                        enum=["UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD"],
                        default="UNCOMPRESSED",
                    ),
                    block_size_mb=_int("Block Size (Row Group Size) (MB)", default=128),
                    max_padding_size_mb=_int("Max Padding Size (MB)", default=8),
                    page_size_kb=_int("Page Size (KB)", default=1024),
                    dictionary_page_size_kb=_int("Dictionary Page Size (KB)", default=1024),
                    dictionary_encoding=_bool("Dictionary Encoding"),
                ),
            ),
            "s3_endpoint": _str("S3 Endpoint"),
            "s3_path_format": _str("S3 Path Format"),
            "file_name_pattern": _str("File Name Pattern"),
        },
    }


def destination_postgres() -> Schema:
    """Postgres destination (``airbyte/destination-postgres``)."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Postgres Destination Specification",
        "type": "object",
        "additionalProperties": True,
        "required": ["host", "port", "database", "schema", "username"],
        "properties": {
            "host": _str("Host"),
            "port": _port(None),
            "database": _str("Database Name"),
            "schema": _str("Default Schema", default="public"),
            "username": _str("Username"),
            "password": _secret("Password"),
            "ssl": _bool("SSL Connection"),
            "ssl_mode": _pg_ssl_modes(certificates=False),
            "cdc_deletion_mode": _str(
                "CDC deletion mode", enum=["Hard delete", "Soft delete"], default="Hard delete"
            ),
            "jdbc_url_params": _str("JDBC URL Params"),
            "raw_data_schema": _str("Airbyte Internal Schema Name"),
            "disable_type_dedupe": _bool("Disable Final Tables"),
            "drop_cascade": _bool("Drop tables with CASCADE"),
            "unconstrained_number": _bool("Unconstrained numeric columns"),
            "tunnel_method": _ssh_tunnel(),
        },
    }


def destination_sqlite() -> Schema:
    """Local SQLite destination (``airbyte/destination-sqlite``): a file under Airbyte's ``/local``."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Destination Sqlite",
        "type": "object",
        "additionalProperties": False,
        "required": ["destination_path"],
        "properties": {"destination_path": _str("Destination Path", examples=["/local/sqlite.db"])},
    }


def permissive() -> Schema:
    """For listed connectors without a bundled specification: any object is accepted."""
    return {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {}}


#: definition id → (connectionSpecification builder, documentation URL).
SPECS: dict[str, tuple[Any, str]] = {
    SOURCE_POSTGRES: (source_postgres, f"{_DOCS}/sources/postgres"),
    SOURCE_MYSQL: (source_mysql, f"{_DOCS}/sources/mysql"),
    SOURCE_MSSQL: (source_mssql, f"{_DOCS}/sources/mssql"),
    SOURCE_FILE: (source_file, f"{_DOCS}/sources/file"),
    SOURCE_FAKER: (source_faker, f"{_DOCS}/sources/faker"),
    SOURCE_HUBSPOT: (source_hubspot, f"{_DOCS}/sources/hubspot"),
    DESTINATION_S3: (destination_s3, f"{_DOCS}/destinations/s3"),
    DESTINATION_POSTGRES: (destination_postgres, f"{_DOCS}/destinations/postgres"),
    DESTINATION_SQLITE: (destination_sqlite, f"{_DOCS}/destinations/sqlite"),
}

#: Destination sync modes each destination supports (the spec's ``supported_destination_sync_modes``).
DESTINATION_SYNC_MODES: dict[str, list[str]] = {
    DESTINATION_S3: ["overwrite", "append"],
    DESTINATION_POSTGRES: ["overwrite", "append", "append_dedup"],
    DESTINATION_SQLITE: ["overwrite", "append"],
}

_CACHE: dict[str, Schema] = {}


def connection_specification(definition_id: str) -> Schema:
    """The ``connectionSpecification`` of a definition (permissive when none is bundled)."""
    if definition_id not in _CACHE:
        builder = SPECS.get(definition_id)
        _CACHE[definition_id] = builder[0]() if builder else permissive()
    return _CACHE[definition_id]


def has_specification(definition_id: str) -> bool:
    """Whether the emulator carries a real specification for this definition."""
    return definition_id in SPECS
