"""Row locks on PostgreSQL take their keys as one array parameter: locking 1 row or 3 is the same
statement (one prepared statement, not one per list length), and still locks in key order."""

from __future__ import annotations

import uuid

import pytest
from tortoise.transactions import in_transaction

from mud_persistence import AsyncPersistenceLayer, NotFoundError
from mud_persistence.repositories.locking import lock_containers, lock_items
from tests.query_counter import counting_queries


async def test_locking_any_number_of_rows_is_one_statement_text(
    persistence: AsyncPersistenceLayer,
) -> None:
    await persistence.seed_item_prototypes()
    chests = [
        await persistence.create_container_data(
            "environment", room_id="hall", items=[{"item_id": "misc.coin.silver"}]
        )
        for _ in range(3)
    ]
    ids = [chest.container_id for chest in chests]
    items = [chest.items[0].item_instance_id for chest in chests]
    with persistence._database.bound():
        async with in_transaction():
            with counting_queries() as queries:
                one = await lock_containers(ids[:1])
                three = await lock_containers(reversed(ids))
                some_items = await lock_items([*items, "no-such-item"])
                one_item = await lock_items(items[:1])
            with pytest.raises(NotFoundError):
                await lock_containers([*ids, uuid.uuid4()])
    assert queries.count == 4
    assert queries.statements[0] == queries.statements[1]
    assert queries.statements[2] == queries.statements[3]
    assert "ANY" in queries.statements[0] and "ANY" in queries.statements[2]
    assert [c.container_id for c in one] == ids[:1]
    assert [c.container_id for c in three] == sorted(ids)
    assert [i.item_instance_id for i in some_items] == sorted(items)
    assert [i.item_instance_id for i in one_item] == items[:1]
    assert three[0].room_id == "hall" and isinstance(three[0].metadata, dict)  # full models
