"""How one old row becomes one new row: the checks, and the repair `fix` applies to each.

Every converter returns a Row whose values are already repaired; the importer decides, by the
on_conflict mode, whether a row with problems stops the import, is left out, or is written.
A problem without a repair is left out in `fix` mode too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mud_persistence.schemas.legacy import OnConflict
from mud_persistence.schemas.validation import shorten

MISSING = object()


@dataclass
class Problem:
    message: str
    repair: str | None  # what `fix` does; None: nothing can be done, the row is left out
    drops_row: bool = False  # the repair is to leave this row out (the rest of the data wins)


@dataclass
class Row:
    table: str
    key: str
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def problem(self, message: str, repair: str | None = None, drops_row: bool = False) -> None:
        self.problems.append(Problem(message, repair, drops_row))

    @property
    def repairable(self) -> bool:
        return all(problem.repair is not None for problem in self.problems)

    @property
    def dropped_by_fix(self) -> bool:
        return any(problem.drops_row for problem in self.problems)


@dataclass
class ImportContext:
    """What the converters of later tables need to know about earlier ones, for one pass."""

    on_conflict: OnConflict
    dp_floor: int
    kept: dict[str, set[str]] = field(default_factory=dict)
    left_out: dict[str, set[str]] = field(default_factory=dict)
    active_names: set[str] = field(default_factory=set)
    item_places: dict[str, list[str]] = field(default_factory=dict)
    placed_items: dict[str, str] = field(default_factory=dict)
    positions: dict[str, set[int]] = field(default_factory=dict)

    def is_kept(self, table: str, key: Any) -> bool:
        return str(key) in self.kept.get(table, set())

    def why_absent(self, table: str, key: Any) -> str:
        """Why a row another row names is not imported: it was left out, or never existed."""
        return "was left out" if str(key) in self.left_out.get(table, set()) else "does not exist"


def json_value(row: Row, column: str, raw: Any, kind: type, default: Any) -> Any:
    """A JSON column (TEXT or JSONB, both arrive as text) as a ``kind``; ``default`` if null."""
    if raw is None:
        return default
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as exc:
        row.problem(f"{column} is not JSON ({exc.msg}): {shorten(raw)}", f"{column} = {default}")
        return default
    if not isinstance(value, kind):
        row.problem(
            f"{column} must be a JSON {'array' if kind is list else 'object'}, got {shorten(raw)}",
            f"{column} = {default}",
        )
        return default
    return value


def jsonb_text(row: Row, column: str, raw: str | None, kind: type, default: Any) -> str:
    """A JSONB column as text for the target. PostgreSQL only stores valid JSON in JSONB, so
    the first character tells an array from an object; parsing every value would triple the
    cost of the import (measured with bench/import_legacy.py)."""
    if raw is None:
        return dumps(default)
    if raw.lstrip()[:1] == ("[" if kind is list else "{"):
        return raw
    return dumps(json_value(row, column, raw, kind, default))


def whole_number(value: Any) -> int | None:
    """``value`` as an int if it is a whole number (50 or 50.0); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def bounded(row: Row, column: str, value: int, low: int | None, high: int | None) -> int:
    """``value`` clamped to ``low..high``, with a problem when it was outside."""
    clamped = value
    if low is not None and clamped < low:
        clamped = low
    if high is not None and clamped > high:
        clamped = high
    if clamped != value:
        bounds = f">= {low}" if high is None else f"<= {high}" if low is None else f"{low}..{high}"
        row.problem(f"{column} is {value}, outside {bounds}", f"{column} = {clamped} (clamped)")
    return clamped


def as_utc(value: datetime | None) -> datetime | None:
    """A naive old timestamp (stored without time zone) is UTC, as the old layer wrote it."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# professions -------------------------------------------------------------------------------


def convert_profession(record: Any, context: ImportContext) -> Row:
    row = Row("professions", str(record["id"]))
    row.values = {
        "id": record["id"],
        "name": record["name"],
        "description": record["description"] or "",
        "flavor_text": record["flavor_text"] or "",
        "is_available": record["is_available"],
    }
    for column, kind in (
        ("stat_requirements", dict),
        ("mechanical_effects", dict),
        ("stat_modifiers", list),
        ("skill_modifiers", list),
    ):
        row.values[column] = dumps(json_value(row, column, record[column], kind, kind()))
    return row


# item_prototypes and item_instances --------------------------------------------------------

PROTOTYPE_JSON = {
    "flags": list,
    "wear_slots": list,
    "stacking_rules": dict,
    "usage_restrictions": dict,
    "effect_components": list,
    "metadata": dict,
    "tags": list,
}
INSTANCE_JSON = {
    "flags_override": list,
    "attunement_state": dict,
    "metadata": dict,
    "origin_metadata": dict,
}
OWNER_TYPES = ("room", "container", "player")


def convert_item_prototype(record: Any, context: ImportContext) -> Row:
    row = Row("item_prototypes", record["prototype_id"])
    row.values = {
        column: record[column]
        for column in (
            "prototype_id",
            "name",
            "short_description",
            "long_description",
            "item_type",
            "durability",
            "created_at",
        )
    }
    row.values["weight"] = max(record["weight"], 0.0)
    if record["weight"] < 0:
        row.problem(f"weight is {record['weight']}, below 0", "weight = 0")
    row.values["base_value"] = bounded(row, "base_value", record["base_value"], 0, None)
    for column, kind in PROTOTYPE_JSON.items():
        row.values[column] = jsonb_text(row, column, record[column], kind, kind())
    return row


def convert_item_instance(record: Any, context: ImportContext) -> Row:
    row = Row("item_instances", record["item_instance_id"])
    prototype = record["prototype_id"]
    if not context.is_kept("item_prototypes", prototype):
        absent = context.why_absent("item_prototypes", prototype)
        row.problem(f"its prototype {prototype!r} {absent}")
    if record["owner_type"] not in OWNER_TYPES:
        row.problem(f"owner_type is {record['owner_type']!r}, not one of {', '.join(OWNER_TYPES)}")
    row.values = {
        column: record[column]
        for column in (
            "item_instance_id",
            "prototype_id",
            "owner_type",
            "owner_id",
            "location_context",
            "binding_state",
            "custom_name",
            "origin_source",
            "created_at",
            "updated_at",
        )
    }
    row.values["quantity"] = bounded(row, "quantity", record["quantity"], 1, None)
    condition = record["condition"]
    if condition is not None:
        condition = bounded(row, "condition", condition, 0, 100)
    row.values["condition"] = condition
    for column, kind in INSTANCE_JSON.items():
        row.values[column] = jsonb_text(row, column, record[column], kind, kind())
    return row


# player_effects ----------------------------------------------------------------------------


def convert_player_effect(record: Any, context: ImportContext) -> Row:
    row = Row("player_effects", str(record["id"]))
    player = record["player_id"]
    if not context.is_kept("players", player):
        row.problem(f"its player {player} {context.why_absent('players', player)}")
    row.values = {
        column: record[column]
        for column in (
            "id",
            "player_id",
            "effect_type",
            "category",
            "intensity",
            "source",
            "visibility_level",
        )
    }
    row.values["duration"] = bounded(row, "duration", record["duration"], 0, None)
    row.values["applied_at_tick"] = bounded(
        row, "applied_at_tick", record["applied_at_tick"], 0, None
    )
    row.values["created_at"] = as_utc(record["created_at"])
    return row
