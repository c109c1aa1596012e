"""Dagster schedules for connections: the builder (`schedule:` entries), Airbyte's Quartz cron
converted to Dagster's, and adopting the schedules Airbyte runs itself (`schedule: from_airbyte`)."""
