"""A free local TCP port, for the servers tests start as separate processes (they cannot take port 0)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on now on 127.0.0.1 (the OS picks it; released before returning)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
