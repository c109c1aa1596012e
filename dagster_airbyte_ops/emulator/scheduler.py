"""Airbyte's own scheduler, for the emulator: runs active connections whose schedule is basic or cron.

Off unless ``EmulatorSettings.scheduler`` is true, so tests that count jobs see only the ones they
start. It follows what Airbyte does:

* ``basic`` ("every N hours"): a connection that never synced runs at once; after that, N units after
  its last sync job was created. The period is multiplied by ``time_scale`` like job durations, so
  ``time_scale=0.001`` turns "every hour" into every 3.6 s.
* ``cron`` (Quartz expression + time zone): at the next fire time after the scheduler started or the
  last sync was created; missed fire times are not caught up. Cron times are wall-clock instants and
  are not scaled.
* a connection with a job running is not started again (Airbyte would answer 409); it runs as soon as
  that job ends.

Jobs are started exactly as ``connections/sync`` starts them, so they look the same over both APIs;
the request log does not show them (they come from inside Airbyte).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from dagster_airbyte_ops.emulator import jobs as joblib
from dagster_airbyte_ops.emulator.http import ApiError
from dagster_airbyte_ops.emulator.state import Connection, EmulatorState

logger = logging.getLogger(__name__)

SCHEDULER_TICK_S = 0.2
UNIT_S = {"minutes": 60, "hours": 3600, "days": 86400, "weeks": 7 * 86400, "months": 30 * 86400}


class EmulatorScheduler:
    """Starts scheduled syncs from a daemon thread (``start``/``stop``), or once per ``run_due`` call."""

    def __init__(self, state: EmulatorState, *, tick_s: float = SCHEDULER_TICK_S) -> None:
        self.state = state
        self.tick_s = tick_s
        self.started_at = state.now()
        self._next_cron: dict[tuple[str, str, str], float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="airbyte-emulator-scheduler", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_s):
            try:
                self.run_due()
            except Exception:  # a bad schedule must not stop the others
                logger.exception("emulator scheduler tick failed")

    def run_due(self) -> list[int]:
        """Start every connection that is due now; returns the new job ids."""
        from dagster_airbyte_ops.emulator import config_api  # the same start path as connections/sync

        started: list[int] = []
        with self.state.lock:
            now = self.state.now()
            for connection in list(self.state.connections.values()):
                if connection.status != "active":
                    continue
                due = self.due_at(connection)
                if due is None or due > now:
                    continue
                if joblib.running_job(self.state, connection.connection_id) is not None:
                    continue
                try:
                    job = config_api.start_job(self.state, connection, "sync")
                except ApiError as error:
                    logger.warning("emulator scheduler: %s not started: %s", connection.name, error.body)
                    continue
                started.append(job.job_id)
            if started:
                self.state.persist()
        return started

    def due_at(self, connection: Connection) -> float | None:
        """When the connection's next scheduled sync is due (epoch s), or None for manual ones."""
        data = connection.schedule_data or {}
        last = self._last_sync_created(connection)
        if connection.schedule_type == "basic":
            basic = data.get("basicSchedule") or {}
            period_s = int(basic.get("units") or 0) * UNIT_S.get(str(basic.get("timeUnit")), 0)
            if period_s <= 0:
                return None
            return self.started_at if last is None else last + period_s * self.state.settings.time_scale
        if connection.schedule_type == "cron":
            cron = data.get("cron") or {}
            expression, zone = str(cron.get("cronExpression") or ""), str(cron.get("cronTimeZone") or "UTC")
            after = max(self.started_at, last or 0.0)
            key = (connection.connection_id, expression, zone)
            cached = self._next_cron.get(key)
            if cached is None or cached <= after:
                cached = self._next_cron[key] = next_cron_fire(expression, zone, after)
            return cached
        return None

    def _last_sync_created(self, connection: Connection) -> float | None:
        jobs = [j for j in self.state.jobs_for(connection.connection_id) if j.config_type == "sync"]
        return max((j.created_at for j in jobs), default=None)


def next_cron_fire(quartz_expression: str, timezone: str, after: float) -> float:
    """The first fire time of Airbyte's Quartz cron strictly after ``after`` (epoch s)."""
    from dagster_airbyte_ops.execution.dagster_internals import cron_string_iterator
    from dagster_airbyte_ops.schedules.quartz import quartz_to_cron

    cron = quartz_to_cron(quartz_expression)
    for tick in cron_string_iterator(after, cron, timezone):
        if tick.timestamp() > after:
            return tick.timestamp()
    raise AssertionError(f"cron {cron!r} never fires after {datetime.fromtimestamp(after, UTC)}")
