"""Reading containers with their items: on PostgreSQL one statement, whose JSON result is
validated in one call; elsewhere two queries. Either way, however many containers and items."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import from_json
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import QuerySet, ValuesQuery

from mud_persistence.models import Container, ContainerContent
from mud_persistence.schemas.container import (
    DEFAULT_SLOT_TYPE,
    ContainerData,
    ContainerItem,
    as_plain,
)
from mud_persistence.schemas.validation import as_uuid, check_text, check_time

CONTAINER_COLUMNS = tuple(name for name in ContainerData.model_fields if name != "items")
ITEM_COLUMNS = {
    "item_instance_id": "item_instance__item_instance_id",
    "item_id": "item_instance__prototype__prototype_id",
    "prototype_name": "item_instance__prototype__name",
    "custom_name": "item_instance__custom_name",
    "quantity": "item_instance__quantity",
    "condition": "item_instance__condition",
    "metadata": "item_instance__metadata",
}
CONTAINER_LIST = TypeAdapter(list[ContainerData])


def _utc(column: str) -> str:
    """A timestamptz as ``datetime.isoformat()`` writes it in UTC, whatever the session's time
    zone: microseconds only when there are some, and ``+00:00``."""
    utc = f"{column} AT TIME ZONE 'UTC'"
    return (
        f"""to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS') || CASE to_char({utc}, 'US')"""
        f" WHEN '000000' THEN '' ELSE to_char({utc}, '.US') END || '+00:00'"
    )


# As JSON: ITEM_JSON, one item of a container, from its content row ``cc``, item instance ``i``
# and prototype ``pr``; CONTAINER_JSON, one ContainerData, from the container row ``c`` and its
# row of ``listed`` (Selection.sql; none when it holds no items). The transfer function of
# migration 4 renders its result the same way (tests compare the two).
ITEM_JSON = f"""json_build_object(
    'item_instance_id', i.item_instance_id, 'item_id', i.prototype_id,
    'item_name', COALESCE(NULLIF(i.custom_name, ''), pr.name), 'quantity', i.quantity,
    'condition', i.condition, 'position', cc.position, 'metadata', i.metadata,
    'slot_type', COALESCE(i.metadata -> 'slot_type', to_jsonb('{DEFAULT_SLOT_TYPE}'::text)))"""
CONTAINER_JSON = f"""json_build_object(
    'container_id', c.container_id, 'source_type', c.source_type, 'owner_id', c.owner_id,
    'room_id', c.room_id, 'entity_id', c.entity_id, 'lock_state', c.lock_state,
    'capacity_slots', c.capacity_slots, 'weight_limit', c.weight_limit,
    'decay_at', {_utc("c.decay_at")}, 'allowed_roles', c.allowed_roles, 'metadata', c.metadata,
    'container_item_instance_id', c.container_item_instance_id,
    'created_at', {_utc("c.created_at")}, 'updated_at', {_utc("c.updated_at")},
    'items', COALESCE(listed.items, '[]'::json))"""


@dataclass(frozen=True)
class Selection:
    """Which containers a listing returns, in which order: as SQL on the row ``c`` with one
    parameter ($1), and as the Tortoise query the portable path runs."""

    where: str
    order: str
    queryset: Callable[[Any], QuerySet[Container]]

    @property
    def sql(self) -> str:
        """The listing: the items of all the chosen containers joined and aggregated once
        (``listed``, MATERIALIZED so that the planner cannot run it again for each container),
        then each container with its row of ``listed``. A subquery per container aggregated
        each one's items apart, scanning the whole item_instances table for each (on a small
        table a scan beats the index, and a cached plan goes on scanning it as updates bloat
        it). `make bench`'s scale case (10,000 items in 500 containers, tables just loaded)
        took 618 ms that way, 86-89 ms this way."""
        return (
            "WITH listed AS MATERIALIZED (SELECT cc.container_id,"
            f" json_agg({ITEM_JSON} ORDER BY cc.position) AS items"
            " FROM containers c"
            " JOIN container_contents cc ON cc.container_id = c.container_id"
            " JOIN item_instances i ON i.item_instance_id = cc.item_instance_id"
            " JOIN item_prototypes pr ON pr.prototype_id = i.prototype_id"
            f" WHERE {self.where} GROUP BY cc.container_id)"
            f" SELECT COALESCE(json_agg({CONTAINER_JSON} ORDER BY {self.order}), '[]'::json)"
            " FROM containers c LEFT JOIN listed ON listed.container_id = c.container_id"
            f" WHERE {self.where}"
        )


BY_ID = Selection(
    "c.container_id = $1", "c.container_id", lambda key: Container.filter(container_id=key)
)
IN_ROOM = Selection(
    "c.room_id = $1",
    "c.created_at, c.container_id",
    lambda key: Container.filter(room_id=key).order_by("created_at", "container_id"),
)
OF_ENTITY = Selection(
    "c.entity_id = $1",
    "c.created_at, c.container_id",
    lambda key: Container.filter(entity_id=key).order_by("created_at", "container_id"),
)
DECAYED = Selection(
    "c.decay_at < $1",
    "c.decay_at, c.container_id",
    lambda key: Container.filter(decay_at__lt=key).order_by("decay_at", "container_id"),
)
# the statements, built once
LISTINGS = {selection: selection.sql for selection in (BY_ID, IN_ROOM, OF_ENTITY, DECAYED)}


