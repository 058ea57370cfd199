"""Transient failures: the facade recovers from dropped connections by itself."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from mud_persistence import AsyncPersistenceLayer


async def terminate_other_backends(raw: asyncpg.Connection) -> int:
    return await raw.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )


async def test_the_layer_recovers_after_its_connections_are_killed(
    persistence: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    player = await persistence.create_player(name="Survivor", user_id=uuid.uuid4())
    for _ in range(3):
        assert await terminate_other_backends(raw) >= 1
        await asyncio.sleep(0.05)
        found = await persistence.get_player_by_id(player.player_id)
        assert found is not None
        found.current_room_id = f"room_{uuid.uuid4().hex[:6]}"
        await persistence.save_player(found)
