"""The Dagster resource over one Airbyte instance: trigger or attach, wait, cancel, report.

`AirbyteResource` (airbyte_resource.py) decides what to do with a sync; `polling.py` says how long to
wait between job reads; `sync_result.py` is what a sync hands back; `interrupts.py` lets a terminated
run wake a waiting step thread. HTTP stays in `client/`.
"""

from .airbyte_resource import AirbyteResource
from .sync_result import SyncResult

__all__ = ["AirbyteResource", "SyncResult"]
