"""Good configuration files load: defaults applied, env refs resolved, secrets kept by name."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest

from dagster_airbyte_ops.config import (
    CONFIG_ENV_VAR,
    AirbyteOpsConfig,
    EnvRef,
    ScheduleSpec,
    describe_cron,
    find_config_path,
    load_config,
    parse_config,
)
from dagster_airbyte_ops.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[2]

# The example of DESIGN.md, "Configuration file" (its `downstream: sensors: ...` placeholder left out).
DESIGN_EXAMPLE = """\
airbyte:
  url: {env: AIRBYTE_URL, default: "http://127.0.0.1:8001"}
  api: config
  auth: {basic: {username: {env: AIRBYTE_USERNAME}, password: {env: AIRBYTE_PASSWORD}}}
defaults:
  key_prefix: []
  timezone: UTC
connections:                    # select by name, id, or glob; unlisted connections are not assets
  - name: "PostgreSQL → MinIO"
    schedule: {cron: "0 6-18 * * *", timezone: "Europe/Paris"}   # hourly 06:00-18:00
    freshness: {max_lag: 2h}
  - name: "MSSQL → S3"
    after: ["PostgreSQL → MinIO"]    # sensor: runs when that one succeeds
  - match: "CRM*"
    schedule: {cron: "0 */6 * * *"}
"""

# Every key of the file, as in the reference of the package's documentation.
FULL_EXAMPLE = """\
airbyte:
  url: {env: AIRBYTE_URL, default: "http://127.0.0.1:8001"}
  api: public
  public_api_url: https://api.airbyte.com/v1
  ui_url: https://cloud.airbyte.com/
  workspace_id: {env: AIRBYTE_WORKSPACE_ID, default: null}
  auth:
    client_credentials: {client_id: {env: AIRBYTE_CLIENT_ID}, client_secret: {env: AIRBYTE_CLIENT_SECRET}}
  request_timeout_s: 12.5
  max_retries: {env: AIRBYTE_MAX_RETRIES, default: 3}
  retry_backoff_s: 0.5
  poll_interval_s: 5
  sync_timeout_s: null
  cancel_on_termination: false
  on_running_sync: skip
  verify_tls: {env: AIRBYTE_VERIFY_TLS}
defaults:
  key_prefix: airbyte
  timezone: America/New_York
  include_inactive: true
  group_prefix: airbyte_
connections:
  - name: "PostgreSQL → MinIO"
    key_prefix: [bronze, pg]
    group: pg_minio
    tags: {team: data, tier: gold}
    owners: ["team:data", "someone@example.com"]
    schedule:
      - {cron: "0 6-18 * * *", timezone: "Europe/Paris", enabled: true, name: pg_daytime}  # hourly 06-18
      - cron: "0 3 * * sun"                                                                # Sundays 03:00
        skip:
          - {dates: ["2026-12-25", 2027-01-01]}
          - {weekdays: [sat, Sunday]}
          - {between: ["12:00", "13:00"], weekdays: [mon]}
    after: ["MSSQL → S3", "raw/erp/orders"]
    after_mode: any
    freshness: {max_lag: 1h30m}
    mode: deferred
    streams: ["customers", "orders"]
  - id: "c1b6a7d0-3f4e-4d8a-9c1e-0a1b2c3d4e5f"
    schedule: from_airbyte
  - match: "CRM*"
    schedule: {cron: "0 */6 * * *"}   # every 6 hours
  - name: "MSSQL → S3"
downstream:
  - name: revenue_after_orders
    when: ["PostgreSQL → MinIO"]
    select: "group:analytics"
  - name: rebuild_marts
    when: ["PostgreSQL → MinIO", "MSSQL → S3"]
    assets: ["analytics/daily_revenue", "analytics/customers"]
  - name: refresh_reports
    when: ["MSSQL → S3"]
    groups: [reports]
