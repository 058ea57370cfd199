"""transfer_item, on every backend: PostgreSQL runs the database function of migration 4,
SQLite the Python path; both keep the same rules, refuse with the same errors and messages,
and return the same destination."""

from __future__ import annotations

import uuid

import pytest
from tortoise.transactions import in_transaction

from mud_persistence import (
    AsyncPersistenceLayer,
    CapacityError,
    ConflictError,
    NotFoundError,
    PersistenceError,
)
from mud_persistence.schemas.container import ContainerData

KNIFE, COIN, COAT = "weapon.knife.rusted", "misc.coin.silver", "armor.coat.trench"


@pytest.fixture
async def layer(contract_persistence: AsyncPersistenceLayer) -> AsyncPersistenceLayer:
    await contract_persistence.seed_item_prototypes()
    return contract_persistence


async def move(
    layer: AsyncPersistenceLayer, item: str, source: uuid.UUID, target: uuid.UUID
) -> ContainerData:
    return await layer.transfer_item(item, from_container_id=source, to_container_id=target)


async def unchanged(
    layer: AsyncPersistenceLayer, *containers: ContainerData
) -> list[ContainerData | None]:
    return [await layer.get_container_data(c.container_id) for c in containers]


async def empty_pair_and_a_stray_coin(
    layer: AsyncPersistenceLayer,
) -> tuple[ContainerData, ContainerData]:
    """Two empty containers, and the item "stray", in none."""
    pair = [await layer.create_container_data("environment", room_id="hall") for _ in "ab"]
    await layer.create_item_instance("stray", COIN)
    return pair[0], pair[1]


async def test_a_transfer_takes_the_lowest_free_slot_and_returns_the_destination_as_stored(
    layer: AsyncPersistenceLayer,
) -> None:
    source = await layer.create_container_data(
        "environment",
        room_id="hall",
        items=[
            {"item_id": KNIFE, "item_name": "Old Faithful", "condition": 40, "metadata": {"a": 1}}
        ],
    )
    target = await layer.create_container_data(
        "corpse",
        room_id="hall",
        capacity_slots=3,
        items=[{"item_id": COIN, "position": 0}, {"item_id": COIN, "position": 2}],
    )
    knife = source.items[0].item_instance_id

    moved = await move(layer, knife, source.container_id, target.container_id)

    assert moved == await layer.get_container_data(target.container_id)
    assert [(i.item_instance_id, i.position) for i in moved.items][1] == (knife, 1)
    assert (moved.items[1].item_name, moved.items[1].condition, moved.items[1].metadata) == (
        "Old Faithful",
        40,
        {"a": 1},
    )
    assert moved.updated_at > target.updated_at
    emptied = await layer.get_container_data(source.container_id)
    assert emptied is not None and emptied.items == [] and emptied.updated_at > source.updated_at
    item = await layer.get_item_instance(knife)
    assert item is not None
    assert (item.owner_type, item.owner_id) == ("container", str(target.container_id))


async def test_a_missing_container_is_named_the_smallest_first(
    layer: AsyncPersistenceLayer,
) -> None:
    real = await layer.create_container_data(
        "environment", room_id="hall", items=[{"item_id": KNIFE}]
    )
    knife = real.items[0].item_instance_id
    ghosts = sorted([uuid.uuid4(), uuid.uuid4()])
    for source, target, named in [
        (real.container_id, ghosts[0], ghosts[0]),
        (ghosts[0], real.container_id, ghosts[0]),
        (ghosts[1], ghosts[0], ghosts[0]),
    ]:
        with pytest.raises(NotFoundError) as refused:
            await move(layer, knife, source, target)
        assert (refused.value.entity, refused.value.key) == ("Container", named)
        assert str(refused.value) == f"container {named} not found"
    assert await unchanged(layer, real) == [real]


