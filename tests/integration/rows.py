"""Raw-SQL row builders for tests that work below the ORM."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg


async def insert(raw: asyncpg.Connection, table: str, **values: Any) -> None:
    columns = ", ".join(values)
    params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    await raw.execute(f"INSERT INTO {table} ({columns}) VALUES ({params})", *values.values())


async def player(raw: asyncpg.Connection, name: str | None = None, **values: Any) -> uuid.UUID:
    player_id = uuid.uuid4()
    await insert(
        raw,
        "players",
        player_id=player_id,
        user_id=uuid.uuid4(),
        name=name or f"p{player_id.hex[:8]}",
        **values,
    )
    return player_id


async def prototype(raw: asyncpg.Connection, prototype_id: str = "lamp", **values: Any) -> str:
    await insert(
        raw, "item_prototypes", prototype_id=prototype_id, name="Lamp", item_type="tool", **values
    )
    return prototype_id


async def instance(raw: asyncpg.Connection, prototype_id: str = "lamp", **values: Any) -> str:
    item_id = f"item-{uuid.uuid4().hex[:12]}"
    await insert(
        raw,
        "item_instances",
        item_instance_id=item_id,
        prototype_id=prototype_id,
        owner_type=values.pop("owner_type", "room"),
        **values,
    )
    return item_id


async def container(raw: asyncpg.Connection, **values: Any) -> uuid.UUID:
    container_id = uuid.uuid4()
    values.setdefault("source_type", "environment")
    if values["source_type"] != "equipment":
        values.setdefault("room_id", "room_1")
    await insert(
        raw,
        "containers",
        container_id=container_id,
        capacity_slots=values.pop("capacity_slots", 8),
        **values,
    )
    return container_id
