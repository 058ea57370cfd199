"""Containers under real concurrency on PostgreSQL: nothing duplicated, lost or over capacity."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections import Counter

import asyncpg
import pytest

from mud_persistence import (
    AsyncPersistenceLayer,
    CapacityError,
    ConflictError,
    ValidationError,
)
from mud_persistence.schemas.container import ContainerData
from tests.query_counter import counting_queries

ITEM_KINDS = ["weapon.knife.rusted", "consumable.bandage", "misc.coin.silver", "ammo.38.box"]


@pytest.fixture
async def world(persistence: AsyncPersistenceLayer) -> AsyncPersistenceLayer:
    await persistence.seed_item_prototypes()
    return persistence


async def corpse_with(layer: AsyncPersistenceLayer, count: int) -> ContainerData:
    items = [{"item_id": random.choice(ITEM_KINDS)} for _ in range(count)]
    return await layer.create_container_data("corpse", room_id="crypt", items=items)


async def equipment(layer: AsyncPersistenceLayer, capacity: int) -> ContainerData:
    player = await layer.create_player(name=f"p{uuid.uuid4().hex[:10]}", user_id=uuid.uuid4())
    return await layer.create_container_data(
        "equipment", entity_id=player.player_id, capacity_slots=capacity
    )


async def placements(raw: asyncpg.Connection) -> dict[str, list[uuid.UUID]]:
    """Every item instance id -> the containers holding it (by contents row and by owner)."""
    rows = await raw.fetch(
        "SELECT i.item_instance_id, c.container_id, i.owner_id FROM item_instances i"
        " LEFT JOIN container_contents c USING (item_instance_id)"
    )
    held: dict[str, list[uuid.UUID]] = {}
    for row in rows:
        held.setdefault(row["item_instance_id"], [])
        if row["container_id"] is not None:
            held[row["item_instance_id"]].append(row["container_id"])
            assert row["owner_id"] == str(row["container_id"]), "owner disagrees with contents"
    return held


async def test_ten_players_looting_one_corpse_conserve_every_item(
    world: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    corpse = await corpse_with(world, 20)
    packs = [await equipment(world, random.randint(1, 4)) for _ in range(10)]
    item_ids = [item.item_instance_id for item in corpse.items]

    async def loot(pack: ContainerData) -> None:
        for item_id in random.sample(item_ids, len(item_ids)):
            try:
                await world.transfer_item(
                    item_id,
                    from_container_id=corpse.container_id,
                    to_container_id=pack.container_id,
                )
            except (ConflictError, CapacityError):
                continue  # someone else took it, or this pack is full

    await asyncio.gather(*(loot(pack) for pack in packs))

    held = await placements(raw)
    assert sorted(held) == sorted(item_ids)
    assert all(len(containers) == 1 for containers in held.values())
    counts = Counter(containers[0] for containers in held.values())
    for pack in packs:
        assert counts[pack.container_id] <= pack.capacity_slots
    capacity = sum(pack.capacity_slots for pack in packs)
    assert counts[corpse.container_id] == max(0, 20 - capacity)


async def test_of_eight_transfers_of_one_item_exactly_one_succeeds(
    world: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    corpse = await corpse_with(world, 1)
    packs = [await equipment(world, 5) for _ in range(8)]
    item_id = corpse.items[0].item_instance_id

    results = await asyncio.gather(
        *(
            world.transfer_item(
                item_id, from_container_id=corpse.container_id, to_container_id=p.container_id
            )
            for p in packs
        ),
        return_exceptions=True,
    )

    succeeded = [r for r in results if isinstance(r, ContainerData)]
    assert len(succeeded) == 1
    assert all(isinstance(r, ConflictError) for r in results if r not in succeeded)
    assert (await placements(raw))[item_id] == [succeeded[0].container_id]


async def test_two_hundred_opposite_transfers_neither_deadlock_nor_lose_items(
    world: AsyncPersistenceLayer, raw: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    left = await world.create_container_data(
        "environment",
        room_id="vault",
        capacity_slots=20,
        items=[{"item_id": "misc.coin.silver"}] * 10,
    )
    right = await world.create_container_data(
        "environment",
        room_id="vault",
        capacity_slots=20,
        items=[{"item_id": "consumable.bandage"}] * 10,
    )
    sides = {left.container_id: right.container_id, right.container_id: left.container_id}
    items = [(i.item_instance_id, left.container_id) for i in left.items] + [
        (i.item_instance_id, right.container_id) for i in right.items
    ]

    async def shuttle(item_id: str, source: uuid.UUID) -> str:
        try:
            await world.transfer_item(
                item_id, from_container_id=source, to_container_id=sides[source]
            )
        except ConflictError:
            return "moved by another task first"
        return "moved"

    with caplog.at_level(logging.WARNING, logger="mud_persistence.retry"):
        outcomes = await asyncio.gather(
            *(shuttle(*random.choice(items)) for _ in range(200)), return_exceptions=True
        )

    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert "moved" in outcomes
    held = await placements(raw)
    assert sorted(held) == sorted(item_id for item_id, _ in items)
    assert all(len(containers) == 1 for containers in held.values())
    assert "Deadlock" not in caplog.text  # a deadlock would have been retried, and logged


async def test_concurrent_adds_fill_exactly_the_free_slots(
    world: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    box = await world.create_container_data(
        "environment",
        room_id="attic",
        capacity_slots=5,
        items=[{"item_id": "consumable.bandage"}] * 2,
    )
    loose = [f"loose-{n}" for n in range(12)]
    for item_id in loose:
        await world.create_item_instance(item_id, "misc.coin.silver", owner_id="attic")

    results = await asyncio.gather(
        *(world.add_item_to_container(box.container_id, item_id) for item_id in loose),
        return_exceptions=True,
    )

    assert sum(isinstance(r, ContainerData) for r in results) == 3
    assert sum(isinstance(r, CapacityError) for r in results) == 9
    stored = await world.get_container_data(box.container_id)
    assert stored is not None and len(stored.items) == 5
    assert sorted(item.position for item in stored.items) == [0, 1, 2, 3, 4]


async def test_listing_a_room_takes_the_same_queries_for_2_or_25_containers(
    world: AsyncPersistenceLayer,
) -> None:
    counts = {}
    for room, size in [("small_room", 2), ("big_room", 25)]:
        for _ in range(size):
            await world.create_container_data(
                "environment", room_id=room, items=[{"item_id": "consumable.bandage"}] * 3
            )
        with counting_queries() as queries:
            listed = await world.get_container_data_by_room_id(room)
        counts[size] = queries.count
        assert len(listed) == size and all(len(c.items) == 3 for c in listed)
    assert counts[2] == counts[25] == 1


async def test_a_failure_half_way_through_update_container_changes_nothing(
    world: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    box = await corpse_with(world, 3)
    other = await corpse_with(world, 1)
    before = await placements(raw)
    valid = [{"item_id": "consumable.bandage"}, {"item_id": "misc.coin.silver", "quantity": 5}]

    with pytest.raises(ValidationError, match="no_such_thing"):
        await world.update_container_data(
            box.container_id, items_json=[*valid, {"item_id": "no_such_thing"}]
        )
    # refused by the database half-way: this instance already sits in another container
    stolen = {
        "item_id": other.items[0].item_id,
        "item_instance_id": other.items[0].item_instance_id,
    }
    with pytest.raises(ConflictError):
        await world.update_container_data(box.container_id, items_json=[*valid, stolen])

    assert await placements(raw) == before
    stored = await world.get_container_data(box.container_id)
    assert stored is not None and [i.item_instance_id for i in stored.items] == [
        i.item_instance_id for i in box.items
    ]


async def test_concurrent_transfers_and_adds_fill_a_weight_limit_exactly(
    world: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    await world.seed_item_prototypes(
        [{"prototype_id": "test.feather", "name": "Feather", "item_type": "misc", "weight": 0.1}]
    )
    scale = await world.create_container_data(
        "environment", room_id="scales", weight_limit=1, items=[{"item_id": "test.feather"}] * 7
    )
    sources = [
        await world.create_container_data(
            "environment", room_id="scales", items=[{"item_id": "test.feather"}]
        )
        for _ in range(4)
    ]
    loose = [f"feather-{n}" for n in range(4)]
    for item in loose:
        await world.create_item_instance(item, "test.feather")
    calls = [
        world.transfer_item(
            s.items[0].item_instance_id,
            from_container_id=s.container_id,
            to_container_id=scale.container_id,
        )
        for s in sources
    ] + [world.add_item_to_container(scale.container_id, item) for item in loose]
    results = await asyncio.gather(*calls, return_exceptions=True)
    refused = [r for r in results if isinstance(r, CapacityError)]
    assert len(refused) == 5, results  # 7 + 3 feathers weigh exactly 1; no fourth fits
    held = await raw.fetchval(
        "SELECT count(*) FROM container_contents WHERE container_id = $1", scale.container_id
    )
    assert held == 10
    assert all(len(where) <= 1 for where in (await placements(raw)).values())