class ContainerReads:
    """The container repository's reads: ContainerData, or JSON values for the old dicts."""

    async def get(self, container_id: uuid.UUID | str) -> ContainerData | None:
        found = await select_containers(BY_ID, as_uuid(container_id, field="container_id"))
        return found[0] if found else None

    async def in_room(self, room_id: str) -> list[ContainerData]:
        return await select_containers(IN_ROOM, check_text(room_id, field="room_id"))

    async def of_entity(self, entity_id: uuid.UUID | str) -> list[ContainerData]:
        return await select_containers(OF_ENTITY, as_uuid(entity_id, field="entity_id"))

    async def decayed(self, current_time: datetime | None) -> list[ContainerData]:
        return await select_containers(DECAYED, decay_cutoff(current_time))

    # The same reads as JSON values (as_plain's shape), for the old dict shapes.

    async def get_plain(self, container_id: uuid.UUID | str) -> dict[str, Any] | None:
        found = await select_plain(BY_ID, as_uuid(container_id, field="container_id"))
        return found[0] if found else None

    async def in_room_plain(self, room_id: str) -> list[dict[str, Any]]:
        return await select_plain(IN_ROOM, check_text(room_id, field="room_id"))

    async def of_entity_plain(self, entity_id: uuid.UUID | str) -> list[dict[str, Any]]:
        return await select_plain(OF_ENTITY, as_uuid(entity_id, field="entity_id"))

    async def decayed_plain(self, current_time: datetime | None) -> list[dict[str, Any]]:
        return await select_plain(DECAYED, decay_cutoff(current_time))


def decay_cutoff(current_time: datetime | None) -> datetime:
    return check_time(current_time, field="current_time") or datetime.now(UTC)


async def select_containers(
    selection: Selection, key: uuid.UUID | str | datetime
) -> list[ContainerData]:
    """The containers ``selection`` finds for ``key``, with their items, in its order: one
    statement on PostgreSQL (the database builds the JSON, pydantic validates it in one call:
    a quarter of the client time of building rows, on 20 containers x 5 items), two elsewhere."""
    db = Container._meta.db
    if db.capabilities.dialect != "postgres":
        return await with_items(selection.queryset(key))
    return CONTAINER_LIST.validate_json(await _listing_json(db, selection, key))


async def select_plain(
    selection: Selection, key: uuid.UUID | str | datetime
) -> list[dict[str, Any]]:
    """As select_containers, as JSON values (``as_plain``'s shape), not validated: for the old
    dict shapes, which the database's JSON gives as is (half the client time of validating it
    first, on 20 containers x 5 items)."""
    db = Container._meta.db
    if db.capabilities.dialect != "postgres":
        return [as_plain(found) for found in await with_items(selection.queryset(key))]
    return from_json(await _listing_json(db, selection, key))  # type: ignore[no-any-return]


async def _listing_json(db: BaseDBAsyncClient, selection: Selection, key: object) -> str:
    _, rows = await db.execute_query(LISTINGS[selection], [key])
    return str(rows[0][0])


async def with_items(containers: QuerySet[Container]) -> list[ContainerData]:
    """ContainerData for each container the query finds, in its order, in two queries.

    Rows are read as plain values: building models for every item and its prototype cost ten
    times the query itself (profiled on get_containers_by_room_id, 20 containers x 5 items).
    """
    rows = await plain_rows(containers.values(*CONTAINER_COLUMNS), ("allowed_roles", "metadata"))
    if not rows:
        return []
    ids = [row["container_id"] for row in rows]
    items: dict[Any, list[ContainerItem]] = {container_id: [] for container_id in ids}
    contents = (
        ContainerContent.filter(container_id__in=ids)
        .order_by("position")
        .values("container_id", "position", **ITEM_COLUMNS)
    )
    for content in await plain_rows(contents, ("metadata",)):
        items[content["container_id"]].append(as_item(content))
    return [ContainerData(**row, items=items[row["container_id"]]) for row in rows]


async def plain_rows(
    query: ValuesQuery[Any], json_columns: tuple[str, ...]
) -> list[dict[str, Any]]:
    """The rows of a Tortoise values() query, as the driver returns them, JSON decoded.

    Tortoise's own conversion of each value doubled the time of these reads (timed alone on
    20 containers x 5 items: 0.86 -> 0.42 ms and 1.78 -> 0.74 ms per query; the listing in
    `make bench` went from 285 to 375 operations per second). ContainerData validates the
    rows instead.
    """
    query._choose_db_if_not_chosen()
    query._make_query()
    sql, params = query.query.get_parameterized_sql()
    rows = await query._db.execute_query_dict(sql, list(params))
    for row in rows:
        for column in json_columns:
            if isinstance(row[column], str | bytes):
                row[column] = json.loads(row[column])
    return rows


def as_item(row: dict[str, Any]) -> ContainerItem:
    metadata = row["metadata"]
    return ContainerItem(
        item_instance_id=row["item_instance_id"],
        item_id=row["item_id"],
        item_name=row["custom_name"] or row["prototype_name"],
        quantity=row["quantity"],
        condition=row["condition"],
        position=row["position"],
        metadata=metadata,
        slot_type=metadata.get("slot_type", DEFAULT_SLOT_TYPE),
    )
