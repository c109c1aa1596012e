"""`airbyte-ops dev` (what `make dev` runs) refuses a taken port with the fix, before starting anything."""

from __future__ import annotations

import socket

import pytest

from dagster_airbyte_ops.cli import main


@pytest.mark.parametrize(
    ("taken", "what", "variable"),
    [("emulator", "the Airbyte emulator", "EMULATOR_PORT"), ("ui", "the Dagster UI", "DAGSTER_PORT")],
    ids=["emulator-port", "ui-port"],
)
def test_a_taken_port_is_named_with_how_to_pick_another(capsys, taken, what, variable):
    with socket.socket() as busy, socket.socket() as free:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        free.bind(("127.0.0.1", 0))
        ports = {"emulator": free.getsockname()[1], "ui": free.getsockname()[1]}
        ports[taken] = busy.getsockname()[1]
        free.close()  # released: only `taken` is in use
        code = main(["dev", "--emulator-port", str(ports["emulator"]), "--port", str(ports["ui"])])

    assert code == 1
    err = capsys.readouterr().err
    assert f"port {ports[taken]} (for {what}) is already in use" in err
    assert f"make dev {variable}=<port>" in err
