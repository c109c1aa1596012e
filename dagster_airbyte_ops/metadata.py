"""The `airbyte/*` metadata keys, as one typed set: what we write on assets, events and schedules.

Like dagster-fivetran's `FivetranMetadataSet`, one class names every key of the namespace with its
type, so a writer builds `AirbyteMetadataSet(job_id=..., job_url=...).to_metadata()` and a reader
gets typed fields back with `AirbyteMetadataSet.extract(event.metadata)`; neither spells a key.
(Dagster's own `NamespacedMetadataSet` is not public API, hence this small dataclass.)

The keys are a contract: alerts read them from failed steps, the deferred sensor from observations,
and users' own sensors and the UI from materializations. Where each is written:

    asset definitions   connection_id, connection_name, stream_name, sync_mode, source_namespace,
                        cursor_field, primary_key (assets/translator.py)
    materializations    job_id, job_url, attempts, duration_s, attached_to_running_job,
                        bytes_committed, or job_rows_synced / job_bytes_synced where Airbyte reports
                        only totals (assets/connection_assets.py); origin and deferred_run_id for
                        syncs recorded by the observer and deferred sensors
    deferred steps      job_id, job_url, deferred (observations: the job is pending)
    failed steps        connection_id, job_id, job_status, job_url, failure_reason (resource/)
    schedules           connection_id, and `airbyte_ops/config_path` (CONFIG_PATH_KEY)

Run tags of our jobs and schedules use the same namespace (TAG_* below); the per-job tags that tie a
run to an Airbyte job are in assets/run_tags.py. This module imports nothing from the package.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import dagster as dg

NAMESPACE = "airbyte"

#: Schedule metadata: where in airbyte_ops.yaml the schedule was configured.
CONFIG_PATH_KEY = "airbyte_ops/config_path"

#: Run tags: on a connection's job (and its schedules' runs), and on runs of adopted schedules.
TAG_CONNECTION_ID = f"{NAMESPACE}/connection_id"
TAG_CONNECTION_NAME = f"{NAMESPACE}/connection_name"
TAG_SCHEDULE_ORIGIN = "airbyte_ops/schedule_origin"


@dataclass(frozen=True, kw_only=True)
class AirbyteMetadataSet:
    """Every `airbyte/<field>` metadata entry; None means absent (not written, or not found).

    Example:
        ```python
        import dagster as dg
        from dagster_airbyte_ops.metadata import AirbyteMetadataSet

        metadata = AirbyteMetadataSet(job_id=42, job_url="http://localhost:8000/...").to_metadata()
        event = dg.AssetMaterialization(asset_key="orders", metadata=metadata)
        assert AirbyteMetadataSet.extract(event.metadata).job_id == 42
        ```
    """

    # What the stream is (asset definitions)
    connection_id: str | None = None
    connection_name: str | None = None
    stream_name: str | None = None
    sync_mode: str | None = None
    source_namespace: str | None = None
    cursor_field: str | None = None
    primary_key: str | None = None
    # What a sync did (events)
    job_id: int | None = None
    job_url: str | None = None
    job_status: str | None = None
    failure_reason: str | None = None
    attempts: int | None = None
    duration_s: float | None = None
    attached_to_running_job: bool | None = None
    bytes_committed: int | None = None
    job_rows_synced: int | None = None
    job_bytes_synced: int | None = None
    # Who recorded it, when not the sync step itself
    origin: str | None = None
    deferred: str | None = None
    deferred_run_id: str | None = None

    _URL_FIELDS: ClassVar[frozenset[str]] = frozenset({"job_url"})

    @classmethod
    def key(cls, field: str) -> str:
        """`airbyte/<field>`; a KeyError for a field the set does not have (a typo fails at once)."""
        if field not in _FIELDS:
            raise KeyError(f"{field!r} is not an airbyte/* metadata field; known: {', '.join(_FIELDS)}")
        return f"{NAMESPACE}/{field}"

    def to_metadata(self) -> dict[str, Any]:
        """The fields that are set, by key: plain values (Dagster wraps them as text, int, float or
        bool metadata) and URL fields as `MetadataValue.url`, so the UI links them."""
        metadata: dict[str, Any] = {}
        for field in _FIELDS:
            value = getattr(self, field)
            if value is None:
                continue
            if field in self._URL_FIELDS:
                value = dg.MetadataValue.url(value)
            elif _FIELDS[field] is float:
                value = float(value)  # an int would be recorded as int metadata
            metadata[f"{NAMESPACE}/{field}"] = value
        return metadata

    @classmethod
    def extract(cls, metadata: Mapping[str, Any]) -> AirbyteMetadataSet:
        """The set's fields found in `metadata` (other keys ignored), as plain values.

        A value of the wrong type (a user wrote `airbyte/job_id: "abc"`) reads as absent rather
        than failing the reader: alerts and sensors must keep working on foreign metadata.
        """
        found: dict[str, Any] = {}
        for field, kind in _FIELDS.items():
            entry = metadata.get(f"{NAMESPACE}/{field}")
            value = entry.value if isinstance(entry, dg.MetadataValue) else entry
            if value is None:
                continue
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
                found[field] = value
        return cls(**found)


#: Field name -> the plain type of its value.
_FIELDS: dict[str, type] = {
    f.name: {"str | None": str, "int | None": int, "float | None": float, "bool | None": bool}[str(f.type)]
    for f in dataclasses.fields(AirbyteMetadataSet)
}
