"""Every sensor of the integration, one module per kind.

- upstream_sensors: `after:` chains and `downstream:` work (launch when upstream assets landed)
- observer: records syncs Airbyte ran itself; deferred: records syncs whose step did not wait
- job_recording: what both of those record for a job that ended outside a Dagster step
- alert_sensors: run-status sensors that turn our failed syncs into alerts; webhooks: delivery
"""
