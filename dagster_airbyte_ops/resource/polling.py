"""How long to wait before asking Airbyte about a job again.

A fixed interval is wrong at both ends: a 10 s interval adds up to 10 s to a one-second sync, and a
1 s interval makes 21,600 requests for a six-hour one. Waiting about a tenth of the time already
elapsed keeps the expected completion lag near 5% of the sync's length while the number of polls grows
only with the logarithm of the duration, until the ceiling (`poll_interval_s`) takes over.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_POLL_INTERVAL_S = 0.25
ELAPSED_FRACTION = 0.1


@dataclass(frozen=True)
class AdaptivePolling:
    """Poll delay as a function of the time the job has been watched."""

    max_interval_s: float
    min_interval_s: float = MIN_POLL_INTERVAL_S
    elapsed_fraction: float = ELAPSED_FRACTION

    def next_delay_s(self, elapsed_s: float) -> float:
        ceiling = max(self.max_interval_s, self.min_interval_s)
        return min(ceiling, max(self.min_interval_s, elapsed_s * self.elapsed_fraction))
