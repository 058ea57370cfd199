"""An old players row (stats JSONB, TEXT JSON, player_inventories) as a new players row.

Inventory: the old layer's load read the inventory from ``players.inventory`` and only the
equipped items from ``player_inventories.equipped_json`` (its ``inventory_json`` was a copy
written on save). So ``players.inventory`` wins; a different ``inventory_json`` is noted.
"""

from __future__ import annotations

import json
from typing import Any

import pydantic

from mud_persistence.errors import ValidationError
from mud_persistence.models import DEFAULT_ROOM_ID, Position
from mud_persistence.models.player import Player
from mud_persistence.models.player_stats import (
    NULLABLE_STATS,
    STAT_KEYS,
    STAT_RANGES,
    check_stat,
    derived_max_dp,
)
from mud_persistence.repositories.legacy.rules import (
    MISSING,
    ImportContext,
    Row,
    bounded,
    dumps,
    json_value,
    whole_number,
)
from mud_persistence.schemas.player import (
    MAX_INVENTORY_STACKS,
    SLOT_NAME,
    EquippedStack,
    InventoryStack,
    PlayerName,
)
from mud_persistence.schemas.validation import shorten

# Every key of the old stats dict the model stores (STAT_KEYS, key -> column): a stat the
# model gains is imported from its key with no change here.
STAT_DEFAULTS: dict[str, Any] = {
    column: Player._meta.fields_map[column].db_default
    if Player._meta.fields_map[column].has_db_default()
    else None
    for column in STAT_KEYS.values()
}
STACK = pydantic.TypeAdapter(InventoryStack)
EQUIPPED_STACK = pydantic.TypeAdapter(EquippedStack)
NAME = pydantic.TypeAdapter(PlayerName)
SLOT = pydantic.TypeAdapter(pydantic.constr(pattern=SLOT_NAME))


def convert_player(record: Any, context: ImportContext) -> Row:
    row = Row("players", str(record["player_id"]))
    row.values = {
        "player_id": record["player_id"],
        "user_id": record["user_id"],
        "name": _name(row, record, context),
        "current_room_id": _room(row, record["current_room_id"]),
        "respawn_room_id": record["respawn_room_id"],
        "profession_id": _profession(row, record["profession_id"], context),
        "experience_points": bounded(
            row, "experience_points", record["experience_points"], 0, None
        ),
        "level": bounded(row, "level", record["level"], 1, None),
        **_stats(row, record["stats"], context.dp_floor),
        "inventory": dumps(_inventory(row, record)),
        "equipped": dumps(_equipped(row, record)),
        "status_effects": dumps(
            json_value(row, "status_effects", record["status_effects"], list, [])
        ),
        "is_admin": record["is_admin"] != 0,
        "is_deleted": record["is_deleted"],
        "deleted_at": record["deleted_at"],
        "tutorial_instance_id": record["tutorial_instance_id"],
        "created_at": record["created_at"],
        "last_active": record["last_active"],
    }
    return row


def register_player(row: Row, context: ImportContext) -> None:
    if not row.values["is_deleted"]:
        context.active_names.add(row.values["name"].lower())


def _name(row: Row, record: Any, context: ImportContext) -> str:
    name: str = record["name"]
    try:
        NAME.validate_python(name)
    except pydantic.ValidationError:
        fixed = f"player-{row.key[:8]}"
        row.problem(f"name {shorten(name)} is not a valid player name", f"name = {fixed!r}")
        name = fixed
    if record["is_deleted"] or name.lower() not in context.active_names:
        return name
    suffix = f"-{row.key[:8]}"
    fixed = name[: 50 - len(suffix)] + suffix
    row.problem(
        f"name {name!r} is taken, ignoring case, by an active player created earlier",
        f"name = {fixed!r} (suffixed with the start of the player id)",
    )
    return fixed


def _room(row: Row, room_id: str) -> str:
    if room_id.strip():
        return room_id
    row.problem(f"current_room_id is {room_id!r}", f"current_room_id = {DEFAULT_ROOM_ID!r}")
    return DEFAULT_ROOM_ID


def _profession(row: Row, profession_id: int | None, context: ImportContext) -> int | None:
    if profession_id is None or context.is_kept("professions", profession_id):
        return profession_id
    absent = context.why_absent("professions", profession_id)
    row.problem(f"its profession {profession_id} {absent}", "profession_id = null")
    return None


