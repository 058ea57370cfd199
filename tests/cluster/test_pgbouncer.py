"""The layer through PgBouncer in transaction mode (``pool_mode="transaction"``).

The contract suite runs through PgBouncer too (the ``pgbouncer`` parameter of
``contract_persistence`` in tests/conftest.py); these tests cover what it cannot see: the
statement timeout, many tasks sharing few server connections, and no batching of calls.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from mud_persistence import AsyncPersistenceLayer, PersistenceSettings
from mud_persistence.errors import DatabaseError
from tests.cluster.servers import PgBouncer, StreamingCluster
from tests.integration.one_connection import sent_while_busy


@pytest.fixture
async def bounced_layer(
    shared_cluster: StreamingCluster, pgbouncer: PgBouncer
) -> AsyncIterator[AsyncPersistenceLayer]:
    direct = await shared_cluster.create_database()
    url = pgbouncer.url_for(direct.rsplit("/", 1)[1])
    settings = PersistenceSettings(
        database_url=url, pool_mode="transaction", statement_timeout=0.5, pool_max_size=10
    )
    async with AsyncPersistenceLayer(settings=settings) as layer:
        yield layer


async def test_statement_timeout_is_enforced_through_pgbouncer(
    bounced_layer: AsyncPersistenceLayer,
) -> None:
    with bounced_layer._database.bound():
        client = connections.get(bounced_layer.settings.connection_name)
        _, rows = await client.execute_query("SHOW statement_timeout")
        assert rows[0]["statement_timeout"] == "500ms"
        with pytest.raises(Exception, match="statement timeout"):
            await client.execute_query("SELECT pg_sleep(3)")
        async with in_transaction(bounced_layer.settings.connection_name) as transaction:
            _, rows = await transaction.execute_query("SHOW statement_timeout")
            assert rows[0]["statement_timeout"] == "500ms"
        with pytest.raises(Exception, match="statement timeout"):
            async with in_transaction(bounced_layer.settings.connection_name) as transaction:
                await transaction.execute_query("SELECT pg_sleep(3)")


async def test_the_timeout_is_not_a_startup_parameter(
    shared_cluster: StreamingCluster, pgbouncer: PgBouncer
) -> None:
    """What pool_mode="transaction" avoids: PgBouncer refuses the session-mode startup."""
    direct = await shared_cluster.create_database()
    url = pgbouncer.url_for(direct.rsplit("/", 1)[1])
    with pytest.raises(DatabaseError, match="statement_timeout"):
        await AsyncPersistenceLayer(settings=PersistenceSettings(database_url=url)).connect()


async def test_many_tasks_share_pgbouncer_without_prepared_statement_errors(
    bounced_layer: AsyncPersistenceLayer,
) -> None:
    players = [
        await bounced_layer.create_player(name=f"Bounce{i}", user_id=uuid.uuid4())
        for i in range(20)
    ]

    async def play(index: int) -> None:
        player = players[index]
        for _ in range(40):
            await bounced_layer.gain_experience(player, 1)
            assert await bounced_layer.get_player_by_id(player.player_id) is not None
            await bounced_layer.get_players_in_room(player.current_room_id)

    await asyncio.gather(*(play(i) for i in range(20)))
    totals = [p.experience_points for p in await bounced_layer.list_players()]
    assert totals == [40] * 20


async def test_subscribers_behind_pgbouncer_listen_on_listen_url(
    shared_cluster: StreamingCluster, pgbouncer: PgBouncer
) -> None:
    """PgBouncer's transaction mode cannot keep a LISTEN: with ``listen_url`` pointing at the
    server itself, a NOTIFY wakes a subscriber at once (no poll would within 30 s here);
    without it, the layer does not LISTEN through PgBouncer and its subscribers poll."""
    direct = await shared_cluster.create_database()
    url = pgbouncer.url_for(direct.rsplit("/", 1)[1])
    slow = {
        "outbox_relay_interval": 30.0,
        "outbox_poll_interval": 30.0,
        "outbox_orphan_grace": 60.0,
    }
    listening = PersistenceSettings(
        database_url=url, pool_mode="transaction", listen_url=direct, **slow
    )
    received: list[object] = []
    arrived = asyncio.Event()

    def on_event(event: object) -> None:
        received.append(event)
        arrived.set()

    async with (
        AsyncPersistenceLayer(settings=listening) as reader,
        AsyncPersistenceLayer(
            settings=PersistenceSettings(database_url=url, pool_mode="transaction")
        ) as writer,
    ):
        await asyncio.sleep(0.5)  # the LISTEN connection opens in the background
        assert reader._outbox._listening
        assert writer._outbox._listen_url is None  # no LISTEN through PgBouncer
        subscription = await reader.subscribe(on_event)
        player = await writer.create_player(name="Bounced", user_id=uuid.uuid4())
        await writer.damage_player(player, 1)
        async with asyncio.timeout(10):  # a poll would take 30 s
            await arrived.wait()
        await subscription.close()
    assert [type(event).__name__ for event in received] == ["PlayerDPUpdated"]


async def test_calls_waiting_for_a_connection_are_not_batched_in_transaction_mode(
    shared_cluster: StreamingCluster, pgbouncer: PgBouncer
) -> None:
    """Batching (mud_persistence.batching) sends a statement outside a transaction, which
    transaction mode needs for its statement timeout: there, every call runs alone."""
    direct = await shared_cluster.create_database()
    url = pgbouncer.url_for(direct.rsplit("/", 1)[1])
    settings = PersistenceSettings(
        database_url=url, pool_mode="transaction", pool_min_size=1, pool_max_size=1, outbox=False
    )
    async with AsyncPersistenceLayer(settings=settings) as layer:
        ann = await layer.create_player(name="Ann", user_id=uuid.uuid4())
        results, statements = await sent_while_busy(
            layer,
            layer.damage_player(ann, 1),
            layer.heal_player(ann, 1),
            layer.get_player_by_id(ann.player_id),
        )

    assert results[:2] == [19, 20]
    assert results[2] is not None and results[2].name == "Ann"
    assert statements and not any("unnest" in sql for sql in statements)
