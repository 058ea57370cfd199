"""The layer under a misbehaving database: killed connections, exhausted pools, slow statements."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from mud_persistence import AsyncPersistenceLayer, DatabaseError, PersistenceSettings


async def layer_with(pg_url: str, **settings: object) -> AsyncPersistenceLayer:
    layer = AsyncPersistenceLayer(
        settings=PersistenceSettings(database_url=pg_url, **settings)  # type: ignore[arg-type]
    )
    await layer.connect()
    return layer


async def kill_backends(raw: asyncpg.Connection) -> int:
    return await raw.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )


@pytest.mark.usefixtures("cleanup")
async def test_killed_connections_under_load_surface_only_as_database_errors(
    pg_url: str, raw: asyncpg.Connection
) -> None:
    layer = await layer_with(pg_url, retry_base_delay=0.01, retry_attempts=4)
    player = await layer.create_player(name="Target", user_id=uuid.uuid4())

    async def killer() -> int:
        killed = 0
        for _ in range(4):
            await asyncio.sleep(0.05)
            killed += await kill_backends(raw)
        return killed

    results = await asyncio.gather(
        *(layer.gain_experience(player, 1) for _ in range(400)), killer(), return_exceptions=True
    )
    awards, killed = results[:-1], results[-1]
    failures = [r for r in awards if isinstance(r, BaseException)]
    successes = len(awards) - len(failures)
    assert isinstance(killed, int) and killed > 0
    assert all(isinstance(f, DatabaseError) for f in failures), {type(f) for f in failures}

    stored = await layer.get_player_by_id(player.player_id)  # recovers by itself
    assert stored is not None
    assert successes <= stored.experience_points <= successes + len(failures)
    await layer.gain_experience(player, 1)
    await layer.close()


@pytest.mark.usefixtures("cleanup")
async def test_an_exhausted_pool_is_a_clear_error_not_a_hang(
    pg_url: str, raw: asyncpg.Connection
) -> None:
    layer = await layer_with(pg_url, pool_min_size=1, pool_max_size=1, acquire_timeout=0.3)
    player = await layer.create_player(name="Held", user_id=uuid.uuid4())
    async with raw.transaction():
        await raw.execute("SELECT 1 FROM players WHERE player_id = $1 FOR UPDATE", player.player_id)
        blocked = asyncio.create_task(layer.damage_player(player, 1))  # holds the only connection
        await asyncio.sleep(0.1)
        with pytest.raises(DatabaseError, match=r"could not get a database connection within 0\.3"):
            await layer.get_player_by_id(player.player_id)
    assert await blocked == 19  # the lock is gone: the first call completes
    await layer.close()


@pytest.mark.usefixtures("cleanup")
async def test_a_statement_over_the_timeout_is_cancelled_with_a_clear_error(
    pg_url: str, raw: asyncpg.Connection
) -> None:
    layer = await layer_with(pg_url, statement_timeout=0.2)
    player = await layer.create_player(name="Slow", user_id=uuid.uuid4())
    async with raw.transaction():
        await raw.execute("SELECT 1 FROM players WHERE player_id = $1 FOR UPDATE", player.player_id)
        with pytest.raises(DatabaseError, match="statement timeout"):
            await layer.damage_player(player, 1)
    assert await layer.damage_player(player, 1) == 19  # nothing was written by the cancelled one
    await layer.close()
