"""How `airbyte-ops sync` shows a running job: in place on a terminal, one line per change elsewhere.

A person watching a terminal wants one status line that updates (rich's live display, which Dagster
already depends on), not a new line per poll. A log file or a pipe wants a line only when something
changed (the status, or the rows once the job has ended), so a 40-minute sync logs a handful of lines.
"""

from __future__ import annotations

import logging
import sys
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.live import Live
from rich.text import Text


class SyncProgress:
    """Context manager: `update(status, rows, elapsed_s)` after each poll; `line(text)` for lasting lines."""

    def __init__(self, title: str, *, stream: TextIO | None = None, live: bool | None = None) -> None:
        self.title = title
        self.stream = stream if stream is not None else sys.stdout
        self.live = self.stream.isatty() if live is None else live
        self._last: tuple[str, str] | None = None
        self._display: Live | None = None
        self._console = Console(file=self.stream, highlight=False, soft_wrap=True)

    def __enter__(self) -> SyncProgress:
        if self.live:
            self._display = Live(
                Text(f"{self.title}: starting"), console=self._console, refresh_per_second=4, transient=True
            )
            self._display.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._display is not None:
            self._display.__exit__(exc_type, exc, tb)
            self._display = None

    def update(self, status: str, rows: int | None, elapsed_s: float) -> None:
        rows_text = "?" if rows is None else f"{rows:,}"
        if self._display is not None:
            self._display.update(
                Text(f"{self.title}: {status:<10} {elapsed_s:7.1f}s  rows so far: {rows_text}")
            )
            return
        state = (status, rows_text if status not in ("running", "pending", "incomplete") else "")
        if state != self._last:
            self._last = state
            self.line(f"  {elapsed_s:7.1f}s  {status:<10}  rows so far: {rows_text}")

    def logger(self) -> logging.Logger:
        """A logger whose records become lasting lines here (for `AirbyteResource.logs_to`), so a retry
        warning never lands in the middle of the status line."""
        logger = logging.getLogger(f"{__name__}.{id(self)}")
        logger.propagate = False
        logger.setLevel(logging.INFO)
        logger.handlers = [_LineHandler(self)]
        return logger

    def line(self, text: str) -> None:
        """A line that stays (above the live status line on a terminal)."""
        if self._display is not None:
            self._display.console.print(Text(text))
        else:
            print(text, file=self.stream, flush=True)


class _LineHandler(logging.Handler):
    def __init__(self, progress: SyncProgress) -> None:
        super().__init__(logging.WARNING)  # the resource's per-poll status lines are the display's job
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        self.progress.line(f"  {record.levelname.lower()}: {record.getMessage()}")
