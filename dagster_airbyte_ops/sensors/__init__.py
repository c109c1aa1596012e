"""Every sensor of the integration, one module per kind.

- upstream: the engine of sensors that launch when upstream assets landed (cursor, tick,
  `build_after_sensor`); upstream_target: what such a sensor launches, resolved per tick
- after: `after:` chains, and `chain_definitions` (every upstream sensor of the file);
  downstream: `downstream:` items
- observer: records syncs Airbyte ran itself; deferred: records syncs whose step did not wait
- job_recording: what both of those record for a job that ended outside a Dagster step
- alert_sensors: run-status sensors that turn our failed syncs into alerts; webhooks: delivery
"""
