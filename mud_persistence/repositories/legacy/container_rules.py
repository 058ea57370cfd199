"""Old containers (keyed by container_instance_id) and their contents as new rows.

Contents come from ``container_contents``, or, for a container without such rows, from its
``items_json`` list (the old layer's earlier storage). The old table allowed one item in two
containers and two items at one position; the new one does not.
"""

from __future__ import annotations

from typing import Any

from mud_persistence.models import MAX_CAPACITY
from mud_persistence.repositories.legacy.rules import (
    ImportContext,
    Row,
    as_utc,
    bounded,
    jsonb_text,
)

SOURCE_TYPES = ("environment", "equipment", "corpse")
LOCK_STATES = ("unlocked", "locked", "sealed")


def convert_container(record: Any, context: ImportContext) -> Row:
    row = Row("containers", str(record["container_instance_id"]))
    source_type = record["source_type"]
    if source_type not in SOURCE_TYPES:
        row.problem(f"source_type is {source_type!r}, not one of {', '.join(SOURCE_TYPES)}")
    if record["lock_state"] not in LOCK_STATES:
        row.problem(f"lock_state is {record['lock_state']!r}, not one of {', '.join(LOCK_STATES)}")
    entity = record["entity_id"]
    if entity is not None and not context.is_kept("players", entity):
        row.problem(f"its entity (player) {entity} {context.why_absent('players', entity)}")
    # the rule of the containers table's ck_containers_location constraint
    if source_type == "equipment" and entity is None:
        row.problem("an equipment container needs an entity_id (the player wearing it)")
    if source_type == "environment" and record["room_id"] is None:
        row.problem("an environment container needs a room_id")
    weight_limit = record["weight_limit"]
    if weight_limit is not None and weight_limit <= 0:
        row.problem(f"weight_limit is {weight_limit}, not above 0", "weight_limit = null")
        weight_limit = None
    row.values = {
        "container_id": record["container_instance_id"],
        "source_type": source_type,
        "owner_id": _player_or_null(row, "owner_id", record["owner_id"], context),
        "room_id": record["room_id"],
        "entity_id": entity,
        "lock_state": record["lock_state"],
        "capacity_slots": bounded(row, "capacity_slots", record["capacity_slots"], 1, MAX_CAPACITY),
        "weight_limit": weight_limit,
        "decay_at": as_utc(record["decay_at"]),
        "allowed_roles": jsonb_text(row, "allowed_roles", record["allowed_roles"], list, []),
        "metadata": jsonb_text(row, "metadata_json", record["metadata_json"], dict, {}),
        "container_item_instance_id": _item_or_null(row, record, context),
        "created_at": record["created_at"],
        "updated_at": record["updated_at"],
    }
    return row


def _player_or_null(row: Row, column: str, player: Any, context: ImportContext) -> Any:
    if player is None or context.is_kept("players", player):
        return player
    row.problem(
        f"{column} names player {player}, which {context.why_absent('players', player)}",
        f"{column} = null",
    )
    return None


def _item_or_null(row: Row, record: Any, context: ImportContext) -> Any:
    item = record["container_item_instance_id"]
    if item is None or context.is_kept("item_instances", item):
        return item
    row.problem(
        f"container_item_instance_id names item {item!r}, which "
        f"{context.why_absent('item_instances', item)}",
        "container_item_instance_id = null",
    )
    return None


def convert_content(record: Any, context: ImportContext) -> Row:
    container = str(record["container_id"])
    item = record["item_instance_id"]
    row = Row("container_contents", f"{container}/{item}")
    if record["origin"] == "items_json":
        row.key = f"{container}/items_json[{record['position']}]" if item is None else row.key
        row.table = "containers.items_json"
    if item is None:
        row.problem("an items_json entry names no item_instance_id")
    elif not context.is_kept("item_instances", item):
        row.problem(f"it names item {item!r}, which {context.why_absent('item_instances', item)}")
    if not context.is_kept("containers", container):
        absent = context.why_absent("containers", container)
        row.problem(f"it names container {container}, which {absent}")
    if item is not None:
        _check_single_place(row, container, item, context)
    row.values = {
        "container_id": record["container_id"],
        "item_instance_id": item,
        "position": _free_position(row, container, record, context),
    }
    return row


def _check_single_place(row: Row, container: str, item: str, context: ImportContext) -> None:
    if context.placed_items.get(item) == container:
        row.problem(f"item {item!r} is listed twice in this container", "dropped the copy", True)
        return
    places = context.item_places.get(item)
    if not places:
        return
    first, others = places[0], ", ".join(place for place in places if place != container)
    if container != first:
        row.problem(
            f"item {item!r} is also in container {others}",
            f"left out: the item stays in the first container it was put in, {first}",
            True,
        )
    elif context.on_conflict == "skip":
        row.problem(f"item {item!r} is also in container {others}")


def _free_position(row: Row, container: str, record: Any, context: ImportContext) -> int:
    position: int = record["position"]
    used = context.positions.get(container, set())
    if position >= 0 and position not in used:
        return position
    fixed: int = max([-1, record["top_position"], *used]) + 1
    what = "is negative" if position < 0 else "is taken by another item"
    row.problem(f"position {position} {what}", f"position = {fixed} (after the last one)")
    return fixed


def register_content(row: Row, context: ImportContext) -> None:
    container = str(row.values["container_id"])
    position = row.values["position"]
    context.placed_items[row.values["item_instance_id"]] = container
    context.positions.setdefault(container, set()).add(position)
