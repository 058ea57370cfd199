"""Contender 4: the layer we replace: psycopg2 in asyncio.to_thread, a new connection per call,
one query per container for its items."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from urllib.parse import urlsplit

import psycopg2
import psycopg2.extras

from bench.contenders import sql
from mud_persistence.models.limits import COUNTER_MAX, MAX_EXPERIENCE
from mud_persistence.settings import PersistenceSettings

psycopg2.extras.register_uuid()
DP_FLOOR = PersistenceSettings().dp_floor  # as the facade: damage stops at -10 by default
Q = {name: sql.for_psycopg2(text) for name, text in vars(sql).items() if name.isupper()}


class LegacyPsycopg2Contender:
    name = "legacy_psycopg2"

    def __init__(self, url: str, pool_size: int) -> None:
        parts = urlsplit(url)
        self.dsn = (
            f"dbname={parts.path.lstrip('/')} user={parts.username or 'postgres'}"
            f" host={parts.hostname or '/tmp'} port={parts.port or 5432}"
        )

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def _run(self, work: Any) -> Any:
        connection = psycopg2.connect(self.dsn)
        try:
            with connection, connection.cursor(cursor_factory=psycopg2.extras.DictCursor) as cur:
                return work(cur)
        finally:
            connection.close()

    async def _call(self, query: str, *params: Any, fetch: str = "one") -> Any:
        def work(cur: Any) -> Any:
            cur.execute(Q[query], params)
            return cur.fetchone() if fetch == "one" else cur.rowcount

        return await asyncio.to_thread(self._run, work)

    async def get_player_by_id(self, player_id: uuid.UUID) -> Any:
        return await self._call("PLAYER_BY_ID", player_id)

    async def get_player_by_name(self, name: str) -> Any:
        return await self._call("PLAYER_BY_NAME", name)

    async def damage_player(self, player_id: uuid.UUID) -> Any:
        return await self._call("DAMAGE", player_id, DP_FLOOR, 1)

    async def gain_experience(self, player_id: uuid.UUID) -> Any:
        return await self._call("GAIN_XP", player_id, 1, MAX_EXPERIENCE)

    async def heal_player(self, player_id: uuid.UUID) -> Any:
        return await self._call("HEAL", player_id, DP_FLOOR, 1)

    async def update_player_stat_field(self, player_id: uuid.UUID) -> Any:
        return await self._call("MAGIC_POINTS", player_id, 1, COUNTER_MAX)

    async def save_player(self, player_id: uuid.UUID, old_room: str, new_room: str) -> None:
        updated = await self._call("SAVE_ROOM", new_room, player_id, old_room, fetch="count")
        assert updated == 1

    async def get_containers_by_room_id(self, room_id: str) -> Any:
        def work(cur: Any) -> Any:
            cur.execute(Q["ROOM_CONTAINERS"], (room_id,))
            listing = []
            for container in cur.fetchall():  # the old layer's N+1
                cur.execute(Q["CONTAINER_ITEMS"], (container["container_id"],))
                listing.append((container, cur.fetchall()))
            return listing

        return await asyncio.to_thread(self._run, work)

    async def transfer_item(self, item_id: str, source: uuid.UUID, target: uuid.UUID) -> Any:
        def work(cur: Any) -> None:
            cur.execute(Q["LOCK_CONTAINERS"], ([source, target],))
            capacity = {row["container_id"]: row["capacity_slots"] for row in cur.fetchall()}
            cur.execute(Q["ITEM_SLOT"], (source, item_id))
            if cur.fetchone() is None:
                raise LookupError(item_id)
            cur.execute(Q["TAKEN_POSITIONS"], (target,))
            taken = {row["position"] for row in cur.fetchall()}
            position = min(set(range(capacity[target])) - taken)
            cur.execute(Q["MOVE_SLOT"], (target, position, item_id))
            cur.execute(Q["HAND_OVER"], (str(target), item_id))
            cur.execute(Q["TOUCH"], ([source, target],))

        return await asyncio.to_thread(self._run, work)