alerts:
  webhooks:
    - url: {env: SLACK_WEBHOOK_URL}
      on: [failed, timed_out]
    - url: {env: TEAMS_WEBHOOK_URL}
max_concurrent_syncs: 10
"""

FULL_ENV = {
    "AIRBYTE_CLIENT_ID": "my-app",
    "AIRBYTE_CLIENT_SECRET": "very-secret",
    "AIRBYTE_VERIFY_TLS": "false",
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/x",
    "TEAMS_WEBHOOK_URL": "https://example.webhook.office.com/x",
}


def test_demo_file_loads() -> None:
    config = load_config(REPO_ROOT / "airbyte_ops.yaml", environ={})
    assert config.airbyte.url == "http://127.0.0.1:8001"
    assert config.airbyte.api == "config"
    assert config.airbyte.auth.kind == "none"
    assert [e.name for e in config.connections] == [
        "PostgreSQL → MinIO",
        "MSSQL → S3",
        "CRM API → Postgres",
        "Shop Orders → SQLite",
    ]
    pg, mssql, crm, _shop = config.connections
    assert [(s.cron, s.timezone) for s in pg.schedules] == [("0 6-18 * * *", "Europe/Paris")]
    assert pg.freshness is not None and pg.freshness.max_lag == dt.timedelta(hours=2)
    assert mssql.after_connections == ["PostgreSQL → MinIO"]
    assert [(s.cron, s.timezone) for s in crm.schedules] == [("0 */6 * * *", "UTC")]
    assert config.source_name.endswith("airbyte_ops.yaml")


def test_demo_file_follows_airbyte_url() -> None:
    config = load_config(REPO_ROOT / "airbyte_ops.yaml", environ={"AIRBYTE_URL": "http://airbyte:8000/"})
    assert config.airbyte.url == "http://airbyte:8000"


def test_design_example_loads() -> None:
    env = {"AIRBYTE_USERNAME": "airbyte", "AIRBYTE_PASSWORD": "password"}
    config = parse_config(DESIGN_EXAMPLE, environ=env)
    basic = config.airbyte.auth.basic
    assert basic is not None
    assert basic.username == "airbyte"
    assert basic.password == EnvRef(env="AIRBYTE_PASSWORD")
    assert config.connections[2].selector == ("match", "CRM*")


def test_minimal_file_gets_every_default() -> None:
    config = parse_config("connections: [{name: a}]", environ={})
    airbyte = config.airbyte
    assert (airbyte.url, airbyte.api, airbyte.auth.kind) == ("http://localhost:8000", "auto", "none")
    assert (airbyte.request_timeout_s, airbyte.max_retries, airbyte.retry_backoff_s) == (30.0, 5, 1.0)
    assert (airbyte.poll_interval_s, airbyte.sync_timeout_s) == (10.0, 86400.0)
    assert (airbyte.cancel_on_termination, airbyte.on_running_sync, airbyte.verify_tls) == (
        True,
        "attach",
        True,
    )
    assert (config.defaults.timezone, config.defaults.key_prefix, config.defaults.include_inactive) == (
        "UTC",
        [],
        False,
    )
    entry = config.connections[0]
    assert (entry.key_prefix, entry.group, entry.tags, entry.owners) == ([], None, {}, [])
    assert (entry.schedule, entry.after, entry.after_mode, entry.mode, entry.streams) == (
        None,
        [],
        "all",
        "sync",
        None,
    )
    assert config.downstream == [] and config.alerts.webhooks == [] and config.max_concurrent_syncs is None


def test_full_example_loads_every_key() -> None:
    config = parse_config(FULL_EXAMPLE, environ=FULL_ENV)
    airbyte = config.airbyte
    assert airbyte.url == "http://127.0.0.1:8001"
    assert airbyte.ui_url == "https://cloud.airbyte.com"
    assert airbyte.workspace_id is None
    assert airbyte.max_retries == 3
    assert airbyte.verify_tls is False
    assert airbyte.sync_timeout_s is None
    assert airbyte.auth.kind == "client_credentials"

    pg, by_id, crm, _mssql = config.connections
    assert pg.key_prefix == ["bronze", "pg"]
    assert crm.key_prefix == ["airbyte"]  # from defaults, a single string
    daytime, sundays = pg.schedules
    assert (daytime.timezone, daytime.enabled, daytime.name) == ("Europe/Paris", True, "pg_daytime")
    assert (sundays.timezone, sundays.enabled, sundays.name) == ("America/New_York", False, None)
    assert sundays.skip[0].dates == [dt.date(2026, 12, 25), dt.date(2027, 1, 1)]
    assert sundays.skip[1].weekdays == ["sat", "sun"]
    assert sundays.skip[2].between == [dt.time(12), dt.time(13)]
    assert pg.after_connections == ["MSSQL → S3"]
    assert pg.after_assets == [dg.AssetKey(["raw", "erp", "orders"])]
    assert pg.freshness is not None and pg.freshness.max_lag == dt.timedelta(minutes=90)
    assert (pg.after_mode, pg.mode, pg.streams) == ("any", "deferred", ["customers", "orders"])
    assert by_id.schedule_from_airbyte and by_id.schedules == []
    assert crm.describe() == 'connections[2] (match "CRM*")'

    select, assets, groups = (d.asset_selection() for d in config.downstream)
    assert isinstance(select, dg.AssetSelection)
    assert assets == dg.AssetSelection.assets(
        dg.AssetKey(["analytics", "daily_revenue"]), dg.AssetKey(["analytics", "customers"])
    )
    assert groups == dg.AssetSelection.groups("reports")
    hooks = config.alerts.webhooks
    assert [h.url.env_var_name for h in hooks] == ["SLACK_WEBHOOK_URL", "TEAMS_WEBHOOK_URL"]
    assert hooks[1].on == ["failed", "timed_out"]
    assert config.max_concurrent_syncs == 10


def test_secrets_stay_environment_variable_names() -> None:
    config = parse_config(FULL_EXAMPLE, environ=FULL_ENV)
    kwargs = config.airbyte.resource_kwargs(environ=FULL_ENV)
    assert kwargs["client_id"] == "my-app"
    secret = kwargs["client_secret"]
    assert isinstance(secret, dg.EnvVar)
    assert secret.env_var_name == "AIRBYTE_CLIENT_SECRET"
    assert "very-secret" not in repr(config) and "very-secret" not in repr(kwargs)
    assert "hooks.slack.com" not in repr(config.alerts)


def test_resource_kwargs_per_auth_kind() -> None:
    env = {"AIRBYTE_PASSWORD": "pw", "AIRBYTE_TOKEN": "tok"}
    basic = parse_config(
        "airbyte: {auth: {basic: {username: airbyte, password: {env: AIRBYTE_PASSWORD}}}}", environ=env
    )
    kwargs = basic.airbyte.resource_kwargs(environ=env)
    assert kwargs["username"] == "airbyte"
    assert kwargs["password"].env_var_name == "AIRBYTE_PASSWORD"
    assert "token" not in kwargs and "client_secret" not in kwargs
    bearer = parse_config("airbyte: {auth: {bearer: {token: {env: AIRBYTE_TOKEN}}}}", environ=env)
    assert bearer.airbyte.resource_kwargs(environ=env)["token"].env_var_name == "AIRBYTE_TOKEN"
    none = parse_config("airbyte: {auth: none}", environ=env)
    assert not {"username", "password", "token", "client_id", "client_secret"} & set(
        none.airbyte.resource_kwargs(environ=env)
    )


def test_resource_kwargs_build_the_resource() -> None:
    from dagster_airbyte_ops.resource import AirbyteResource

    env = {"AIRBYTE_PASSWORD": "pw"}
    config = parse_config(
        "airbyte: {url: 'http://127.0.0.1:8001',"
        " auth: {basic: {username: u, password: {env: AIRBYTE_PASSWORD}}}}",
        environ=env,
    )
    resource = AirbyteResource(**config.airbyte.resource_kwargs(environ=env))
    assert resource.url == "http://127.0.0.1:8001"


def test_secret_default_is_used_when_the_variable_is_unset() -> None:
    config = parse_config(
        "airbyte: {auth: {basic: {username: airbyte, password: {env: AIRBYTE_PASSWORD, default: password}}}}",
        environ={},
    )
    assert config.airbyte.resource_kwargs(environ={})["password"] == "password"
    assert config.airbyte.resource_kwargs(environ={"AIRBYTE_PASSWORD": "x"})["password"].env_var_name == (
        "AIRBYTE_PASSWORD"
    )


def test_env_ref_resolve() -> None:
    ref = EnvRef(env="AIRBYTE_TOKEN")
    assert ref.resolve({"AIRBYTE_TOKEN": "t"}) == "t"
    assert EnvRef(env="X", default="d").resolve({}) == "d"
    with pytest.raises(ConfigError, match="environment variable AIRBYTE_TOKEN is not set"):
        ref.resolve({})
    assert str(ref) == "${AIRBYTE_TOKEN}"


def test_env_refs_resolve_every_scalar_type() -> None:
    env = {
        "RETRIES": "7",
        "TLS": "false",
        "TZ_NAME": "Asia/Tokyo",
        "LAG": "45m",
        "PREFIX": "bronze",
        "CRON": "0 1 * * *",
    }
    config = parse_config(
        """
