"""Starting an emulator must leave the process's logging alone: tests start one beside running code.

uvicorn's ``Config`` applies its logging ``dictConfig`` by default, which takes logging's module lock
and then every handler's lock in the process (to flush and close them all). A thread of ours mid-emit
holds its handler's lock and wants the module lock: the two deadlock. That froze the soak's emulator
restart while three Dagster runs were logging (docs/reliability.md, "The soak").
"""

from __future__ import annotations

import io
import logging
import threading

from dagster_airbyte_ops.emulator import EmulatorServer


def test_starting_an_emulator_takes_no_logging_handler_lock_and_closes_no_handler():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("emulator-test.busy-handler")
    logger.addHandler(handler)
    started: list[EmulatorServer] = []
    builder = threading.Thread(target=lambda: started.append(EmulatorServer(port=0)), daemon=True)
    handler.acquire()  # as a thread of ours does while it emits a record
    try:
        builder.start()
        builder.join(10)
        assert started, "starting an emulator waited on another thread's logging handler"
    finally:
        handler.release()
        builder.join(10)
        for server in started:
            server.stop()
    logger.warning("still open")
    logger.removeHandler(handler)
    assert "still open" in stream.getvalue()
