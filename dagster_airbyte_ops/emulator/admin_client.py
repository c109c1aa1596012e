"""``EmulatorAdmin``: a tiny ``requests`` wrapper over ``/_emulator/`` so tests read like prose."""

from __future__ import annotations

from typing import Any

import requests


class EmulatorAdmin:
    """Client for the admin endpoints of an emulator at ``base_url``."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/") + "/_emulator"
        self.timeout = timeout
        self._session = requests.Session()

    def _call(self, method: str, path: str, json: Any = None) -> Any:
        response = self._session.request(method, self.base_url + path, json=json, timeout=self.timeout)
        response.raise_for_status()
        return response.json()

    # ------------------------------------------------------------------ request log
    def requests(self) -> list[dict[str, Any]]:
        """Logged Airbyte-path requests: ``method``, ``path``, ``query``, ``status``, ``time``."""
        return self._call("GET", "/requests")

    def clear_requests(self) -> None:
        """Empty the request log."""
        self._call("DELETE", "/requests")

    def count(self, path_contains: str = "", method: str | None = None) -> int:
        """How many logged requests have ``path_contains`` in their path (and the method, if given)."""
        return sum(
            1
            for r in self.requests()
            if path_contains in r["path"] and (method is None or r["method"] == method.upper())
        )

    # ------------------------------------------------------------------ state
    def reset(self, seed: str | None = None) -> dict[str, Any]:
        """Fresh state from ``seed`` (default: the current one); clears faults and the request log."""
        return self._call("POST", "/reset", {"seed": seed} if seed else {})

    def restart(self, reset_ids: bool = False) -> dict[str, Any]:
        """Forget every job, as an Airbyte restarted on a wiped job table would."""
        return self._call("POST", "/restart", {"reset_ids": reset_ids})

    def state(self) -> dict[str, Any]:
        """Summary counts."""
        return self._call("GET", "/state")

    def create_connection(self, name: str, streams: list[str] | int = 3, **fields: Any) -> dict[str, Any]:
        """Create source + destination + connection; returns the Config API ``ConnectionRead``."""
        return self._call("POST", "/connections", {"name": name, "streams": streams, **fields})

    def bulk(self, connections: int, streams: int = 3) -> list[str]:
        """Create ``connections`` connections of ``streams`` streams; returns their ids."""
        return self._call("POST", "/bulk", {"connections": connections, "streams": streams})["connectionIds"]

    def set_behaviour(self, connection_id: str, **behaviour: Any) -> dict[str, Any]:
        """Script the next jobs: ``duration_s``, ``outcome``, ``attempts``, ``records_per_stream``,
        ``failure_message`` (also ``failure_origin``, ``failure_type``, ``status``)."""
        return self._call("POST", f"/connections/{connection_id}/behaviour", behaviour)

    # ------------------------------------------------------------------ faults
    def change_source_schema(self, connection_id: str, *changes: dict[str, Any]) -> dict[str, Any]:
        """Change the live schema of a connection's source, e.g.
        ``{"op": "remove_column", "stream": "orders", "column": "updated_at"}`` (ops: add_column,
        remove_column, retype_column, add_stream, remove_stream, set_primary_key)."""
        result: dict[str, Any] = self._call(
            "POST", f"/connections/{connection_id}/source_schema", {"changes": list(changes)}
        )
        return result

    def add_fault(
        self,
        kind: str,
        path: str = ".*",
        method: str | None = None,
        count: int = 1,
        status: int = 503,
        retry_after: float | None = None,
        delay_s: float = 1.0,
        hold_s: float = 0.0,
    ) -> dict[str, Any]:
        """Queue a fault (see :mod:`dagster_airbyte_ops.emulator.faults`)."""
        return self._call(
            "POST",
            "/faults",
            {
                "kind": kind,
                "path": path,
                "method": method,
                "count": count,
                "status": status,
                "retry_after": retry_after,
                "delay_s": delay_s,
                "hold_s": hold_s,
            },
        )

    def serve_body(
        self,
        body: str,
        path: str = ".*",
        method: str | None = None,
        count: int = 1,
        status: int = 200,
        content_type: str = "application/json",
    ) -> dict[str, Any]:
        """Answer the next ``count`` matching requests with ``body`` instead of Airbyte's response."""
        return self._call(
            "POST",
            "/faults",
            {
                "kind": "body",
                "path": path,
                "method": method,
                "count": count,
                "status": status,
                "body": body,
                "content_type": content_type,
            },
        )

    def expire_tokens(self) -> int:
        """Expire every issued access token now; returns how many."""
        return self._call("POST", "/faults", {"kind": "expire_tokens"})["expired"]

    def faults(self) -> list[dict[str, Any]]:
        """Faults still queued."""
        return self._call("GET", "/faults")

    def clear_faults(self) -> None:
        """Remove all queued faults."""
        self._call("DELETE", "/faults")

    # ------------------------------------------------------------------ jobs
    def jobs(self) -> list[dict[str, Any]]:
        """Every job: ``jobId``, ``connectionId``, ``configType``, ``status``, ``createdAt``, ``attempts``."""
        return self._call("GET", "/jobs")

    def start_job(self, connection_id: str, config_type: str = "sync") -> dict[str, Any]:
        """Start a job as Airbyte's own scheduler would (not through the API, not logged)."""
        return self._call("POST", "/jobs", {"connectionId": connection_id, "configType": config_type})