airbyte: {max_retries: {env: RETRIES}, verify_tls: {env: TLS}, poll_interval_s: {env: UNSET, default: 2.5}}
defaults: {timezone: {env: TZ_NAME}, key_prefix: {env: PREFIX}}
connections:
  - name: {env: UNSET, default: "PostgreSQL → MinIO"}
    freshness: {max_lag: {env: LAG}}
    schedule: {cron: {env: CRON}}
    tags: {team: {env: UNSET, default: data}}
""",
        environ=env,
    )
    assert (config.airbyte.max_retries, config.airbyte.verify_tls, config.airbyte.poll_interval_s) == (
        7,
        False,
        2.5,
    )
    assert (config.defaults.timezone, config.defaults.key_prefix) == ("Asia/Tokyo", ["bronze"])
    entry = config.connections[0]
    assert entry.name == "PostgreSQL → MinIO"
    assert entry.freshness is not None and entry.freshness.max_lag == dt.timedelta(minutes=45)
    assert entry.schedules[0].cron == "0 1 * * *" and entry.schedules[0].timezone == "Asia/Tokyo"
    assert entry.tags == {"team": "data"}


def test_yaml_1_1_traps_are_plain_text() -> None:
    """`on`, `no` and `12:00` stay text; only true/false are booleans."""
    config = parse_config(
        """
