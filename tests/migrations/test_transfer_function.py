"""Migration 4 adds the transfer_item function and its downgrade drops it, leaving the data;
the transfer statement takes further CTEs that read its change, in the same round trip."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from mud_persistence import AsyncPersistenceLayer, NotFoundError
from mud_persistence.repositories.schema import SchemaManager
from mud_persistence.repositories.transfer import TRANSFER, transfer_statement
from tests.conftest import settings_for

MIGRATION = "4_20261122070000_transfer_item_function.py"


async def has_function(url: str) -> bool:
    connection = await asyncpg.connect(url)
    try:
        return bool(
            await connection.fetchval(
                "SELECT EXISTS (SELECT FROM pg_proc WHERE proname = 'transfer_item')"
            )
        )
    finally:
        await connection.close()


async def test_migration_4_adds_the_function_and_its_downgrade_drops_it(fresh_database) -> None:
    url = await fresh_database()
    await AsyncPersistenceLayer(url).upgrade()
    async with AsyncPersistenceLayer(url) as layer:
        await layer.seed_item_prototypes()
        chest = await layer.create_container_data(
            "environment", room_id="hall", items=[{"item_id": "misc.coin.silver"}]
        )
    assert await has_function(url)

    dropped: list[str] = []
    while MIGRATION not in dropped:  # later migrations first
        dropped += await SchemaManager(settings_for(url)).downgrade_latest()
    assert not await has_function(url)

    assert (await AsyncPersistenceLayer(url).upgrade())[0] == MIGRATION
    assert await has_function(url)
    async with AsyncPersistenceLayer(url) as layer:
        kept = await layer.get_container_data(chest.container_id)  # the data stayed
        assert kept == chest


async def test_the_transfer_statement_takes_a_cte_reading_its_change_in_one_round_trip(
    persistence: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    await persistence.seed_item_prototypes()
    here = await persistence.create_container_data(
        "environment", room_id="hall", items=[{"item_id": "misc.coin.silver"}]
    )
    there = await persistence.create_container_data("environment", room_id="hall")
    coin = here.items[0].item_instance_id
    await raw.execute("CREATE TEMP TABLE noted (item text, source uuid, target uuid)")
    noting = (
        "noted_rows AS (INSERT INTO noted SELECT item_instance_id, from_container_id,"
        " to_container_id FROM change RETURNING 1)"
    )

    row = await raw.fetchrow(transfer_statement(noting), coin, here.container_id, there.container_id)

    assert (row["item_instance_id"], row["to_container_id"]) == (coin, there.container_id)
    assert [tuple(r) for r in await raw.fetch("SELECT * FROM noted")] == [
        (coin, here.container_id, there.container_id)
    ]
    moved = await persistence.get_container_data(there.container_id)
    assert moved is not None and [i.item_instance_id for i in moved.items] == [coin]


async def test_a_refused_transfer_writes_nothing_a_cte_would_have_written(
    persistence: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    there = await persistence.create_container_data("environment", room_id="hall")
    await raw.execute("CREATE TEMP TABLE noted (item text)")
    noting = "noted_rows AS (INSERT INTO noted SELECT item_instance_id FROM change RETURNING 1)"
    with pytest.raises(asyncpg.PostgresError) as refused:
        await raw.fetchrow(transfer_statement(noting), "nowhere", uuid.uuid4(), there.container_id)
    assert refused.value.sqlstate == "MPN01"
    assert await raw.fetchval("SELECT count(*) FROM noted") == 0
    assert TRANSFER == transfer_statement()
    with pytest.raises(NotFoundError):  # the layer names it
        await persistence.transfer_item(
            "nowhere", from_container_id=uuid.uuid4(), to_container_id=there.container_id
        )
