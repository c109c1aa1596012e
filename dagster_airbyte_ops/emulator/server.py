"""Run the emulator: in a background thread for tests (``EmulatorServer``) or blocking for the CLI."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from dagster_airbyte_ops.emulator.admin_client import EmulatorAdmin
from dagster_airbyte_ops.emulator.app import ResponseHook, build_app
from dagster_airbyte_ops.emulator.faults import FaultRegistry
from dagster_airbyte_ops.emulator.scheduler import EmulatorScheduler
from dagster_airbyte_ops.emulator.seeds import apply_seed, install_definitions
from dagster_airbyte_ops.emulator.state import EmulatorSettings, EmulatorState
from dagster_airbyte_ops.emulator.store import StateStore


def build_state(settings: EmulatorSettings) -> EmulatorState:
    """A seeded state for ``settings`` (validates the version profile early).

    With a data dir the state is kept in its SQLite store (:mod:`.store`): the seed applies only when
    the store is new; otherwise everything saved (jobs included) comes back, as after an Airbyte restart.
    """
    _ = settings.profile
    state = EmulatorState(settings)
    if not settings.data_dir:
        apply_seed(state, settings.seed)
        return state
    store = StateStore.in_data_dir(settings.data_dir)
    with state.lock:
        if store.is_new():
            apply_seed(state, settings.seed)
        else:
            install_definitions(state)
            store.load(state)
        state.store = store
        store.save(state)
    return state


class EmulatorServer:
    """A real HTTP Airbyte emulator on 127.0.0.1, served by uvicorn in a daemon thread.

    The socket is bound before the thread starts, so ``port=0`` yields a known free port without races,
    and the constructor returns only once the server accepts connections.
    """

    def __init__(
        self,
        settings: EmulatorSettings | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        response_hook: ResponseHook | None = None,
        start: bool = True,
    ) -> None:
        self.settings = settings or EmulatorSettings()
        self.state = build_state(self.settings)
        self.faults = FaultRegistry()
        self.app = build_app(self.state, self.faults, response_hook)
        self.host = host
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.port: int = self._sock.getsockname()[1]
        # log_config=None: uvicorn's default dictConfig would take logging's module lock and then every
        # handler's lock in the process, and deadlock with a thread mid-emit (tests start emulators
        # beside running Dagster runs; test_server_logging.py). Its loggers propagate to the root.
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            log_config=None,
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self._stopped = False
        self.admin = EmulatorAdmin(self.url)
        self.scheduler = EmulatorScheduler(self.state) if self.settings.scheduler else None
        if start:
            self.start()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8001``."""
        return f"http://{self.host}:{self.port}"

    @property
    def public_api_url(self) -> str:
        """Base URL of the public API (OSS layout)."""
        return self.url + "/api/public/v1"

    @property
    def config_api_url(self) -> str:
        """Base URL of the Config API."""
        return self.url + "/api/v1"

    def start(self, timeout: float = 10.0) -> None:
        """Start serving; returns once connections are accepted."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="airbyte-emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("emulator server thread exited during start-up")
            if time.monotonic() > deadline:
                raise TimeoutError("emulator did not start in time")
            time.sleep(0.01)
        if self.scheduler is not None:
            self.scheduler.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and release the port; safe to call more than once."""
        if self._stopped:
            return
        self._stopped = True
        if self.scheduler is not None:
            self.scheduler.stop()
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._sock.close()
        _close_store(self.state)

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def run_emulator(host: str = "127.0.0.1", port: int = 8001, settings: EmulatorSettings | None = None) -> None:
    """Serve the emulator in the foreground until interrupted (the CLI entry point)."""
    settings = settings or EmulatorSettings()
    state = build_state(settings)
    app = build_app(state, FaultRegistry())
    scheduler = EmulatorScheduler(state) if settings.scheduler else None
    if scheduler is not None:
        scheduler.start()
    if state.store is not None:
        print(
            f"Emulator state kept in {state.store.path} (delete it to start over from the seed)", flush=True
        )
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", lifespan="off")
    finally:
        if scheduler is not None:
            scheduler.stop()
        _close_store(state)


def _close_store(state: EmulatorState) -> None:
    """Save the last changes and close the store (a no-op in memory)."""
    store = state.store
    if store is None:
        return
    with state.lock:
        store.save(state)
        store.close()
        state.store = None