connections:
  - name: "no"
    tags: {country: NO}
    schedule: {cron: "0 6 * * *", skip: [{between: [12:00, 13:30]}]}
alerts: {webhooks: [{url: {env: HOOK}, on: [failed]}]}
""",
        environ={"HOOK": "https://example.com/hook"},
    )
    entry = config.connections[0]
    assert entry.name == "no" and entry.tags == {"country": "NO"}
    assert entry.schedules[0].skip[0].between == [dt.time(12), dt.time(13, 30)]
    assert config.alerts.webhooks[0].on == ["failed"]


def test_yaml_anchors_and_merge_keys_work() -> None:
    config = parse_config(
        """
connections:
  - &base {name: a, schedule: {cron: "0 6 * * *"}, group: shared}
  - {<<: *base, name: b, group: own}
""",
        environ={},
    )
    assert [(e.name, e.group) for e in config.connections] == [("a", "shared"), ("b", "own")]


def test_cron_shortcuts_and_names() -> None:
    config = parse_config(
        'connections: [{name: a, schedule: [{cron: "@daily"}, {cron: "*/15 9-17 * * MON-FRI"}]}]', environ={}
    )
    assert [s.cron for s in config.connections[0].schedules] == ["@daily", "*/15 9-17 * * MON-FRI"]


@pytest.mark.parametrize(
    ("cron", "words"),
    [
        ("0 */6 * * *", "Every 6 hours"),
        ("0 6-18 * * *", "At 0 minutes past the hour, between 06:00 and 18:59"),
        ("@daily", "At 00:00"),
        ("*/15 9-17 * * mon-fri", "Every 15 minutes, between 09:00 and 17:59, Monday through Friday"),
    ],
)
def test_describe_cron(cron: str, words: str) -> None:
    assert describe_cron(cron) == words


def test_schedule_description_names_the_time_zone() -> None:
    assert (
        ScheduleSpec(cron="0 */6 * * *", timezone="Europe/Paris").description
        == "Every 6 hours (Europe/Paris)"
    )


def test_skip_rules_match_ticks() -> None:
    config = parse_config(
        """
