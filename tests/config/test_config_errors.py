"""Every way `airbyte_ops.yaml` can be wrong, with the exact message the user reads.

This table is the specification of the configuration errors: each line names the file, the field
path (list indices from 0) and the fix. Change a message here first, then in the code.
"""

# ruff: noqa: E501  (expected messages are kept whole, one per line, to read as the user does)
from __future__ import annotations

import pytest

from dagster_airbyte_ops.config import parse_config
from dagster_airbyte_ops.errors import ConfigError

ENVIRON = {
    "AIRBYTE_PASSWORD": "s3cret",
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/x",
    "NOT_A_URL": "hooks.slack.com/x",
    "RETRIES": "many",
}

BAD_CONFIGS = [
    pytest.param(
        'connections:\n  - name: a\n  - name: b\n    schedule: {cron: "0 25 * * *"}\n',
        'airbyte_ops.yaml: connections[1].schedule.cron: "0 25 * * *" is not a valid cron expression: hour must be 0-23 (5 fields: minute hour day-of-month month day-of-week)',
        id="cron-hour-out-of-range",
    ),
    pytest.param(
        'connections: [{name: a, schedule: {cron: "0 6 * *"}}]\n',
        'airbyte_ops.yaml: connections[0].schedule.cron: "0 6 * *" is not a valid cron expression: it has 4 fields (5 fields: minute hour day-of-month month day-of-week)',
        id="cron-four-fields",
    ),
    pytest.param(
        'connections: [{name: a, schedule: {cron: "0 0 6 * * *"}}]\n',
        'airbyte_ops.yaml: connections[0].schedule.cron: "0 0 6 * * *" is not a valid cron expression: it has 6 fields (5 fields: minute hour day-of-month month day-of-week)',
        id="cron-six-fields",
    ),
    pytest.param(
        'connections: [{name: a, schedule: {cron: "60 * * * *"}}]\n',
        'airbyte_ops.yaml: connections[0].schedule.cron: "60 * * * *" is not a valid cron expression: minute must be 0-59 (5 fields: minute hour day-of-month month day-of-week)',
        id="cron-minute-out-of-range",
    ),
    pytest.param(
        'connections: [{name: a, schedule: {cron: "0 0 1 13 *"}}]\n',
        'airbyte_ops.yaml: connections[0].schedule.cron: "0 0 1 13 *" is not a valid cron expression: month must be 1-12 (5 fields: minute hour day-of-month month day-of-week)',
        id="cron-month-out-of-range",
    ),
    pytest.param(
        'connections: [{name: a, schedule: {cron: "0 0 * * 8"}}]\n',
        'airbyte_ops.yaml: connections[0].schedule.cron: "0 0 * * 8" is not a valid cron expression: day-of-week must be 0-7 (5 fields: minute hour day-of-month month day-of-week)',
        id="cron-weekday-out-of-range",
    ),
    pytest.param(
        'connections: [{name: a, schedule: {cron: "0 noon * * *"}}]\n',
        'airbyte_ops.yaml: connections[0].schedule.cron: "0 noon * * *" is not a valid cron expression: hour has an unrecognised value "noon" (5 fields: minute hour day-of-month month day-of-week)',
        id="cron-garbage-value",
    ),
    pytest.param(
        'connections: [{name: a, schedule: {cron: "*/0 * * * *"}}]\n',
        'airbyte_ops.yaml: connections[0].schedule.cron: "*/0 * * * *" is not a valid cron expression: minute step must be a positive whole number, got "0" (5 fields: minute hour day-of-month month day-of-week)',
        id="cron-zero-step",
    ),
    pytest.param(
        'connections: [{name: a, schedule: {cron: "*/90 * * * *"}}]\n',
        'airbyte_ops.yaml: connections[0].schedule.cron: "*/90 * * * *" is not a valid cron expression: minute step 90 is larger than its range 0-59: it would run once per hour, not every 90 minutes (5 fields: minute hour day-of-month month day-of-week)',
        id="cron-step-too-big",
    ),
    pytest.param(
        'connections: [{name: a, schedule: {cron: "0 0 30 2 *"}}]\n',
        'airbyte_ops.yaml: connections[0].schedule.cron: "0 0 30 2 *" is not a valid cron expression: February has no day 30 (5 fields: minute hour day-of-month month day-of-week)',
        id="cron-february-30",
    ),
    pytest.param(
        'connections: [{name: a, schedule: {cron: "@fortnightly"}}]\n',
        'airbyte_ops.yaml: connections[0].schedule.cron: "@fortnightly" is not a valid cron expression: unknown shortcut @fortnightly; use one of @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually (5 fields: minute hour day-of-month month day-of-week)',
        id="cron-unknown-shortcut",
    ),
    pytest.param(
        'connections: [{name: a, schedule: [{cron: "0 6 * * *"}, {cron: "0 24 * * *"}]}]\n',
        'airbyte_ops.yaml: connections[0].schedule[1].cron: "0 24 * * *" is not a valid cron expression: hour must be 0-23 (5 fields: minute hour day-of-month month day-of-week)',
        id="cron-in-schedule-list",
    ),
    pytest.param(
        "connections: [{name: a, schedule: {timezone: UTC}}]\n",
        "airbyte_ops.yaml: connections[0].schedule.cron: missing required key; add it",
        id="cron-missing",
    ),
    pytest.param(
        "connections: [{name: a, schedule: daily}]\n",
        'airbyte_ops.yaml: connections[0].schedule: expected {cron: "..."}, a list of them, or "from_airbyte", got "daily"',
        id="schedule-wrong-shape",
    ),
    pytest.param(
        'connections: [{name: a, schedule: {cron: "0 6 * * *", timzone: UTC}}]\n',
        'airbyte_ops.yaml: connections[0].schedule.timzone: unknown key; did you mean "timezone"?',
        id="schedule-typo-key",
    ),
    pytest.param(
        'connections: [{name: a, schedule: {cron: "0 6 * * *", enabled: maybe}}]\n',
        'airbyte_ops.yaml: connections[0].schedule.enabled: expected true or false, got "maybe"',
        id="schedule-enabled-not-bool",
    ),
    pytest.param(
        'connections: [{name: a, schedule: {cron: "0 6 * * *", name: "morning sync"}}]\n',
        'airbyte_ops.yaml: connections[0].schedule.name: "morning sync" is not a valid Dagster name: use letters, digits and _ only, e.g. "morning_sync"',
        id="schedule-bad-name",
    ),
    pytest.param(
        'connections:\n  - {name: a, schedule: {cron: "0 6 * * *", name: morning}}\n  - {name: b, schedule: {cron: "0 7 * * *", name: morning}}\n',
        'airbyte_ops.yaml: connections[1].schedule.name: "morning" is already used by connections[0].schedule; schedule names must be unique',
        id="schedule-duplicate-name",
    ),
    pytest.param(
        'connections: [{name: a, schedule: {cron: "0 6 * * *", skip: [{}]}}]\n',
        "airbyte_ops.yaml: connections[0].schedule.skip[0]: give at least one of dates, weekdays or between",
        id="skip-empty-rule",
    ),
    pytest.param(
        'connections: [{name: a, schedule: {cron: "0 6 * * *", skip: [{weekdays: [satu]}]}}]\n',
        'airbyte_ops.yaml: connections[0].schedule.skip[0].weekdays[0]: "satu" is not a weekday; did you mean "sat"? (use mon tue wed thu fri sat sun)',
        id="skip-bad-weekday",
    ),
    pytest.param(
        'connections: [{name: a, schedule: {cron: "0 6 * * *", skip: [{dates: ["2026-02-30"]}]}}]\n',
        'airbyte_ops.yaml: connections[0].schedule.skip[0].dates[0]: "2026-02-30" is not a date; write it as YYYY-MM-DD, e.g. "2026-12-25"',
        id="skip-bad-date",
    ),
    pytest.param(
        'connections: [{name: a, schedule: {cron: "0 6 * * *", skip: [{between: ["12:00", "24:30"]}]}}]\n',
        'airbyte_ops.yaml: connections[0].schedule.skip[0].between[1]: "24:30" is not a time of day; write it as HH:MM (24-hour), e.g. "12:30"',
        id="skip-bad-time",
    ),
    pytest.param(
        'connections: [{name: a, schedule: {cron: "0 6 * * *", skip: [{between: ["12:00"]}]}}]\n',
        'airbyte_ops.yaml: connections[0].schedule.skip[0].between: between takes two times, start and end: ["12:00", "13:00"]',
        id="skip-between-one-time",
    ),
    pytest.param(
        'connections: [{name: a, schedule: {cron: "0 6 * * *", skip: [{between: ["13:00", "13:00"]}]}}]\n',
        'airbyte_ops.yaml: connections[0].schedule.skip[0]: between: start and end are equal; give a window such as ["12:00", "13:00"]',
        id="skip-empty-window",
    ),
    pytest.param(
        "defaults: {timezone: Europe/Pari}\n",
        'airbyte_ops.yaml: defaults.timezone: "Europe/Pari" is not an IANA time zone; did you mean "Europe/Paris"?',
        id="timezone-typo",
    ),
    pytest.param(
        "defaults: {timezone: Paris}\n",
        'airbyte_ops.yaml: defaults.timezone: "Paris" is not an IANA time zone; did you mean "Europe/Paris"?',
        id="timezone-city-only",
    ),
    pytest.param(
        'connections: [{name: a, schedule: {cron: "0 6 * * *", timezone: europe/paris}}]\n',
        'airbyte_ops.yaml: connections[0].schedule.timezone: "europe/paris" is not an IANA time zone; did you mean "Europe/Paris"?',
        id="timezone-wrong-case",
    ),
    pytest.param(
        "defaults: {timezone: Mars/Olympus_Mons}\n",
        'airbyte_ops.yaml: defaults.timezone: "Mars/Olympus_Mons" is not an IANA time zone; use an IANA name such as "UTC", "Europe/Paris", "America/New_York"',
        id="timezone-unknown",
    ),
    pytest.param(
        "connections: [{name: a, freshness: {max_lag: 2x}}]\n",
        'airbyte_ops.yaml: connections[0].freshness.max_lag: "2x" is not a duration; write a whole number and a unit: 90s, 30m, 2h, 1d, 1w (or combined: 1h30m)',
        id="duration-bad-unit",
    ),
    pytest.param(
        "connections: [{name: a, freshness: {max_lag: 7200}}]\n",
        "airbyte_ops.yaml: connections[0].freshness.max_lag: 7200 has no unit; write a whole number and a unit: 90s, 30m, 2h, 1d, 1w (or combined: 1h30m)",
        id="duration-no-unit",
    ),
    pytest.param(
        "connections: [{name: a, freshness: {max_lag: 0m}}]\n",
        'airbyte_ops.yaml: connections[0].freshness.max_lag: "0m" must be longer than 0; write a whole number and a unit: 90s, 30m, 2h, 1d, 1w (or combined: 1h30m)',
        id="duration-zero",
    ),
    pytest.param(
        "connections: [{name: a, freshness: {}}]\n",
        "airbyte_ops.yaml: connections[0].freshness.max_lag: missing required key; add it",
        id="freshness-missing-max-lag",
    ),
    pytest.param(
        "connections: [{name: a, freshness: {max_lag: 2h, severity: fatal}}]\n",
        'airbyte_ops.yaml: connections[0].freshness.severity: "fatal" is not one of warn, error',
        id="freshness-bad-severity",
    ),
    pytest.param(
        "connections: [{group: x}]\n",
        "airbyte_ops.yaml: connections[0]: select a connection with exactly one of name, id or match; none given",
        id="selector-none",
    ),
    pytest.param(
        'connections: [{name: a, match: "a*"}]\n',
        "airbyte_ops.yaml: connections[0]: has name and match; select a connection with exactly one of name, id or match",
        id="selector-several",
    ),
    pytest.param(
        'connections:\n  - name: "PostgreSQL → MinIO"\n  - name: "MSSQL → S3"\n  - name: "PostgreSQL → MinIO"\n',
        'airbyte_ops.yaml: connections[2].name: "PostgreSQL → MinIO" is already selected by connections[0]; merge the two entries',
        id="selector-duplicate-name",
    ),
    pytest.param(
        'connections: [{match: "CRM*"}, {match: "CRM*"}]\n',
        'airbyte_ops.yaml: connections[1].match: "CRM*" is already selected by connections[0]; merge the two entries',
        id="selector-duplicate-glob",
    ),
    pytest.param(
        'connections: [{id: "PostgreSQL → MinIO"}]\n',
        'airbyte_ops.yaml: connections[0].id: "PostgreSQL → MinIO" is not an Airbyte connection id (a UUID like "c1b6a7d0-3f4e-4d8a-9c1e-0a1b2c3d4e5f"); to select by name use name:, by pattern use match:',
        id="selector-bad-id",
    ),
    pytest.param(
        'connections: [{name: ""}]\n',
        "airbyte_ops.yaml: connections[0].name: must not be empty",
        id="selector-empty-name",
    ),
    pytest.param(
        "connections: [{name: 2024}]\n",
        'airbyte_ops.yaml: connections[0].name: expected text, got 2024; quote it: "2024"',
        id="name-not-text",
    ),
    pytest.param(
        "connections: {name: a}\n",
        "airbyte_ops.yaml: connections: expected a list, got a mapping",
        id="connections-not-a-list",
    ),
    pytest.param(
        'connections: ["PostgreSQL → MinIO"]\n',
        'airbyte_ops.yaml: connections[0]: expected a mapping (key: value), got "PostgreSQL → MinIO"',
        id="connection-entry-not-a-mapping",
    ),
    pytest.param(
        'connections: [{name: a, shedule: {cron: "0 6 * * *"}}]\n',
        'airbyte_ops.yaml: connections[0].shedule: unknown key; did you mean "schedule"?',
        id="connection-unknown-key",
    ),
    pytest.param(
        "connections:\n  - {name: a, after: [c]}\n  - {name: b, after: [a]}\n  - {name: c, after: [b]}\n",
        'airbyte_ops.yaml: connections[0].after: cycle between connections: "a" → "c" → "b" → "a"; remove one of these after: entries',
        id="after-cycle",
    ),
    pytest.param(
        "connections: [{name: a, after: [a]}]\n",
        'airbyte_ops.yaml: connections[0].after: "a" waits for itself; remove one of these after: entries',
        id="after-self",
    ),
    pytest.param(
        'connections: [{name: a, after: ["analytics//orders"]}]\n',
        'airbyte_ops.yaml: connections[0].after[0]: "analytics//orders" is not an asset key; write its parts separated by "/", e.g. "analytics/orders"',
        id="after-bad-asset-key",
    ),
    pytest.param(
        "connections: [{name: a, after: [b], after_mode: both}]\n",
        'airbyte_ops.yaml: connections[0].after_mode: "both" is not one of all, any',
        id="after-mode-unknown",
    ),
    pytest.param(
        "connections: [{name: a, after: [b, b]}]\n",
        'airbyte_ops.yaml: connections[0].after: "b" is listed twice; remove one',
        id="after-listed-twice",
    ),
    pytest.param(
        "connections: [{name: a, mode: async}]\n",
        'airbyte_ops.yaml: connections[0].mode: "async" is not one of sync, deferred; did you mean "sync"?',
        id="mode-unknown",
    ),
    pytest.param(
        "connections: [{name: a, group: pg-minio}]\n",
        'airbyte_ops.yaml: connections[0].group: "pg-minio" is not a valid Dagster name: use letters, digits and _ only, e.g. "pg_minio"',
        id="group-invalid",
    ),
    pytest.param(
        'connections: [{name: a, tags: {team: "data team"}}]\n',
        'airbyte_ops.yaml: connections[0].tags: tag value "data team" (key "team") is not valid in Dagster: use letters, digits, _ - . (at most 63)',
        id="tag-value-invalid",
    ),
    pytest.param(
        "connections: [{name: a, tags: {version: 2}}]\n",
        'airbyte_ops.yaml: connections[0].tags.version: expected text, got 2; quote it: "2"',
        id="tag-value-number",
    ),
    pytest.param(
        'connections: [{name: a, tags: {"dagster/kind": x}}]\n',
        'airbyte_ops.yaml: connections[0].tags: tag key "dagster/kind" uses Dagster\'s reserved "dagster/" prefix; choose another key',
        id="tag-key-reserved",
    ),
    pytest.param(
        'connections: [{name: a, tags: {"cost center": x}}]\n',
        'airbyte_ops.yaml: connections[0].tags: tag key "cost center" is not valid in Dagster: use letters, digits, _ - . (at most 63), optionally after one "namespace/"',
        id="tag-key-invalid",
    ),
    pytest.param(
        'connections: [{name: a, owners: ["team:data", bob]}]\n',
        'airbyte_ops.yaml: connections[0].owners[1]: "bob" is not a valid owner: use an email address or "team:<name>"',
        id="owner-invalid",
    ),
    pytest.param(
        "connections: [{name: a, streams: []}]\n",
        "airbyte_ops.yaml: connections[0].streams: must not be empty",
        id="streams-empty",
    ),
    pytest.param(
        "connections: [{name: a, streams: [orders, orders]}]\n",
        'airbyte_ops.yaml: connections[0].streams: "orders" is listed twice; remove one',
        id="streams-duplicate",
    ),
    pytest.param(
        'connections: [{name: a, key_prefix: "bronze/raw"}]\n',
        'airbyte_ops.yaml: connections[0].key_prefix[0]: "bronze/raw" is not a valid asset key part: use letters, digits, _ and - (one list item per level: [bronze, airbyte], not "bronze/airbyte")',
        id="key-prefix-with-slash",
    ),
    pytest.param(
        'defaults: {key_prefix: [bronze, ""]}\n',
        'airbyte_ops.yaml: defaults.key_prefix[1]: "" is not a valid asset key part: use letters, digits, _ and - (one list item per level: [bronze, airbyte], not "bronze/airbyte")',
        id="key-prefix-empty-part",
    ),
    pytest.param(
        'defaults: {group_prefix: "airbyte-"}\n',
        'airbyte_ops.yaml: defaults.group_prefix: "airbyte-" is not a valid Dagster name: use letters, digits and _ only, e.g. "airbyte"',
        id="group-prefix-invalid",
    ),
    pytest.param(
        "defaults: {include_inactive: sometimes}\n",
        'airbyte_ops.yaml: defaults.include_inactive: expected true or false, got "sometimes"',
        id="include-inactive-not-bool",
    ),
    pytest.param(
        'airbyte: {url: "localhost:8000"}\n',
        'airbyte_ops.yaml: airbyte.url: "localhost:8000" must start with http:// or https://; write a full URL such as "http://localhost:8000"',
        id="url-no-scheme",
    ),
    pytest.param(
        'airbyte: {url: "ftp://airbyte.internal"}\n',
        'airbyte_ops.yaml: airbyte.url: "ftp://airbyte.internal" must start with http:// or https://; write a full URL such as "http://localhost:8000"',
        id="url-wrong-scheme",
    ),
    pytest.param(
        'airbyte: {url: "http://"}\n',
        'airbyte_ops.yaml: airbyte.url: "http://" has no host name; write a full URL such as "http://localhost:8000"',
        id="url-no-host",
    ),
    pytest.param(
        'airbyte: {api: public, public_api_url: "api.airbyte.com/v1"}\n',
        'airbyte_ops.yaml: airbyte.public_api_url: "api.airbyte.com/v1" must start with http:// or https://; write a full URL such as "http://api.airbyte.com/v1"',
        id="public-api-url-bad",
    ),
    pytest.param(
        "airbyte: {api: confg}\n",
        'airbyte_ops.yaml: airbyte.api: "confg" is not one of config, public, auto; did you mean "config"?',
        id="api-typo",
    ),
    pytest.param(
        "airbyte: {on_running_sync: wait}\n",
        'airbyte_ops.yaml: airbyte.on_running_sync: "wait" is not one of attach, fail, skip',
        id="on-running-sync-unknown",
    ),
    pytest.param(
        "airbyte: {max_retries: five}\n",
        'airbyte_ops.yaml: airbyte.max_retries: expected a whole number, got "five"',
        id="max-retries-text",
    ),
    pytest.param(
        "airbyte: {max_retries: -1}\n",
        "airbyte_ops.yaml: airbyte.max_retries: must be at least 0, got -1",
        id="max-retries-negative",
    ),
    pytest.param(
        "airbyte: {request_timeout_s: 0}\n",
        "airbyte_ops.yaml: airbyte.request_timeout_s: must be greater than 0, got 0",
        id="timeout-zero",
    ),
    pytest.param(
        "airbyte: {poll_interval_s: .nan}\n",
        "airbyte_ops.yaml: airbyte.poll_interval_s: expected a finite number, got nan",
        id="timeout-nan",
    ),
    pytest.param(
        "airbyte: {sync_timeout_s: .inf}\n",
        "airbyte_ops.yaml: airbyte.sync_timeout_s: expected a finite number, got inf",
        id="timeout-infinite",
    ),
    pytest.param(
        "airbyte: {verify_tls: sometimes}\n",
        'airbyte_ops.yaml: airbyte.verify_tls: expected true or false, got "sometimes"',
        id="verify-tls-not-bool",
    ),
    pytest.param(
        'airbyte: {url: "http://localhost:8000", worksapce_id: abc}\n',
        'airbyte_ops.yaml: airbyte.worksapce_id: unknown key; did you mean "workspace_id"?',
        id="airbyte-unknown-key",
    ),
    pytest.param(
        "airbyte:\n  auth:\n    basic: {username: airbyte, pasword: {env: AIRBYTE_PASSWORD}}\n",
        'airbyte_ops.yaml: airbyte.auth.basic.pasword: unknown key; did you mean "password"?',
        id="auth-basic-typo",
    ),
    pytest.param(
        "airbyte: {auth: {}}\n",
        "airbyte_ops.yaml: airbyte.auth: choose the authentication with exactly one of none, basic, bearer or client_credentials; none given",
        id="auth-empty",
    ),
    pytest.param(
        "airbyte:\n  auth:\n    basic: {username: airbyte, password: {env: AIRBYTE_PASSWORD}}\n    bearer: {token: {env: AIRBYTE_PASSWORD}}\n",
        "airbyte_ops.yaml: airbyte.auth: has basic and bearer; choose the authentication with exactly one of none, basic, bearer or client_credentials",
        id="auth-two-kinds",
    ),
    pytest.param(
        "airbyte: {auth: basic}\n",
        "airbyte_ops.yaml: airbyte.auth: basic needs its settings: write auth: {basic: {username: ..., password: {env: AIRBYTE_PASSWORD}}}",
        id="auth-kind-without-settings",
    ),
    pytest.param(
        "airbyte: {auth: {oauth: {}}}\n",
        "airbyte_ops.yaml: airbyte.auth.oauth: unknown key; the keys here are: none, basic, bearer, client_credentials",
        id="auth-unknown-kind",
    ),
    pytest.param(
        "airbyte: {auth: {client_credentials: {client_id: my-app}}}\n",
        "airbyte_ops.yaml: airbyte.auth.client_credentials.client_secret: missing required key; add it",
        id="auth-missing-secret",
    ),
    pytest.param(
        'airbyte: {auth: {bearer: {token: "abc123"}}}\n',
        "airbyte_ops.yaml: airbyte.auth.bearer.token: a secret must come from the environment, not the file: write {env: VARIABLE_NAME} and export VARIABLE_NAME",
        id="secret-literal",
    ),
    pytest.param(
        "airbyte: {auth: {bearer: {token: {env: AIRBYTE_TOKEN}}}}\n",
        "airbyte_ops.yaml: airbyte.auth.bearer.token: environment variable AIRBYTE_TOKEN is not set; export it before starting Dagster",
        id="secret-env-unset",
    ),
    pytest.param(
        "airbyte: {url: {env: AIRBYTE_URL}}\n",
        "airbyte_ops.yaml: airbyte.url: environment variable AIRBYTE_URL is not set; export it or give a default: {env: AIRBYTE_URL, default: ...}",
        id="env-unset-no-default",
    ),
    pytest.param(
        'airbyte: {url: {env: AIRBYTE_URL, defualt: "http://localhost:8000"}}\n',
        'airbyte_ops.yaml: airbyte.url: unknown key "defualt" in {env: ...}; did you mean "default"?',
        id="env-ref-typo",
    ),
    pytest.param(
        'airbyte: {url: {env: "AIRBYTE-URL"}}\n',
        'airbyte_ops.yaml: airbyte.url: env: "AIRBYTE-URL" is not an environment variable name; use letters, digits and _ (not starting with a digit), e.g. AIRBYTE_URL',
        id="env-ref-bad-name",
    ),
    pytest.param(
        "airbyte: {max_retries: {env: RETRIES}}\n",
        'airbyte_ops.yaml: airbyte.max_retries: expected a whole number, got "many"',
        id="env-value-not-a-number",
    ),
    pytest.param(
        "airbyte: {workspace_id: {id: abc}}\n",
        "airbyte_ops.yaml: airbyte.workspace_id: expected text, got a mapping (to read an environment variable write {env: NAME})",
        id="mapping-where-text-expected",
    ),
    pytest.param(
        "downstream: [{name: revenue, when: [a]}]\n",
        "airbyte_ops.yaml: downstream[0]: choose what to run with exactly one of select, assets or groups; none given",
        id="downstream-no-target",
    ),
    pytest.param(
        'downstream: [{name: revenue, when: [a], select: "group:analytics", groups: [analytics]}]\n',
        "airbyte_ops.yaml: downstream[0]: has select and groups; choose what to run with exactly one of select, assets or groups",
        id="downstream-two-targets",
    ),
    pytest.param(
        'downstream: [{name: revenue, when: [a], select: "group:analytics and ((("}]\n',
        'airbyte_ops.yaml: downstream[0].select: "group:analytics and (((" is not an asset selection Dagster can parse; write it like the UI\'s filter, e.g. "group:analytics" or "key:analytics/daily_revenue+"',
        id="downstream-bad-selection",
    ),
    pytest.param(
        "downstream: [{name: revenue, when: [], groups: [analytics]}]\n",
        "airbyte_ops.yaml: downstream[0].when: must not be empty",
        id="downstream-empty-when",
    ),
    pytest.param(
        'downstream: [{name: revenue, when: [a], assets: ["/analytics"]}]\n',
        'airbyte_ops.yaml: downstream[0].assets[0]: "/analytics" is not an asset key; write its parts separated by "/", e.g. "analytics/daily_revenue"',
        id="downstream-bad-asset-key",
    ),
    pytest.param(
        "downstream:\n  - {name: revenue, when: [a], groups: [x]}\n  - {name: revenue, when: [b], groups: [y]}\n",
        'airbyte_ops.yaml: downstream[1].name: "revenue" is already used by downstream[0]; names must be unique',
        id="downstream-duplicate-name",
    ),
    pytest.param(
        "downstream: [{when: [a], groups: [x]}]\n",
        "airbyte_ops.yaml: downstream[0].name: missing required key; add it",
        id="downstream-missing-name",
    ),
    pytest.param(
        'alerts: {webhooks: [{url: "https://hooks.slack.com/services/T0/B0/x"}]}\n',
        "airbyte_ops.yaml: alerts.webhooks[0].url: a secret must come from the environment, not the file: write {env: VARIABLE_NAME} and export VARIABLE_NAME",
        id="webhook-literal-url",
    ),
    pytest.param(
        "alerts: {webhooks: [{url: {env: NOT_A_URL}}]}\n",
        "airbyte_ops.yaml: alerts.webhooks[0].url: the value of NOT_A_URL is not an http(s) URL; set it to the webhook's https://... address",
        id="webhook-env-not-a-url",
    ),
    pytest.param(
        "alerts: {webhooks: [{url: {env: SLACK_WEBHOOK_URL}, on: [failure]}]}\n",
        'airbyte_ops.yaml: alerts.webhooks[0].on[0]: "failure" is not one of succeeded, failed, cancelled, timed_out; did you mean "failed"?',
        id="webhook-unknown-event",
    ),
    pytest.param(
        "alerts: {webhooks: [{url: {env: SLACK_WEBHOOK_URL}, on: []}]}\n",
        "airbyte_ops.yaml: alerts.webhooks[0].on: must not be empty",
        id="webhook-no-events",
    ),
    pytest.param(
        "max_concurrent_syncs: 0\n",
        "airbyte_ops.yaml: max_concurrent_syncs: must be at least 1, got 0",
        id="max-concurrent-zero",
    ),
    pytest.param(
        "max_concurrent_syncs: 2.5\n",
        "airbyte_ops.yaml: max_concurrent_syncs: expected a whole number, got 2.5",
        id="max-concurrent-fraction",
    ),
    pytest.param(
        "connections: [{name: a, max_concurrent_syncs: 0}]\n",
        "airbyte_ops.yaml: connections[0].max_concurrent_syncs: must be at least 1, got 0",
        id="entry-max-concurrent-zero",
    ),
    pytest.param(
        "connections: [{name: a, max_concurent_syncs: 2}]\n",
        'airbyte_ops.yaml: connections[0].max_concurent_syncs: unknown key; did you mean "max_concurrent_syncs"?',
        id="entry-max-concurrent-typo",
    ),
    pytest.param(
        "connections: [{name: a, pool: 'my pool'}]\n",
        'airbyte_ops.yaml: connections[0].pool: "my pool" is not a Dagster pool name: use non-blank characters without spaces, e.g. "airbyte/crm"',
        id="entry-pool-with-space",
    ),
    pytest.param(
        "airbyte: {url: 'http://a:8000'}\ninstances: {onprem: {airbyte: {url: 'http://a:8000'}}, cloud: {airbyte: {url: 'http://b:8000'}}}\nconnections: [{name: a, instance: onprem}]\n",
        "airbyte_ops.yaml: airbyte: and instances: are both set; move the airbyte: section under instances: as one named Airbyte (instances: {onprem: {airbyte: {url: ...}}}), or remove instances:",
        id="instances-and-airbyte",
    ),
    pytest.param(
        "instances: {onprem: {airbyte: {url: 'http://a:8000'}}, cloud: {airbyte: {url: 'http://b:8000'}}}\nconnections: [{name: a}]\n",
        'airbyte_ops.yaml: connections[0].instance: required when instances: lists several Airbytes; add instance: with one of "onprem", "cloud"',
        id="instances-entry-without-instance",
    ),
    pytest.param(
        "instances: {onprem: {airbyte: {url: 'http://a:8000'}}, cloud: {airbyte: {url: 'http://b:8000'}}}\nconnections: [{name: a, instance: clod}]\n",
        'airbyte_ops.yaml: connections[0].instance: "clod" is not one of instances:; did you mean "cloud"?',
        id="instances-unknown-instance-typo",
    ),
    pytest.param(
        "instances: {onprem: {airbyte: {url: 'http://a:8000'}}, cloud: {airbyte: {url: 'http://b:8000'}}}\nconnections: [{name: a, instance: staging}]\n",
        'airbyte_ops.yaml: connections[0].instance: "staging" is not one of instances:; the instances are "onprem", "cloud"',
        id="instances-unknown-instance",
    ),
    pytest.param(
        "connections: [{name: a, instance: onprem}]\n",
        'airbyte_ops.yaml: connections[0].instance: "onprem" names an Airbyte instance, but the file has no instances: section; remove instance:, or list your Airbytes under instances:',
        id="instance-without-instances",
    ),
    pytest.param(
        "instances: {}\n",
        "airbyte_ops.yaml: instances: is empty; name at least one Airbyte (instances: {onprem: {airbyte: {url: ...}}}), or remove instances: and write airbyte: instead",
        id="instances-empty",
    ),
    pytest.param(
        "instances: {'on prem': {airbyte: {url: 'http://a:8000'}}}\n",
        'airbyte_ops.yaml: instances: "on prem" is not a valid instance name: it becomes part of Dagster names (resource airbyte_<name>), so use letters, digits and _ only, e.g. "on_prem"',
        id="instances-bad-name",
    ),
    pytest.param(
        "instances: {onprem: {}}\n",
        "airbyte_ops.yaml: instances.onprem.airbyte: missing required key; add it",
        id="instances-without-airbyte",
    ),
    pytest.param(
        "instances: {onprem: {url: 'http://a:8000', api: config}}\n",
        "airbyte_ops.yaml: instances.onprem: url:, api: belong under airbyte:; write {airbyte: {url: ...}} (an instance has airbyte, key_prefix, group_prefix)",
        id="instances-airbyte-keys-one-level-up",
    ),
    pytest.param(
        "instances: {onprem: {airbyte: {url: 'http://a:8000'}}, cloud: {airbyte: {url: 'http://b:8000'}}}\nconnections: [{name: a, instance: onprem}, {name: a, instance: cloud}, {name: a, instance: cloud}]\n",
        'airbyte_ops.yaml: connections[2].name: "a" is already selected by connections[1]; merge the two entries',
        id="instances-same-name-twice-in-one-instance",
    ),
    pytest.param(
        "instances: {onprem: {airbyte: {url: 'http://a:8000'}}, cloud: {airbyte: {url: 'http://b:8000'}}}\nconnections: [{name: a, instance: onprem, after: ['cloud:b']}, {name: b, instance: cloud, after: [a]}]\n",
        'airbyte_ops.yaml: connections[0].after: cycle between connections: "onprem:a" → "cloud:b" → "onprem:a"; remove one of these after: entries',
        id="instances-after-cycle",
    ),
    pytest.param(
        "conections: [{name: a}]\n",
        'airbyte_ops.yaml: conections: unknown key; did you mean "connections"?',
        id="top-level-unknown-key",
    ),
    pytest.param(
        "- name: a\n- name: b\n",
        "airbyte_ops.yaml: expected a mapping of sections (airbyte, defaults, connections, sources, destinations, downstream, alerts, max_concurrent_syncs) at the top level, got a list",
        id="top-level-list",
    ),
    pytest.param(
        "hello\n",
        'airbyte_ops.yaml: expected a mapping of sections (airbyte, defaults, connections, sources, destinations, downstream, alerts, max_concurrent_syncs) at the top level, got "hello"',
        id="top-level-scalar",
    ),
    pytest.param(
        "",
        'airbyte_ops.yaml: the file is empty; add at least an "airbyte:" section and a "connections:" list',
        id="empty-file",
    ),
    pytest.param(
        "# nothing here yet\n",
        'airbyte_ops.yaml: the file is empty; add at least an "airbyte:" section and a "connections:" list',
        id="only-comments",
    ),
    pytest.param(
        'airbyte:\n  url: "http://localhost:8000\n',
        "airbyte_ops.yaml:3:1: invalid YAML: found unexpected end of stream (while scanning a quoted scalar at line 2); a quote or bracket is not closed",
        id="yaml-unclosed-quote",
    ),
    pytest.param(
        'airbyte:\n\turl: "http://localhost:8000"\n',
        "airbyte_ops.yaml:2:1: invalid YAML: found character '\\t' that cannot start any token; YAML indents with spaces, never tabs",
        id="yaml-tab-indent",
    ),
    pytest.param(
        'airbyte:\n  url: "http://localhost:8000"\n api: config\n',
        "airbyte_ops.yaml:3:2: invalid YAML: expected <block end>, but found '<block mapping start>' (while parsing a block mapping at line 1); check the indentation of this line",
        id="yaml-bad-indent",
    ),
    pytest.param(
        "connections:\n  - name: a: b\n",
        'airbyte_ops.yaml:2:12: invalid YAML: mapping values are not allowed here; quote a value containing ": ", or fix the indentation',
        id="yaml-colon-in-value",
    ),
    pytest.param(
        'airbyte:\n  url: "http://a:8000"\n  url: "http://b:8000"\n',
        'airbyte_ops.yaml:3:3: duplicate key "url" (first at line 2); keep only one',
        id="yaml-duplicate-key",
    ),
    pytest.param(
        "connections: [{name: a, tags: {1: x}}]\n",
        'airbyte_ops.yaml:1:32: key 1 is not text; quote it: "1"',
        id="yaml-non-text-key",
    ),
    pytest.param(
        'airbyte: !!python/object/apply:os.system ["true"]\n',
        "airbyte_ops.yaml:1:10: YAML tags (!!...) are not supported here; remove the tag",
        id="yaml-python-tag",
    ),
    pytest.param(
        "airbyte: {}\n---\nairbyte: {}\n",
        "airbyte_ops.yaml:2:1: invalid YAML: but found another document (expected a single document in the stream at line 1); keep one document (one configuration) per file",
        id="yaml-two-documents",
    ),
    # ---- numbers, booleans and URLs at their edges (issue 14 case 8) ----
    pytest.param(
        "connections: [{name: a, freshness: {max_lag: 99999999999999d}}]\n",
        'airbyte_ops.yaml: connections[0].freshness.max_lag: "99999999999999d" is too long: at most 3650d (ten years); write a whole number and a unit: 90s, 30m, 2h, 1d, 1w (or combined: 1h30m)',
        id="duration-overflow",
    ),
    pytest.param(
        "airbyte: {max_retries: true}\nconnections: [{name: a}]\n",
        "airbyte_ops.yaml: airbyte.max_retries: expected a whole number, got true",
        id="bool-as-int",
    ),
    pytest.param(
        "airbyte: {request_timeout_s: false}\nconnections: [{name: a}]\n",
        "airbyte_ops.yaml: airbyte.request_timeout_s: expected a number, got false",
        id="bool-as-float",
    ),
    pytest.param(
        "airbyte: {max_retries: 1000000000000}\nconnections: [{name: a}]\n",
        "airbyte_ops.yaml: airbyte.max_retries: must be at most 100, got 1000000000000",
        id="retries-too-many",
    ),
    pytest.param(
        "airbyte: {request_timeout_s: 1e300}\nconnections: [{name: a}]\n",
        "airbyte_ops.yaml: airbyte.request_timeout_s: must be at most 3600, got 1e+300",
        id="request-timeout-too-long",
    ),
    pytest.param(
        "airbyte: {sync_timeout_s: 1e300}\nconnections: [{name: a}]\n",
        "airbyte_ops.yaml: airbyte.sync_timeout_s: must be at most 31536000, got 1e+300",
        id="sync-timeout-too-long",
    ),
    pytest.param(
        "airbyte: {poll_interval_s: 1e12}\nconnections: [{name: a}]\n",
        "airbyte_ops.yaml: airbyte.poll_interval_s: must be at most 86400, got 1000000000000.0",
        id="poll-interval-too-long",
    ),
    pytest.param(
        "observer: {interval_s: 100000000}\nconnections: [{name: a}]\n",
        "airbyte_ops.yaml: observer.interval_s: must be at most 86400, got 100000000",
        id="observer-interval-too-long",
    ),
    pytest.param(
        "airbyte: {url: 'http://user:secret@airbyte.example.com'}\nconnections: [{name: a}]\n",
        'airbyte_ops.yaml: airbyte.url: "http://user:***@airbyte.example.com" has credentials in it; a URL must not carry a secret: remove them and set auth: {basic: {username: ..., password: {env: AIRBYTE_PASSWORD}}}',
        id="credentials-in-url",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD_CONFIGS)
def test_bad_config_message(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "airbyte_ops.yaml", environ=ENVIRON)
    assert str(caught.value) == expected


@pytest.mark.parametrize(("text", "expected"), BAD_CONFIGS)
def test_bad_config_message_speaks_yaml_not_python(text: str, expected: str) -> None:
    """No pydantic jargon, no Python reprs, and never a secret's value."""
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "airbyte_ops.yaml", environ=ENVIRON)
    message = str(caught.value)
    for jargon in ("Input should", "type=", "pydantic", "Traceback", "NoneType", "'dict'", "s3cret"):
        assert jargon not in message
    assert all(line.startswith("airbyte_ops.yaml") for line in message.splitlines())


