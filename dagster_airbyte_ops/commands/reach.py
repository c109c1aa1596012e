"""Where the command line looks for Airbyte, and a quick answer when nothing is there.

The order: `AIRBYTE_URL` when set; else the emulator of a running `airbyte-ops dev` (dev_state.py);
else the URL the configuration file gives. Whichever won is said in `check`'s first line. Before the
client (with its retries for a flaky Airbyte) is let loose, one TCP connect with a short timeout tells
"nothing listens there" in a second, as one line naming where it looked and how to look elsewhere,
instead of 20 seconds of retry warnings.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..config import AirbyteOpsConfig
from ..config.instances import AirbyteInstance
from ..errors import AirbyteOpsError
from .dev_state import DevState, read_state

URL_VARIABLE = "AIRBYTE_URL"
PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Lookup:
    """What decided the Airbyte URL: the variable the user set, a running dev command, or neither."""

    from_variable: str | None
    dev: DevState | None


@contextmanager
def airbyte_url_from_dev() -> Iterator[Lookup]:
    """Within: `AIRBYTE_URL` is the running dev command's emulator when the user did not set it.

    The variable is restored afterwards (the commands also run in-process, e.g. in tests).
    """
    given = os.environ.get(URL_VARIABLE)
    dev = None if given else read_state()
    if dev is None:
        yield Lookup(given, None)
        return
    os.environ[URL_VARIABLE] = dev.emulator_url
    try:
        yield Lookup(None, dev)
    finally:
        os.environ.pop(URL_VARIABLE, None)


def where(lookup: Lookup, config: AirbyteOpsConfig, instance: AirbyteInstance) -> str:
    """Why this instance's URL is what it is, in words."""
    url = str(instance.airbyte.url).rstrip("/")
    if lookup.dev is not None and url == lookup.dev.emulator_url.rstrip("/"):
        return lookup.dev.describe()
    if lookup.from_variable is not None and url == lookup.from_variable.rstrip("/"):
        return f"${URL_VARIABLE}"
    unset = f"; ${URL_VARIABLE} unset" if lookup.from_variable is None else ""
    return f"{instance.path}.url in {config.source_name}{unset}, no `airbyte-ops dev` running here"


def require_reachable(lookup: Lookup, config: AirbyteOpsConfig, instance: AirbyteInstance) -> None:
    """Raise one clear AirbyteOpsError when nothing accepts a connection at the instance's URL."""
    url = str(instance.airbyte.url).rstrip("/")
    problem = probe(url)
    if problem is None:
        return
    raise AirbyteOpsError(
        f"no Airbyte at {url} ({problem}); looked there because of {where(lookup, config, instance)}. "
        f"Start the demo (`make dev`), or point elsewhere: {URL_VARIABLE}=http://HOST:PORT airbyte-ops "
        f"<command>, or {instance.path}.url in {config.source_name}"
    )


def probe(url: str, timeout_s: float = PROBE_TIMEOUT_S) -> str | None:
    """None when something accepts a TCP connection at `url`'s host and port, else why not."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return None
    except TimeoutError:
        return f"no answer within {timeout_s:.0f} s"
    except ConnectionRefusedError:
        return "connection refused"
    except OSError as exc:
        return exc.strerror or type(exc).__name__