async def test_an_item_not_in_the_source_is_a_conflict_and_a_missing_one_not_found(
    layer: AsyncPersistenceLayer,
) -> None:
    source, target = await empty_pair_and_a_stray_coin(layer)
    with pytest.raises(ConflictError) as refused:
        await move(layer, "stray", source.container_id, target.container_id)
    assert str(refused.value) == f"item 'stray' is not in container {source.container_id}"
    assert not isinstance(refused.value, CapacityError)
    with pytest.raises(NotFoundError) as missing:
        await move(layer, "nowhere", source.container_id, target.container_id)
    assert (missing.value.entity, missing.value.key) == ("ItemInstance", "nowhere")
    assert await unchanged(layer, source, target) == [source, target]


async def test_a_full_destination_refuses_and_nothing_moves(layer: AsyncPersistenceLayer) -> None:
    source = await layer.create_container_data(
        "environment", room_id="hall", items=[{"item_id": KNIFE}]
    )
    full = await layer.create_container_data(
        "environment", room_id="hall", capacity_slots=1, items=[{"item_id": COIN}]
    )
    with pytest.raises(CapacityError) as refused:
        await move(layer, source.items[0].item_instance_id, source.container_id, full.container_id)
    assert str(refused.value) == f"container {full.container_id} is full (1 slots)"
    assert await unchanged(layer, source, full) == [source, full]


async def test_weight_limits_are_exact_and_the_refusal_names_the_load(
    layer: AsyncPersistenceLayer,
) -> None:
    await layer.seed_item_prototypes(
        [{"prototype_id": "test.feather", "name": "Feather", "item_type": "misc", "weight": 0.1}]
    )
    source = await layer.create_container_data(
        "environment", room_id="scales", items=[{"item_id": "test.feather"}] * 2
    )
    scale = await layer.create_container_data(
        "environment",
        room_id="scales",
        weight_limit=1,
        items=[{"item_id": "test.feather"}] * 9,
    )
    first, second = (item.item_instance_id for item in source.items)
    filled = await move(layer, first, source.container_id, scale.container_id)  # exactly 1.0
    assert len(filled.items) == 10
    with pytest.raises(CapacityError) as refused:
        await move(layer, second, source.container_id, scale.container_id)
    assert str(refused.value) == (
        f"container {scale.container_id} would hold a weight of 1.1, over its limit of 1"
    )
    assert await unchanged(layer, scale) == [filled]


async def test_a_heavy_stack_counts_its_quantity(layer: AsyncPersistenceLayer) -> None:
    source = await layer.create_container_data(
        "environment",
        room_id="hall",
        items=[{"item_id": COAT, "quantity": 2}],  # 3 each
    )
    sack = await layer.create_container_data("environment", room_id="hall", weight_limit=5)
    with pytest.raises(CapacityError, match=r"weight of 6, over its limit of 5"):
        await move(layer, source.items[0].item_instance_id, source.container_id, sack.container_id)


async def test_refusals_are_persistence_errors_not_driver_errors(
    layer: AsyncPersistenceLayer,
) -> None:
    source = await layer.create_container_data("environment", room_id="hall")
    with pytest.raises(PersistenceError) as refused:
        await move(layer, "nowhere", source.container_id, uuid.uuid4())
    assert type(refused.value).__module__ == "mud_persistence.errors"


async def test_a_refused_transfer_inside_a_callers_transaction_leaves_it_usable(
    layer: AsyncPersistenceLayer,
) -> None:
    # e.g. a keyed call that wraps the operation in one transaction: the refusal is the
    # caller's to handle, and the transaction goes on (a savepoint, as the Python path's)
    source, target = await empty_pair_and_a_stray_coin(layer)

    async def one_keyed_call() -> ContainerData:  # one unit of work, as the wrapper runs it
        async with in_transaction():
            with pytest.raises(ConflictError, match="not in container"):
                await layer._containers.transfer("stray", source.container_id, target.container_id)
            await layer._containers.add(source.container_id, "stray", None)
            return await layer._containers.transfer(
                "stray", source.container_id, target.container_id
            )

    with layer._database.bound():
        moved = await layer._outbox.run(one_keyed_call)
    assert [i.item_instance_id for i in moved.items] == ["stray"]
    assert await layer.get_container_data(target.container_id) == moved
