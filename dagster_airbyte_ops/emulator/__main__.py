"""``python -m dagster_airbyte_ops.emulator``: serve the emulator from the command line."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from dagster_airbyte_ops.emulator.server import run_emulator
from dagster_airbyte_ops.emulator.state import EmulatorSettings


def parse_args(argv: Sequence[str] | None = None) -> tuple[str, int, EmulatorSettings]:
    """Parse CLI flags into host, port and settings (shared with ``airbyte-ops emulator``)."""
    d = EmulatorSettings()
    p = argparse.ArgumentParser(prog="python -m dagster_airbyte_ops.emulator", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001)
    p.add_argument("--seed", default=d.seed, help="demo | empty | generated:N:M")
    p.add_argument("--airbyte-version", default=d.airbyte_version, choices=["0.50", "1.6", "2.0"])
    p.add_argument("--auth", default=d.auth, choices=["none", "basic", "bearer", "client_credentials"])
    p.add_argument("--username", default=d.username)
    p.add_argument("--password", default=d.password)
    p.add_argument("--token", default=d.token)
    p.add_argument("--client-id", default=d.client_id)
    p.add_argument("--client-secret", default=d.client_secret)
    p.add_argument("--token-lifetime", type=float, default=None, help="seconds; default per version")
    p.add_argument("--job-duration", type=float, default=d.default_job_duration_s)
    p.add_argument("--time-scale", type=float, default=d.time_scale)
    p.add_argument(
        "--scheduler",
        action="store_true",
        help="run connections whose Airbyte schedule is basic or cron, as Airbyte's own scheduler does",
    )
    p.add_argument(
        "--data-dir",
        default=os.environ.get("AIRBYTE_OPS_DATA_DIR") or "data",
        help="Airbyte's /local mount: where the Local SQLite destination writes "
        "(default: $AIRBYTE_OPS_DATA_DIR or ./data; '' writes nothing)",
    )
    a = p.parse_args(argv)
    settings = EmulatorSettings(
        seed=a.seed,
        airbyte_version=a.airbyte_version,
        auth=a.auth,
        username=a.username,
        password=a.password,
        token=a.token,
        client_id=a.client_id,
        client_secret=a.client_secret,
        token_lifetime_s=a.token_lifetime,
        default_job_duration_s=a.job_duration,
        time_scale=a.time_scale,
        scheduler=a.scheduler,
        data_dir=os.path.abspath(a.data_dir) if a.data_dir else None,
    )
    return a.host, a.port, settings


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point."""
    host, port, settings = parse_args(argv)
    run_emulator(host=host, port=port, settings=settings)


if __name__ == "__main__":
    main()
