"""Run, schedule and watch Airbyte syncs from Dagster."""
