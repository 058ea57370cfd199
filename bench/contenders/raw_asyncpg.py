"""Contender 2: hand-written SQL on an asyncpg pool, the same semantics: the limit."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from bench.contenders import sql
from mud_persistence.models.limits import COUNTER_MAX, MAX_EXPERIENCE
from mud_persistence.settings import PersistenceSettings

DP_FLOOR = PersistenceSettings().dp_floor  # as the facade: damage stops at -10 by default


class RawAsyncpgContender:
    name = "raw_asyncpg"

    def __init__(self, url: str, pool_size: int) -> None:
        self.url, self.pool_size = url, pool_size
        self.pool: asyncpg.Pool | None = None

    async def start(self) -> None:
        self.pool = await asyncpg.create_pool(
            self.url, min_size=self.pool_size, max_size=self.pool_size
        )

    async def stop(self) -> None:
        assert self.pool is not None
        await self.pool.close()

    async def get_player_by_id(self, player_id: uuid.UUID) -> Any:
        return await self.pool.fetchrow(sql.PLAYER_BY_ID, player_id)  # type: ignore[union-attr]

    async def get_player_by_name(self, name: str) -> Any:
        return await self.pool.fetchrow(sql.PLAYER_BY_NAME, name)  # type: ignore[union-attr]

    async def damage_player(self, player_id: uuid.UUID) -> Any:
        return await self.pool.fetchrow(sql.DAMAGE, player_id, DP_FLOOR, 1)  # type: ignore[union-attr]

    async def gain_experience(self, player_id: uuid.UUID) -> Any:
        return await self.pool.fetchrow(sql.GAIN_XP, player_id, 1, MAX_EXPERIENCE)  # type: ignore[union-attr]

    async def heal_player(self, player_id: uuid.UUID) -> Any:
        return await self.pool.fetchrow(sql.HEAL, player_id, DP_FLOOR, 1)  # type: ignore[union-attr]

    async def update_player_stat_field(self, player_id: uuid.UUID) -> Any:
        return await self.pool.fetchrow(sql.MAGIC_POINTS, player_id, 1, COUNTER_MAX)  # type: ignore[union-attr]

    async def save_player(self, player_id: uuid.UUID, old_room: str, new_room: str) -> None:
        status = await self.pool.execute(sql.SAVE_ROOM, new_room, player_id, old_room)  # type: ignore[union-attr]
        assert status == "UPDATE 1", status

    async def get_containers_by_room_id(self, room_id: str) -> Any:
        rows = await self.pool.fetch(sql.ROOM_CONTAINERS_JOINED, room_id)  # type: ignore[union-attr]
        containers: dict[uuid.UUID, list[Any]] = {}
        for row in rows:
            containers.setdefault(row["container_id"], []).append(row)
        return containers

    async def transfer_item(self, item_id: str, source: uuid.UUID, target: uuid.UUID) -> Any:
        async with self.pool.acquire() as connection, connection.transaction():  # type: ignore[union-attr]
            locked = await connection.fetch(sql.LOCK_CONTAINERS, [source, target])
            capacity = {row["container_id"]: row["capacity_slots"] for row in locked}
            if not await connection.fetchval(sql.ITEM_SLOT, source, item_id):
                raise LookupError(item_id)
            taken = {r["position"] for r in await connection.fetch(sql.TAKEN_POSITIONS, target)}
            if len(taken) >= capacity[target]:
                raise OverflowError(target)
            position = min(set(range(capacity[target])) - taken)
            await connection.execute(sql.MOVE_SLOT, target, position, item_id)
            await connection.execute(sql.HAND_OVER, str(target), item_id)
            await connection.execute(sql.TOUCH, [source, target])
