"""Every airbyte_ops.yaml example in the README and docs/ loads, so the documentation cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from dagster_airbyte_ops.config import config_from_data, parse_config

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
YAML_BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)


def _examples() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for index, block in enumerate(YAML_BLOCK.findall(doc.read_text())):
            if "connections:" in block or "airbyte:" in block:
                found.append((f"{doc.name}#{index}", block))
    return found


@pytest.mark.parametrize(("where", "text"), _examples(), ids=[where for where, _ in _examples()])
def test_documented_configuration_loads(where, text):
    environ = {
        "AIRBYTE_URL": "http://127.0.0.1:8001",
        "AIRBYTE_PASSWORD": "x",
        "AIRBYTE_USERNAME": "u",
        "AIRBYTE_CLIENT_SECRET": "x",
        "SLACK_WEBHOOK_URL": "https://hooks.slack.example/services/T0/B0/x",
        "SHOP_PG_PASSWORD": "x",
        "WAREHOUSE_PASSWORD": "x",
    }
    data = yaml.safe_load(text)
    if isinstance(data, dict) and data.get("type") == "dagster_airbyte_ops.AirbyteOpsComponent":
        config_from_data(data["attributes"], where, environ=environ)  # a component's defs.yaml
    else:
        parse_config(text, where, environ=environ)


def test_readme_has_examples():
    assert len([where for where, _ in _examples() if where.startswith("README")]) >= 2
