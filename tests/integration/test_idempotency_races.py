"""Two calls with one idempotency key at the same time, on separate connections of separate
layers (two game processes): the second waits for the first, then repeats its result; if the
first rolls back instead, the second applies the change itself."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest

from mud_persistence import AsyncPersistenceLayer, DatabaseError, PersistenceSettings, Player
from mud_persistence.schemas.progress import XPAward


@pytest.fixture
async def two_layers(pg_url: str, cleanup: None) -> AsyncIterator[list[AsyncPersistenceLayer]]:
    layers = [
        AsyncPersistenceLayer(settings=PersistenceSettings(database_url=pg_url, retry_attempts=1))
        for _ in range(2)
    ]
    for layer in layers:
        await layer.connect()
    yield layers
    for layer in layers:
        await layer.close()


async def locked(raw: asyncpg.Connection, player: Player) -> asyncpg.transaction.Transaction:
    """Lock the player's row from outside the layer, so that a change of it waits."""
    transaction = raw.transaction()
    await transaction.start()
    await raw.execute("SELECT 1 FROM players WHERE player_id = $1 FOR UPDATE", player.player_uuid)
    return transaction


async def waiting_on_lock(raw: asyncpg.Connection, count: int) -> None:
    """Until ``count`` backends of this database wait for a lock."""
    for _ in range(200):
        waiting = await raw.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'"
        )
        if waiting >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{count} backends never waited on a lock")


@dataclass
class Race:
    player: Player
    blocker: asyncpg.Connection
    hold: asyncpg.transaction.Transaction
    first: asyncio.Task[XPAward]
    second: asyncio.Task[XPAward]

    async def release(self) -> None:
        await self.hold.rollback()
        await self.blocker.close()

    async def stored_xp(self, raw: asyncpg.Connection) -> int:
        return int(
            await raw.fetchval(
                "SELECT experience_points FROM players WHERE player_id = $1",
                self.player.player_uuid,
            )
        )


async def race(layers: list[AsyncPersistenceLayer], raw: asyncpg.Connection, url: str) -> Race:
    """The first layer's keyed award holds its key and waits for a locked row; the second
    layer's award with the same key waits for the key."""
    player = await layers[0].create_player(name="Raced", user_id=uuid.uuid4())
    blocker = await asyncpg.connect(url)
    hold = await locked(blocker, player)
    first = asyncio.create_task(layers[0].gain_experience(player, 10, idempotency_key="boss"))
    await waiting_on_lock(raw, 1)
    second = asyncio.create_task(layers[1].gain_experience(player, 10, idempotency_key="boss"))
    await waiting_on_lock(raw, 2)
    assert not first.done() and not second.done()
    return Race(player, blocker, hold, first, second)


async def test_the_second_call_waits_for_the_first_and_repeats_its_result(
    two_layers: list[AsyncPersistenceLayer], raw: asyncpg.Connection, pg_url: str
) -> None:
    raced = await race(two_layers, raw, pg_url)
    await raced.release()
    assert await raced.first == await raced.second
    assert (await raced.first).new_xp == 10
    assert await raced.stored_xp(raw) == 10


async def test_when_the_first_call_rolls_back_the_second_applies_the_change(
    two_layers: list[AsyncPersistenceLayer], raw: asyncpg.Connection, pg_url: str
) -> None:
    raced = await race(two_layers, raw, pg_url)
    # the first call's backend dies while it holds the key: its transaction rolls back
    killed = await raw.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname ="
        " current_database() AND wait_event_type = 'Lock'"
        " AND query NOT LIKE '%idempotency_keys%'"
    )
    assert killed == 1
    with pytest.raises(DatabaseError):
        await raced.first
    await raced.release()
    assert (await raced.second).new_xp == 10
    assert await raced.stored_xp(raw) == 10
    assert await raw.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = 'boss'") == 1


async def test_an_expiry_sweep_spares_a_key_a_new_call_took_over_while_it_waited(
    two_layers: list[AsyncPersistenceLayer], raw: asyncpg.Connection, pg_url: str
) -> None:
    player = await two_layers[0].create_player(name="Swept", user_id=uuid.uuid4())
    await raw.execute(
        "INSERT INTO idempotency_keys (key, method, fingerprint, result, created_at, expires_at)"
        " VALUES ('daily', 'gain_experience', 'old', '1', now() - interval '2 days',"
        " now() - interval '1 day')"
    )
    blocker = await asyncpg.connect(pg_url)
    hold = await locked(blocker, player)
    # the new call takes the expired key over, then waits for the player's row
    award = asyncio.create_task(two_layers[0].gain_experience(player, 10, idempotency_key="daily"))
    await waiting_on_lock(raw, 1)
    # another process's sweep finds the key expired and waits for the new call's lock on it
    sweep = asyncio.create_task(two_layers[1]._idempotency.delete_expired())
    await waiting_on_lock(raw, 2)
    await hold.rollback()
    await blocker.close()
    assert (await award).new_xp == 10
    assert await sweep == 0  # the key it found expired is live again
    assert await raw.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = 'daily'") == 1
    again = await two_layers[0].gain_experience(player, 10, idempotency_key="daily")
    assert again.new_xp == 10
    xp = await raw.fetchval(
        "SELECT experience_points FROM players WHERE player_id = $1", player.player_uuid
    )
    assert xp == 10
