"""A throwaway PostgreSQL server: Debian's `postgresql` binaries, a temp folder, a free port.

Dagster in production keeps runs, events, schedules and sensor cursors in PostgreSQL; the tests that
touch Dagster's storage run against one too, not only against the default SQLite, and benchmark 2
measures a run on both. The server is private to its user (own data folder, Unix socket in that
folder, 127.0.0.1 only) and every test gets its own database on it, so tests never see each other's
runs. Self-contained (no other test module), so `make bench` imports it as `tests.postgres_server`.

PostgreSQL refuses to run as root; CI runs as root, so there the server runs as the `postgres` system
user the Debian package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

INSTALL_HINT = "install Debian's postgresql package (scripts/system-packages.sh, which make test runs)"


def free_port() -> int:
    """A port nothing listens on now on 127.0.0.1 (PostgreSQL cannot take port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def find_pg_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_major, reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def _major(path: str) -> int:
    try:
        return int(Path(path).parents[1].name)
    except ValueError:
        return 0


@dataclass
class PostgresServer:
    """A running server; `new_database()` gives each test an empty database URL."""

    bin_dir: Path
    data_dir: Path
    port: int
    user: str
    _as_user: list[str]
    _numbers: count = field(default_factory=count)

    @classmethod
    def start(cls, bin_dir: Path) -> PostgresServer:
        base = Path(tempfile.mkdtemp(prefix="airbyte_ops_pg_"))
        as_user: list[str] = []
        user = pwd.getpwuid(os.getuid()).pw_name
        if os.getuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(base, account.pw_uid, account.pw_gid)
            as_user = ["runuser", "-u", "postgres", "--"]
            user = "postgres"
        data = base / "data"
        server = cls(bin_dir=bin_dir, data_dir=data, port=free_port(), user=user, _as_user=as_user)
        server._run("initdb", "-D", str(data), "-U", user, "-A", "trust", "--no-sync", "-E", "UTF8")
        options = (
            f"-c listen_addresses=127.0.0.1 -p {server.port} -k {base} -c fsync=off -c full_page_writes=off"
        )
        log = str(base / "log")
        server._run("pg_ctl", "-D", str(data), "-o", options, "-l", log, "-w", "-t", "60", "start")
        return server

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self._as_user, str(self.bin_dir / program), *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self, template: str | None = None) -> str:
        """Create an empty database (or a copy of `template`) and return its URL."""
        import psycopg2

        name = f"test_{os.getpid()}_{next(self._numbers)}_{int(time.time() * 1000) % 100000}"
        connection = psycopg2.connect(self.url())
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        connection.close()
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.data_dir.parent, ignore_errors=True)
