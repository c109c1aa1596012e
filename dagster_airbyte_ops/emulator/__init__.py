"""A real HTTP Airbyte API emulator (Config API and public API) for tests, demos and benchmarks.

It deliberately imports nothing from dagster so it can run as a standalone server.
"""

from dagster_airbyte_ops.emulator.admin_client import EmulatorAdmin
from dagster_airbyte_ops.emulator.server import EmulatorServer, run_emulator
from dagster_airbyte_ops.emulator.state import EmulatorSettings

__all__ = ["EmulatorAdmin", "EmulatorServer", "EmulatorSettings", "run_emulator"]