connections:
  - name: a
    schedule:
      cron: "0 * * * *"
      skip:
        - {dates: ["2026-12-25"]}
        - {weekdays: [sat, sun]}
        - {between: ["12:00", "13:00"], weekdays: [mon]}
        - {between: ["23:00", "01:00"]}
""",
        environ={},
    )
    spec = config.connections[0].schedules[0]
    assert spec.skips(dt.datetime(2026, 12, 25, 9))  # Christmas (a Friday)
    assert spec.skips(dt.datetime(2026, 6, 6, 9))  # Saturday
    assert spec.skips(dt.datetime(2026, 6, 1, 12, 0))  # Monday lunch, start included
    assert not spec.skips(dt.datetime(2026, 6, 1, 13, 0))  # end excluded
    assert not spec.skips(dt.datetime(2026, 6, 2, 12, 30))  # Tuesday lunch
    assert spec.skips(dt.datetime(2026, 6, 2, 0, 30))  # overnight window wraps past midnight
    assert spec.skips(dt.datetime(2026, 6, 2, 23, 0))


# ---- finding the file ------------------------------------------------------------------------


def test_load_config_reads_the_given_path(tmp_path: Path) -> None:
    path = tmp_path / "ops.yaml"
    path.write_text("connections: [{name: a}]\n", encoding="utf-8")
    assert isinstance(load_config(path, environ={}), AirbyteOpsConfig)
    assert load_config(str(path), environ={}).source_name == str(path)


def test_load_config_follows_the_environment_variable(tmp_path: Path) -> None:
    path = tmp_path / "from_env.yaml"
    path.write_text("connections: [{name: from_env}]\n", encoding="utf-8")
    config = load_config(environ={CONFIG_ENV_VAR: str(path)})
    assert config.connections[0].name == "from_env"
    assert find_config_path(environ={CONFIG_ENV_VAR: str(path)}) == path


def test_load_config_defaults_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "airbyte_ops.yaml").write_text("connections: [{name: here}]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert load_config(environ={}).connections[0].name == "here"


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(missing, environ={})
    assert str(caught.value) == f"{missing}: file not found; check the path passed to load_config()"


def test_missing_file_from_the_environment_variable(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(environ={CONFIG_ENV_VAR: str(missing)})
    assert str(caught.value) == (
        f"{missing}: file not found; AIRBYTE_OPS_CONFIG points here, set it to your configuration file's path"
    )


def test_missing_default_file_says_how_to_point_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_config(environ={})
    assert str(caught.value) == (
        f"airbyte_ops.yaml: file not found in {tmp_path}; create it there, or set AIRBYTE_OPS_CONFIG "
        "to the path of your configuration file"
    )


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, environ={})
    assert str(caught.value) == f"{tmp_path}: is a directory; point at the YAML file itself"


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("connections: [{name: caf\u00e9}]".encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert str(caught.value) == f"{path}: is not UTF-8 text; save it as UTF-8"
