"""Deterministic, realistic records for a connection's source, evolving from one sync to the next.

A source is simulated as one table per stream that grows and changes between syncs, the way a shop
database does: the first sync finds about a month of history; every later sync finds some new rows and,
for streams with a ``status``-like column, some rows that moved on (``pending`` → ``paid`` → ...), with
their cursor (``updated_at``) bumped. What a sync reads then follows Airbyte's semantics: incremental
streams return the rows whose cursor is past the saved cursor, full-refresh streams return every row.

Values come from a ``random.Random`` seeded with the connection, stream and sync number, so the same
sequence of syncs yields the same ids, names and amounts (and the same counts) on every machine; only
timestamps follow the clock, because new rows must land after the last cursor. Columns are filled from
the stream's JSON schema with name-based rules (``email``, ``country``, ``total`` ...), so any stream,
not only the demo's, gets plausible rows. A column named like another stream's primary key
(``order_id``) references existing rows of that stream.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

#: How far back the first sync's history reaches.
HISTORY_S = 30 * 86_400
#: Shortest span new timestamps are spread over, so back-to-back syncs still get distinct cursors.
MIN_SPAN_S = 0.001

FIRST_NAMES = [
    "Emma",
    "Liam",
    "Olivia",
    "Noah",
    "Ava",
    "Lucas",
    "Mia",
    "Leo",
    "Sofia",
    "Elias",
    "Hannah",
    "Mateo",
    "Chloe",
    "Jonas",
    "Lea",
    "Hugo",
    "Ines",
    "Arthur",
    "Nora",
    "Louis",
    "Alice",
    "Paul",
    "Lina",
    "Oscar",
    "Clara",
    "Felix",
    "Zoe",
    "Adam",
    "Ella",
    "Victor",
]
LAST_NAMES = [
    "Martin",
    "Schmidt",
    "Garcia",
    "Rossi",
    "Dubois",
    "Muller",
    "Jansen",
    "Silva",
    "Novak",
    "Kowalski",
    "Larsen",
    "Smith",
    "Brown",
    "Moreau",
    "Fischer",
    "Lopez",
    "Bianchi",
    "Weber",
    "Petit",
    "Costa",
]
DOMAINS = ("example.com", "mail.example.org", "shop-customer.example.net")
COUNTRIES = (("FR", 28), ("DE", 24), ("GB", 14), ("US", 12), ("ES", 8), ("IT", 7), ("NL", 4), ("BE", 3))
CURRENCIES = (("EUR", 80), ("GBP", 12), ("USD", 8))
#: Status life cycle; an update moves a row one step along (or cancels a pending one).
STATUS_FLOW = ("pending", "paid", "shipped", "delivered")
REFUND_REASONS = ("damaged", "wrong_size", "late_delivery", "not_as_described", "changed_mind")
WORDS = [
    "alpha",
    "bravo",
    "cobalt",
    "delta",
    "ember",
    "fjord",
    "garnet",
    "harbor",
    "indigo",
    "juniper",
    "kestrel",
    "lumen",
]


@dataclass
class StreamSpec:
    """What the generator needs to know about one configured stream."""

    name: str
    columns: dict[str, dict[str, Any]]
    primary_key: str | None
    cursor: str | None
    incremental: bool


@dataclass
class SourceTable:
    """One simulated source table: rows by primary key, in insertion order."""

    spec: StreamSpec
    rows: dict[Any, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1
    #: When the table last changed (None: never synced, the next sync finds its history).
    last_change_s: float | None = None


@dataclass(frozen=True)
class Person:
    """A customer: the same id always gets the same name, email and country."""

    first_name: str
    last_name: str
    email: str
    country: str

    @classmethod
    def of(cls, person_id: object) -> Person:
        rng = _rng("person", person_id)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first}.{last}{person_id}@{rng.choice(DOMAINS)}".lower()
        return cls(first, last, email, _weighted(rng, COUNTRIES))


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _types(schema: dict[str, Any]) -> list[str]:
    raw = schema.get("type", "string")
    return [raw] if isinstance(raw, str) else [t for t in raw if t != "null"]


def timestamp(epoch_s: float) -> str:
    """ISO-8601 UTC with microseconds: sorts as text in time order, as Airbyte cursors compare."""
    return dt.datetime.fromtimestamp(epoch_s, dt.UTC).isoformat(timespec="microseconds")


def initial_size(stream: str) -> int:
    """Rows the source holds at the first sync: a stable, stream-specific, believable number."""
    known = {"orders": 240, "customers": 120, "refunds": 14, "products": 60, "invoices": 180}
    if stream in known:
        return known[stream]
    return 80 + int.from_bytes(hashlib.sha256(stream.encode()).digest()[:2], "big") % 220


class SourceSimulator:
    """The source behind one connection: its tables and how they change from one sync to the next."""

    def __init__(self, key: str, streams: list[StreamSpec] | None = None) -> None:
        self.key = key
        self.tables: dict[str, SourceTable] = {}
        self.syncs = 0
        self.update_streams(streams or [])

    def update_streams(self, streams: list[StreamSpec]) -> None:
        """Follow the connection's catalog: new streams get a table, existing ones keep their rows."""
        for spec in streams:
            if spec.name in self.tables:
                self.tables[spec.name].spec = spec
            else:
                self.tables[spec.name] = SourceTable(spec)

    def advance(self, now_s: float, new_rows: int | dict[str, int] | None = None) -> None:
        """The source as it is at ``now_s``: history at the first call, then new and changed rows.

        ``new_rows`` fixes how many rows each table gains (an int for all, or per stream); by default
        the first call creates a month of history and later calls add about 5% and change a few rows.
        """
        self.syncs += 1
        # Tables referenced by others (orders before refunds) are filled first.
        for table in sorted(self.tables.values(), key=lambda t: self._references(t)):
            first = table.last_change_s is None
            since = now_s - HISTORY_S if table.last_change_s is None else table.last_change_s
            span = max(now_s - since, MIN_SPAN_S)
            rng = _rng(self.key, table.spec.name, self.syncs)
            if isinstance(new_rows, dict):
                fixed: int | None = new_rows.get(table.spec.name)
            else:
                fixed = new_rows
            if fixed is not None:
                count, changed = max(0, int(fixed)), 0
            elif first:
                count, changed = initial_size(table.spec.name), 0
            else:
                base = initial_size(table.spec.name)
                count = max(1, base // 20 + rng.randint(-2, 3))
                changed = max(1, count // 3) if table.spec.incremental else 0
            moments = sorted(since + span * rng.uniform(0.02, 1.0) for _ in range(count + changed))
            if first and count:
                # History: spread evenly over the month, not clustered.
                moments = [since + span * (i + rng.uniform(0.1, 0.9)) / count for i in range(count)]
            for moment in moments[:count]:
                self._insert(table, rng, moment)
            self._change(table, rng, moments[count:])
            table.last_change_s = now_s

    def read(self, stream: str, cursor_value: str | None) -> list[dict[str, Any]]:
        """What a sync of ``stream`` reads: rows past ``cursor_value`` (incremental) or every row."""
        table = self.tables[stream]
        rows = list(table.rows.values())
        spec = table.spec
        if spec.incremental and spec.cursor:
            column = spec.cursor
            rows = [r for r in rows if cursor_value is None or str(r.get(column)) > cursor_value]
            rows.sort(key=lambda r: str(r.get(column)))
        return [dict(r) for r in rows]

    # ------------------------------------------------------------------ internals
    def _references(self, table: SourceTable) -> int:
        keys = {t.spec.primary_key for t in self.tables.values() if t is not table}
        return sum(1 for column in table.spec.columns if column in keys)

    def _referenced_rows(self, column: str) -> list[dict[str, Any]]:
        for other in self.tables.values():
            if other.spec.primary_key == column and other.rows:
                return list(other.rows.values())
        return []

    def _insert(self, table: SourceTable, rng: random.Random, moment: float) -> None:
        spec = table.spec
        number = table.next_id
        table.next_id += 1
        row: dict[str, Any] = {}
        referenced: dict[str, Any] | None = None
        # Keys first (own id, references, other ids), so names and emails can follow the customer.
        for column, schema in spec.columns.items():
            if column == spec.primary_key:
                row[column] = number if "integer" in _types(schema) else f"{spec.name[:3]}_{number:06d}"
            elif targets := self._referenced_rows(column):
                # Only rows that existed by then: a refund follows its order.
                earlier = [r for r in targets if _first_time(r) <= timestamp(moment)]
                referenced = rng.choice(earlier or targets)
                row[column] = referenced[column]
            elif _is_id(column) and "integer" in _types(schema):
                row[column] = rng.randint(1, 40 + number // 2)
        person_id = next((v for k, v in row.items() if "customer" in k.lower()), number)
        person = Person.of(person_id)
        for column, schema in spec.columns.items():
            if column not in row:
                row[column] = _value(column, schema, rng, number, moment, person, referenced)
        table.rows[row[spec.primary_key] if spec.primary_key else number] = row

    def _change(self, table: SourceTable, rng: random.Random, moments: list[float]) -> None:
        spec = table.spec
        if not moments or not table.rows:
            return
        status = next((c for c in spec.columns if "status" in c.lower()), None)
        candidates = list(table.rows.values())
        if status:
            open_rows = [r for r in candidates if r.get(status) in STATUS_FLOW[:-1]]
            candidates = open_rows or candidates
        for moment in moments:
            row = rng.choice(candidates)
            if status and row.get(status) in STATUS_FLOW[:-1]:
                if row[status] == "pending" and rng.random() < 0.15:
                    row[status] = "cancelled"
                else:
                    row[status] = STATUS_FLOW[STATUS_FLOW.index(row[status]) + 1]
            if spec.cursor:
                row[spec.cursor] = _moment_value(spec.columns.get(spec.cursor, {}), moment)


def _moment_value(schema: dict[str, Any], moment: float) -> Any:
    if schema.get("format") == "date":
        return timestamp(moment)[:10]
    if "integer" in _types(schema):
        return int(moment * 1000)
    return timestamp(moment)


def _first_time(row: dict[str, Any]) -> str:
    """The row's first timestamp-looking value ("" if none), e.g. when an order was placed."""
    return next((v for v in row.values() if isinstance(v, str) and v[:2] == "20" and "T" in v), "")


def _is_id(column: str) -> bool:
    return column.lower().endswith("_id") or column.endswith("ID") or column.endswith("Id")


def _money(rng: random.Random, low: float, high: float) -> float:
    return round(min(high, max(low, rng.lognormvariate(4.0, 0.6))), 2)


def _value(
    column: str,
    schema: dict[str, Any],
    rng: random.Random,
    number: int,
    moment: float,
    person: Person,
    referenced: dict[str, Any] | None,
) -> Any:
    """A plausible value for ``column``, chosen by its name first and its JSON type second."""
    name = column.lower()
    types = _types(schema)
    if schema.get("format") in ("date-time", "date") or column.endswith(("_at", "At")):
        return _moment_value(schema, moment)
    if "email" in name:
        return person.email
    if name in ("first_name", "firstname"):
        return person.first_name
    if name in ("last_name", "lastname"):
        return person.last_name
    if "country" in name:
        return person.country
    if "currency" in name:
        return _weighted(rng, CURRENCIES)
    if "status" in name:
        return rng.choices([*STATUS_FLOW, "cancelled"], weights=[30, 40, 15, 10, 5])[0]
    if "reason" in name:
        return rng.choice(REFUND_REASONS)
    if "number" in types or "integer" in types:
        if any(w in name for w in ("amount", "total", "price", "revenue")):
            if referenced is not None:
                base = next((v for k, v in referenced.items() if "total" in k or "amount" in k), None)
                if isinstance(base, int | float):
                    return round(float(base) * rng.choice((1.0, 1.0, 0.5, 0.25)), 2)
            value = _money(rng, 4.9, 900.0)
            return round(value) if "integer" in types else value
        if any(w in name for w in ("count", "quantity", "items", "lines")):
            return rng.randint(1, 6)
        return rng.randint(0, 1000) if "integer" in types else round(rng.uniform(0, 1000), 2)
    if "boolean" in types:
        return rng.random() < 0.9
    if "object" in types:
        return {}
    if "array" in types:
        return []
    if name == "name" or name.endswith("_name"):
        return f"{rng.choice(WORDS).title()} {rng.choice(WORDS)}"
    return f"{rng.choice(WORDS)}-{number}"
