"""The state file: which Airbyte resources this file manages, and fingerprints of the secrets written.

Ownership: a resource is managed when the state file lists its id (under `source/<name>`,
`destination/<name>`, `connection/<name>`). `apply --prune` deletes only resources listed here and no
longer declared; a resource made by hand is never listed unless a declaration of the same name adopts it.

Secrets: Airbyte reads secrets back as `**********`, so a changed secret cannot be seen by reading
Airbyte. After writing a secret, apply records `HMAC-SHA256(key, resource/path + value)`; plan computes
the same for the value in the environment now and reports "secret changed" when they differ. The value is
never stored; the key comes from the environment (`AIRBYTE_OPS_STATE_KEY`), so the file alone (e.g. in
git or a CI artefact) does not allow guessing a short password by trying candidates offline.

The file is JSON, written atomically (temporary file + rename) after every step of apply, so an apply
that stops half-way leaves a file that says exactly what was done and a rerun converges.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError

STATE_ENV_VAR = "AIRBYTE_OPS_STATE"
STATE_KEY_ENV_VAR = "AIRBYTE_OPS_STATE_KEY"
DEFAULT_STATE_FILENAME = ".airbyte_ops_state.json"
STATE_VERSION = 1
MIN_KEY_CHARS = 16


def state_path(config_file: str | os.PathLike[str], explicit: str | None, environ: Mapping[str, str]) -> Path:
    """`--state`, else `$AIRBYTE_OPS_STATE`, else `.airbyte_ops_state.json` beside the configuration file."""
    if explicit:
        return Path(explicit)
    if environ.get(STATE_ENV_VAR):
        return Path(environ[STATE_ENV_VAR])
    return Path(config_file).resolve().parent / DEFAULT_STATE_FILENAME


@dataclass
class ManagedResource:
    """One resource this file manages: its Airbyte id and the fingerprints of its secrets."""

    id: str
    secrets: dict[str, str] = field(default_factory=dict)  # dotted path → fingerprint


@dataclass
class ManageState:
    """The state file's content; `key` is the HMAC key (None when unset)."""

    path: Path
    airbyte_url: str = ""
    workspace_id: str = ""
    resources: dict[str, ManagedResource] = field(default_factory=dict)
    key: bytes | None = None

    @staticmethod
    def load(path: Path, environ: Mapping[str, str]) -> ManageState:
        """Read the state file (a missing file is an empty state: nothing is managed yet)."""
        raw_key = environ.get(STATE_KEY_ENV_VAR)
        key = raw_key.encode() if raw_key else None
        if raw_key is not None and len(raw_key) < MIN_KEY_CHARS:
            raise ConfigError(
                f"{STATE_KEY_ENV_VAR} is shorter than {MIN_KEY_CHARS} characters; use a long random value "
                '(e.g. python -c "import secrets; print(secrets.token_hex(32))")'
            )
        if not path.exists():
            return ManageState(path=path, key=key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"{path}: cannot read the state file ({exc}); restore it from a backup"
            ) from None
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise ConfigError(f"{path}: not an airbyte-ops state file of version {STATE_VERSION}")
        resources = {
            name: ManagedResource(id=str(item["id"]), secrets=dict(item.get("secrets") or {}))
            for name, item in (data.get("resources") or {}).items()
        }
        return ManageState(
            path=path,
            airbyte_url=str(data.get("airbyte_url") or ""),
            workspace_id=str(data.get("workspace_id") or ""),
            resources=resources,
            key=key,
        )

    def save(self) -> None:
        """Write atomically: a crash leaves the old file or the new one, never half of one."""
        data: dict[str, Any] = {
            "version": STATE_VERSION,
            "airbyte_url": self.airbyte_url,
            "workspace_id": self.workspace_id,
            "resources": {
                name: {"id": r.id, "secrets": dict(sorted(r.secrets.items()))}
                for name, r in sorted(self.resources.items())
            },
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".airbyte_ops_state.", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
        os.replace(tmp, self.path)

    def require_key(self) -> bytes:
        """The HMAC key; ConfigError naming the variable when it is unset."""
        if self.key is None:
            raise ConfigError(
                f"{STATE_KEY_ENV_VAR} is not set; secrets are declared, and plan/apply need a key to "
                "fingerprint them without storing them: export a long random value (keep it like a password)"
            )
        return self.key

    def fingerprint(self, resource: str, path: str, value: Any) -> str:
        """Keyed fingerprint of one secret value of one resource (never the value itself)."""
        message = f"{resource}\x00{path}\x00{json.dumps(value, sort_keys=True)}".encode()
        return "hmac-sha256:" + hmac.new(self.require_key(), message, hashlib.sha256).hexdigest()
