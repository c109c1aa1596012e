"""Asset checks on the stream assets: freshness (`freshness: {max_lag: ...}`)."""

from .freshness import FRESHNESS_SENSOR_NAME, build_freshness_checks, build_freshness_sensor

__all__ = ["FRESHNESS_SENSOR_NAME", "build_freshness_checks", "build_freshness_sensor"]
