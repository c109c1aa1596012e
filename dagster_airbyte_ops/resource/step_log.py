"""Where the resource's log lines go: the current step's log while a sync runs, else Dagster's logger.

With steps as threads (`airbyte_sync_executor`), Dagster's captured Python logging cannot tell one
step's lines from a neighbour's, so the assets say which log is theirs (`AirbyteResource.logs_to`)
and a context variable carries it to the resource and its client's retry warnings.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

import dagster as dg

_CURRENT_STEP_LOG: ContextVar[logging.Logger | None] = ContextVar("airbyte_ops_step_log", default=None)


class _StepLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Logs to the current step's log (see `AirbyteResource.logs_to`), else Dagster's Python logger."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("dagster_airbyte_ops"), {})

    def isEnabledFor(self, level: int) -> bool:
        return True  # the target decides

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        target = _CURRENT_STEP_LOG.get() or dg.get_dagster_logger("dagster_airbyte_ops")
        target.log(level, msg, *args, **kwargs)


#: The logger the resource writes to: the current step's log, else Dagster's Python logger.
STEP_LOG = cast(logging.Logger, _StepLog())


@contextmanager
def logs_to(log: logging.Logger) -> Iterator[None]:
    """Send the resource's log lines in this context (thread, or task) to `log` meanwhile."""
    token = _CURRENT_STEP_LOG.set(log)
    try:
        yield
    finally:
        _CURRENT_STEP_LOG.reset(token)
