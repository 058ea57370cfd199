"""Read replicas (``replica_urls``) on a real primary and streaming standby.

The standby's replay is paused (``pg_wal_replay_pause()``) to make it visibly stale: a row
written on the primary after the pause is missing there, which tells which server answered.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from mud_persistence import AsyncPersistenceLayer, PersistenceSettings
from mud_persistence.replicas import RETRY_DOWN_REPLICA_AFTER
from tests.cluster.servers import StreamingCluster, fetchval, free_port


@pytest.fixture
def streaming_cluster(healthy_standby: StreamingCluster) -> StreamingCluster:
    return healthy_standby


@pytest.fixture
async def database(streaming_cluster: StreamingCluster) -> str:
    return await streaming_cluster.create_database()


def replica_url(cluster: StreamingCluster, database: str) -> str:
    return cluster.standby.url_for(database.rsplit("/", 1)[1])


@pytest.fixture
async def routed(
    streaming_cluster: StreamingCluster, database: str
) -> AsyncIterator[AsyncPersistenceLayer]:
    settings = PersistenceSettings(
        database_url=database, replica_urls=[replica_url(streaming_cluster, database)]
    )
    async with AsyncPersistenceLayer(settings=settings) as layer:
        yield layer


async def pause_replay(cluster: StreamingCluster) -> None:
    await fetchval(cluster.standby.url, "SELECT pg_wal_replay_pause()")


async def resume_replay(cluster: StreamingCluster) -> None:
    await fetchval(cluster.standby.url, "SELECT pg_wal_replay_resume()")
    await cluster.wait_for_replay()


async def insert_behind_the_layers_back(database: str, name: str, room: str) -> uuid.UUID:
    """A player written by someone else: no layer under test knows to wait for it."""
    connection = await asyncpg.connect(database)
    try:
        player_id = uuid.uuid4()
        await connection.execute(
            "INSERT INTO players (player_id, user_id, name, current_room_id) "
            "VALUES ($1, $2, $3, $4)",
            player_id,
            uuid.uuid4(),
            name,
            room,
        )
        return player_id
    finally:
        await connection.close()


async def test_only_staleness_tolerant_reads_go_to_the_replica(
    streaming_cluster: StreamingCluster, database: str, routed: AsyncPersistenceLayer
) -> None:
    lobby = routed.settings.default_room_id  # a room of the world: loading leaves it alone
    await pause_replay(streaming_cluster)
    player_id = await insert_behind_the_layers_back(database, "Stranger", lobby)
    async with AsyncPersistenceLayer(database) as unrouted:
        # replica reads: the paused standby has not seen the row yet
        assert await routed.get_players_in_room(lobby) == []
        assert await routed.list_players() == []
        # reads of one player's state, and every read without replicas, use the primary
        assert await routed.get_player_by_id(player_id) is not None
        assert [p.name for p in await unrouted.get_players_in_room(lobby)] == ["Stranger"]
    # routing belongs to the layer: another layer connecting, or a migration run, changed nothing
    assert await routed.upgrade() == []
    assert await routed.get_players_in_room(lobby) == []
    await resume_replay(streaming_cluster)
    assert [p.name for p in await routed.get_players_in_room(lobby)] == ["Stranger"]


async def test_read_your_writes_with_replay_paused(
    streaming_cluster: StreamingCluster, database: str, routed: AsyncPersistenceLayer
) -> None:
    await pause_replay(streaming_cluster)
    settings = PersistenceSettings(
        database_url=database, replica_urls=[replica_url(streaming_cluster, database)]
    )
    async with AsyncPersistenceLayer(settings=settings) as bystander:
        misses = bystander_misses = 0
        for i in range(1000):
            room = f"room_{i}"
            await routed.create_player(
                name=f"Writer{i}", user_id=uuid.uuid4(), current_room_id=room
            )
            misses += len(await routed.get_players_in_room(room)) != 1
            bystander_misses += i % 100 == 0 and await bystander.get_players_in_room(room) == []
    assert misses == 0
    # the replica really was behind: a layer that did not write read stale rooms
    assert bystander_misses == 10
    await resume_replay(streaming_cluster)
    # caught up: this layer's reads go back to the replica (which now lags behind a row
    # nobody told the layer about)
    await pause_replay(streaming_cluster)
    await insert_behind_the_layers_back(database, "Late", "late_room")
    assert await routed.get_players_in_room("late_room") == []
    await resume_replay(streaming_cluster)


async def test_writes_and_transactions_stay_on_the_primary(
    streaming_cluster: StreamingCluster, routed: AsyncPersistenceLayer
) -> None:
    await pause_replay(streaming_cluster)
    await routed.seed_item_prototypes()
    player = await routed.create_player(name="Keeper", user_id=uuid.uuid4())
    container = await routed.create_container_data(
        "equipment", entity_id=player.player_id, items=[{"item_id": "weapon.knife.rusted"}]
    )
    assert len(container.items) == 1
    fetched = await routed.get_container_data(container.container_id)
    assert fetched is not None and len(fetched.items) == 1
    await resume_replay(streaming_cluster)


async def test_a_replica_that_is_down_falls_back_with_one_warning_per_outage(
    streaming_cluster: StreamingCluster,
    database: str,
    routed: AsyncPersistenceLayer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await routed.create_player(name="Watcher", user_id=uuid.uuid4(), current_room_id="hall")
    await streaming_cluster.wait_for_replay()
    caplog.set_level(logging.WARNING, logger="mud_persistence.replicas")

    def warnings(about: str) -> int:
        return sum(about in record.getMessage() for record in caplog.records)

    for outage in (1, 2):
        streaming_cluster.standby.stop("immediate")
        started = time.monotonic()
        while time.monotonic() - started < 2.5 * RETRY_DOWN_REPLICA_AFTER:
            assert [p.name for p in await routed.get_players_in_room("hall")] == ["Watcher"]
            assert len(await routed.get_professions()) >= 0
        assert warnings("is unreachable") == outage
        assert warnings(f"127.0.0.1:{streaming_cluster.standby.port}") >= outage  # names it
        streaming_cluster.standby.start()
        await streaming_cluster.wait_for_replay()
        await asyncio.sleep(RETRY_DOWN_REPLICA_AFTER)
        assert [p.name for p in await routed.get_players_in_room("hall")] == ["Watcher"]
        assert warnings("answers again after") == outage
    # and it is used again: stale once more when paused
    await pause_replay(streaming_cluster)
    await insert_behind_the_layers_back(database, "Ghost", "hall")
    assert [p.name for p in await routed.get_players_in_room("hall")] == ["Watcher"]
    await resume_replay(streaming_cluster)


async def test_several_replicas_one_down_from_the_start(
    streaming_cluster: StreamingCluster, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    name = database.rsplit("/", 1)[1]
    dead = f"postgres://postgres@127.0.0.1:{free_port()}/{name}"
    settings = PersistenceSettings(
        database_url=database, replica_urls=[dead, replica_url(streaming_cluster, database)]
    )
    caplog.set_level(logging.WARNING, logger="mud_persistence.replicas")
    async with AsyncPersistenceLayer(settings=settings) as layer:  # connects all the same
        await pause_replay(streaming_cluster)
        await insert_behind_the_layers_back(database, "Unseen", "cellar")
        for _ in range(10):  # both replicas in turn: the live one answers, stale
            assert await layer.get_players_in_room("cellar") == []
    unreachable = [r for r in caplog.records if "is unreachable" in r.getMessage()]
    assert len(unreachable) == 1 and dead.split("@")[1].split("/")[0] in unreachable[0].getMessage()
    await resume_replay(streaming_cluster)
