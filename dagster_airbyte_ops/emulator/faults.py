"""Injected faults: the failures a client meets against a real Airbyte behind real networks.

Faults are queued through ``POST /_emulator/faults`` and consumed by the middleware in :mod:`.app`,
first match wins, each ``count`` times. Kinds: ``status`` (a fabricated error answer, e.g. 503 or
429 with ``retry_after``), ``drop`` (the socket closes mid-response, nothing handled), ``delay`` (the
request waits ``delay_s`` before it is handled), ``lost_response`` (handled, then the connection is held
``hold_s`` and dropped: the client never sees the answer), ``expire_tokens`` (immediate), and ``body``
(``body`` served with ``status``, default 200, and ``content_type`` instead of Airbyte's answer: missing
fields, wrong types, HTML pages, empty bodies).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

FaultKind = Literal["status", "drop", "delay", "lost_response", "expire_tokens", "body"]
FAULT_KINDS = ("status", "drop", "delay", "lost_response", "expire_tokens", "body")


@dataclass
class Fault:
    """One queued fault; ``remaining`` counts down to removal."""

    kind: FaultKind
    path: str = ".*"
    method: str | None = None
    remaining: int = 1
    status: int = 503
    retry_after: float | None = None
    delay_s: float = 1.0
    #: ``lost_response`` faults: how long the connection stays open, silent, before it is dropped.
    hold_s: float = 0.0
    #: ``body`` faults: the raw text served instead of Airbyte's answer (malformed payloads, HTML pages).
    body: str = ""
    content_type: str = "application/json"
    _pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._pattern = re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to a request."""
        if self.method and self.method.upper() != method.upper():
            return False
        return self._pattern.search(path) is not None

    def as_dict(self) -> dict[str, Any]:
        """JSON form for ``GET /_emulator/faults``."""
        return {
            "kind": self.kind,
            "path": self.path,
            "method": self.method,
            "count": self.remaining,
            "status": self.status,
            "retry_after": self.retry_after,
            "delay_s": self.delay_s,
            "hold_s": self.hold_s,
            "body": self.body,
            "content_type": self.content_type,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        """Build from the admin payload, rejecting unknown kinds and bad regexes with ValueError."""
        kind = data.get("kind")
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}, not {kind!r}")
        count = data.get("count", 1)
        if not isinstance(count, int) or count < 1:
            raise ValueError("count must be a positive integer")
        try:
            return cls(
                kind=kind,
                path=str(data.get("path") or ".*"),
                method=data.get("method"),
                remaining=count,
                status=int(data.get("status") or (200 if kind == "body" else 503)),
                retry_after=data.get("retry_after"),
                delay_s=float(data.get("delay_s", 1.0)),
                hold_s=float(data.get("hold_s") or 0.0),
                body=str(data.get("body") or ""),
                content_type=str(data.get("content_type") or "application/json"),
            )
        except re.error as exc:
            raise ValueError(f"bad path regex: {exc}") from None


class FaultRegistry:
    """Thread-safe queue of faults (admin calls and request handling run on different threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault after the existing ones."""
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Remove every queued fault."""
        with self._lock:
            self._faults.clear()

    def list(self) -> list[dict[str, Any]]:
        """The faults still queued."""
        with self._lock:
            return [f.as_dict() for f in self._faults]

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault matching the request, consuming one of its uses."""
        with self._lock:
            for f in self._faults:
                if f.matches(method, path):
                    f.remaining -= 1
                    if f.remaining <= 0:
                        self._faults.remove(f)
                    return f
        return None