def test_one_repeated_mistake_is_capped_at_20_lines() -> None:
    """A cross-entry mistake repeated 30 times (duplicates) prints 20 problems and a count, not 30."""
    text = "connections:\n" + "".join(f"  - {{name: a{i}}}\n  - {{name: a{i}}}\n" for i in range(30))
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "airbyte_ops.yaml", environ={})
    lines = str(caught.value).splitlines()
    assert len(lines) == 21
    assert lines[-1] == "airbyte_ops.yaml: ... and 10 more problems"


def test_several_problems_are_reported_together() -> None:
    text = "airbyte: {max_retries: five, api: confg}\nconnections: [{name: a, mode: async}]\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "airbyte_ops.yaml", environ={})
    assert str(caught.value).splitlines() == [
        'airbyte_ops.yaml: airbyte.api: "confg" is not one of config, public, auto; did you mean "config"?',
        'airbyte_ops.yaml: airbyte.max_retries: expected a whole number, got "five"',
        'airbyte_ops.yaml: connections[0].mode: "async" is not one of sync, deferred; did you mean "sync"?',
    ]
    assert caught.value.problems[0].startswith("airbyte.api:")


def test_the_source_name_is_the_file_shown() -> None:
    with pytest.raises(ConfigError, match=r"^conf/prod\.yaml: airbyte\.url: "):
        parse_config('airbyte: {url: "ftp://x"}', "conf/prod.yaml", environ={})


def test_config_error_is_a_dagster_failure() -> None:
    import dagster as dg

    with pytest.raises(dg.Failure):
        parse_config("connections: [{}]", environ={})
