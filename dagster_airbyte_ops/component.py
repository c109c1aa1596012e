"""`AirbyteOpsComponent`: the whole integration as a Dagster Component (`dg` projects, `defs.yaml`).

The component's `attributes:` are exactly the sections of `airbyte_ops.yaml`, validated by the same
models, so a file moves between the two forms unchanged and errors read the same (`defs.yaml:
attributes.connections[0].schedule.cron: ...`). Dagster's own attribute model is deliberately loose
(any mapping): our validation gives field-named messages with the fix, which a second, generated
schema in front of it would pre-empt with less helpful ones.

Example `defs.yaml`:
    ```yaml
    type: dagster_airbyte_ops.AirbyteOpsComponent
    attributes:
      airbyte:
        url: {env: AIRBYTE_URL, default: "http://127.0.0.1:8001"}
      connections:
        - name: "PostgreSQL → MinIO"
          schedule: {cron: "0 6-18 * * *", timezone: Europe/Paris}
    ```
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

import dagster as dg
from pydantic import BaseModel, ConfigDict

from .assets.catalog import DEFAULT_SNAPSHOT_DIR
from .config import config_from_data
from .definitions import DEFAULT_INSTANCE_KEY, build_definitions


class AirbyteOpsAttributes(BaseModel):
    """Any mapping: the sections of airbyte_ops.yaml, checked by `AirbyteOpsConfig` in `build_defs`."""

    model_config = ConfigDict(extra="allow")


class AirbyteOpsComponent(dg.Component):
    """Assets, jobs, schedules and sensors for the Airbyte connections an `airbyte_ops.yaml`-shaped
    `attributes:` block selects.
    """

    def __init__(self, attributes: dict[str, Any] | None = None, instance_key: str | None = None):
        self.attributes = dict(attributes or {})
        self.instance_key = instance_key

    @classmethod
    def get_model_cls(cls) -> type[BaseModel]:
        return AirbyteOpsAttributes

    @classmethod
    def load(cls, attributes: BaseModel | None, context: dg.ComponentLoadContext) -> Self:
        data = attributes.model_dump() if attributes is not None else {}
        return cls(attributes=data, instance_key=_instance_key(context))

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        source = f"{_relative(context.path / 'defs.yaml', context.project_root)}: attributes"
        config = config_from_data(self.attributes, source)
        return build_definitions(
            config,
            snapshot_dir=str(Path(context.project_root) / DEFAULT_SNAPSHOT_DIR),
            instance_key=self.instance_key or DEFAULT_INSTANCE_KEY,
        )


def _instance_key(context: dg.ComponentLoadContext) -> str:
    """One key per component folder, so two components (two Airbyte instances) keep separate state."""
    return "component_" + "_".join(Path(context.path).relative_to(context.defs_module_path).parts)


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return str(path)