def _stats(row: Row, raw: Any, dp_floor: int) -> dict[str, Any]:
    stats = json_value(row, "stats", raw, dict, {})
    values: dict[str, Any] = {}
    for key, column in STAT_KEYS.items():
        if key != "position":
            values[column] = _stat(row, key, column, stats.get(key, MISSING))
    top = values["max_dp"] or derived_max_dp(values["constitution"], values["size"])
    values["current_dp"] = bounded(row, "current_dp", values["current_dp"], dp_floor, top)
    values["position"] = _position(row, stats.get("position", Position.STANDING.value))
    unknown = {key: stats[key] for key in stats if key not in STAT_KEYS}
    if unknown:
        row.problem(
            f"stats has keys this layer does not store: {shorten(unknown, 120)}",
            f"dropped {', '.join(sorted(unknown))}",
        )
    return values


def _stat(row: Row, key: str, column: str, given: Any) -> Any:
    default = STAT_DEFAULTS[column]
    shown = "null" if default is None else default
    if given is MISSING or (given is None and key in NULLABLE_STATS):
        return default
    if key not in STAT_RANGES:  # a stat that is not an integer (_mp_fractional)
        try:
            return check_stat(key, given)
        except ValidationError:
            row.problem(f"stats.{key} is {shorten(given)}, out of range", f"{column} = {shown}")
            return default
    number = whole_number(given)
    if number is None:
        row.problem(
            f"stats.{key} is {shorten(given)}, not a whole number",
            f"{column} = {shown} (the default)",
        )
        return default
    if key == "current_dp":
        return number  # clamped against the other stats once they are known
    low, high = STAT_RANGES[key]
    return bounded(row, column, number, low, high)


def _position(row: Row, position: Any) -> str:
    if isinstance(position, str) and position in {member.value for member in Position}:
        return position
    row.problem(
        f"stats.position is {shorten(position)}, not standing, sitting or lying",
        "position = 'standing'",
    )
    return Position.STANDING.value


def _inventory(row: Row, record: Any) -> list[Any]:
    stacks = json_value(row, "inventory", record["inventory"], list, [])
    kept = _valid_stacks(row, "inventory", stacks)
    if len(kept) > MAX_INVENTORY_STACKS:
        row.problem(
            f"inventory has {len(kept)} stacks, more than {MAX_INVENTORY_STACKS}",
            f"kept the first {MAX_INVENTORY_STACKS}, dropped the rest",
        )
        kept = kept[:MAX_INVENTORY_STACKS]
    if record["has_inventory_row"] and _parsed(record["inventory_json"]) != stacks:
        row.notes.append(
            "player_inventories.inventory_json differs from players.inventory; "
            f"players.inventory kept, as the old layer loaded it (ignored: "
            f"{shorten(record['inventory_json'])})"
        )
    return kept


def _valid_stacks(row: Row, column: str, stacks: list[Any]) -> list[Any]:
    kept = []
    for index, stack in enumerate(stacks):
        try:
            STACK.validate_python(stack)
        except pydantic.ValidationError as exc:
            reason = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in reason["loc"]) or "stack"
            row.problem(
                f"{column}[{index}] is invalid ({where}: {reason['msg']}): {shorten(stack)}",
                f"dropped {column}[{index}]",
            )
            continue
        kept.append(stack)
    return kept


def _equipped(row: Row, record: Any) -> dict[str, Any]:
    if not record["has_inventory_row"]:
        return {}
    slots = json_value(row, "equipped_json", record["equipped_json"], dict, {})
    kept = {}
    for slot, stack in slots.items():
        try:
            SLOT.validate_python(slot)
            EQUIPPED_STACK.validate_python(stack)
        except pydantic.ValidationError as exc:
            reason = exc.errors(include_url=False)[0]["msg"]
            row.problem(
                f"equipped slot {slot!r} is invalid ({reason}): {shorten(stack)}",
                f"dropped equipped slot {slot!r}",
            )
            continue
        kept[slot] = stack
    return kept


def _parsed(raw: str | None) -> Any:
    try:
        return json.loads(raw) if raw is not None else None
    except json.JSONDecodeError:
        return raw
