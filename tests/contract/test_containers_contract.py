"""Container and item methods, on PostgreSQL and SQLite."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from mud_persistence import (
    AsyncPersistenceLayer,
    CapacityError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from mud_persistence.events import ItemTransferred, RecordingBus
from mud_persistence.schemas.container import ContainerCreateParams
from mud_persistence.testing import empty_tables

KNIFE, COIN, BANDAGE, COAT = (
    "weapon.knife.rusted",
    "misc.coin.silver",
    "consumable.bandage",
    "armor.coat.trench",
)


@pytest.fixture
async def layer(contract_persistence: AsyncPersistenceLayer) -> AsyncPersistenceLayer:
    await contract_persistence.seed_item_prototypes()
    return contract_persistence


async def player_id(layer: AsyncPersistenceLayer) -> uuid.UUID:
    player = await layer.create_player(name=f"p{uuid.uuid4().hex[:10]}", user_id=uuid.uuid4())
    return player.player_id


async def test_create_container_with_items_and_read_it_back(layer: AsyncPersistenceLayer) -> None:
    decay = datetime(2031, 5, 1, 12, 0)  # naive: UTC
    created = await layer.create_container_data(
        "corpse",
        room_id="crypt",
        decay_at=decay,
        metadata={"corpse_of": "Wilbur"},
        items=[
            {"item_id": KNIFE, "condition": 40},
            {"item_id": COIN, "quantity": 12, "item_name": "Old Coins", "slot_type": "pouch"},
        ],
    )
    assert created.capacity_slots == 20 and created.decay_at == decay.replace(tzinfo=UTC)
    knife, coins = created.items
    assert (knife.item_id, knife.item_name, knife.condition, knife.position) == (
        KNIFE,
        "Rusted Knife",
        40,
        0,
    )
    assert (coins.item_name, coins.quantity, coins.slot_type, coins.position) == (
        "Old Coins",
        12,
        "pouch",
        1,
    )
    assert knife.item_instance_id != KNIFE and knife.item_instance_id != coins.item_instance_id
    assert await layer.get_container_data(created.container_id) == created


async def test_create_container_accepts_params_and_old_keyword_names(
    layer: AsyncPersistenceLayer,
) -> None:
    params = ContainerCreateParams(source_type="environment", room_id="hall", capacity_slots=3)
    chest = await layer.create_container_data("environment", params, lock_state="locked")
    assert (chest.capacity_slots, chest.lock_state, chest.room_id) == (3, "locked", "hall")
    legacy = await layer.create_container_data(
        "environment", room_id="hall", items_json=[{"item_id": COIN}], metadata_json={"a": 1}
    )
    assert legacy.metadata == {"a": 1} and len(legacy.items) == 1


async def test_default_capacity_is_20_for_every_source(layer: AsyncPersistenceLayer) -> None:
    owner = await player_id(layer)
    env = await layer.create_container_data("environment", room_id="r")
    gear = await layer.create_container_data("equipment", entity_id=owner)
    corpse = await layer.create_container_data("corpse", room_id="r")
    assert (env.capacity_slots, gear.capacity_slots, corpse.capacity_slots) == (20, 20, 20)


async def test_a_corpse_may_lie_in_no_room(layer: AsyncPersistenceLayer) -> None:
    corpse = await layer.create_container_data("corpse", items=[{"item_id": KNIFE}])
    assert corpse.room_id is None and len(corpse.items) == 1


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"source_type": "pocket", "room_id": "r"}, ValidationError),
        ({"room_id": "r", "capacity_slots": 0}, ValidationError),
        ({"room_id": "r", "capacity_slots": 21}, ValidationError),
        ({"room_id": "r", "lock_state": "jammed"}, ValidationError),
        ({"room_id": "r", "weight_limit": 0}, ValidationError),
        ({}, ValidationError),  # environment without a room
        ({"source_type": "equipment", "room_id": "r"}, ValidationError),  # no entity
        ({"room_id": "r", "owner_id": "not-a-uuid"}, ValidationError),
        ({"room_id": "r", "capacity_slots": 1, "items": [{"item_id": KNIFE}] * 2}, ValidationError),
        ({"room_id": "r", "items": [{"item_id": "no.such.item"}]}, ValidationError),
        ({"room_id": "r", "items": [{"item_id": KNIFE, "quantity": 0}]}, ValidationError),
        ({"room_id": "r", "items": [{"item_id": KNIFE, "position": 1}] * 2}, ValidationError),
        ({"room_id": "r", "weight_limit": 2, "items": [{"item_id": COAT}]}, CapacityError),
        ({"room_id": "r", "entity_id": str(uuid.uuid4())}, ValidationError),  # unknown player
        ({"room_id": "r", "colour": "red"}, ValidationError),
    ],
    ids=repr,
)
async def test_bad_container_input_is_refused_and_nothing_is_written(
    layer: AsyncPersistenceLayer, kwargs: dict[str, object], error: type[Exception]
) -> None:
    kwargs = dict(kwargs)
    source = kwargs.pop("source_type", "environment")
    with pytest.raises(error):
        await layer.create_container_data(source, **kwargs)  # type: ignore[arg-type]
    assert await layer.get_container_data_by_room_id("r") == []


async def test_lookups_by_room_entity_and_decay(layer: AsyncPersistenceLayer) -> None:
    owner = await player_id(layer)
    first = await layer.create_container_data(
        "equipment", entity_id=owner, items=[{"item_id": COIN}]
    )
    second = await layer.create_container_data("equipment", entity_id=str(owner))
    now = datetime.now(UTC)
    stale = await layer.create_container_data(
        "corpse", room_id="road", decay_at=now - timedelta(hours=1)
    )
    await layer.create_container_data("corpse", room_id="road", decay_at=now + timedelta(hours=1))

    gear = await layer.get_container_data_by_entity_id(owner)
    assert [c.container_id for c in gear] == [first.container_id, second.container_id]
    assert len(gear[0].items) == 1
    assert len(await layer.get_container_data_by_room_id("road")) == 2
    decayed = await layer.get_decayed_container_data()
    assert [c.container_id for c in decayed] == [stale.container_id]
    naive_past = (now - timedelta(hours=2)).replace(tzinfo=None)
    assert await layer.get_decayed_container_data(naive_past) == []
    assert await layer.get_container_data(uuid.uuid4()) is None


async def test_update_container_replaces_items_lock_and_metadata(
    layer: AsyncPersistenceLayer,
) -> None:
    chest = await layer.create_container_data(
        "environment", room_id="r", items=[{"item_id": KNIFE}, {"item_id": COIN}]
    )
    knife, coin = chest.items
    updated = await layer.update_container_data(
        chest.container_id,
        items_json=[
            {"item_id": KNIFE, "item_instance_id": knife.item_instance_id, "condition": 10},
            {"item_id": BANDAGE, "quantity": 4},
        ],
        lock_state="sealed",
        metadata_json={"trapped": True},
    )
    assert updated.lock_state == "sealed" and updated.metadata == {"trapped": True}
    assert [(i.item_id, i.condition) for i in updated.items] == [(KNIFE, 10), (BANDAGE, None)]
    assert updated.items[0].item_instance_id == knife.item_instance_id
    assert not await layer.item_instance_exists(coin.item_instance_id)  # dropped: deleted

    with pytest.raises(ValidationError):
        await layer.update_container_data(chest.container_id, lock_state="ajar")
    with pytest.raises(CapacityError):
        await layer.update_container_data(chest.container_id, items_json=[{"item_id": COIN}] * 21)
    with pytest.raises(NotFoundError):
        await layer.update_container_data(uuid.uuid4(), lock_state="locked")
    assert await layer.update_container(uuid.uuid4(), lock_state="locked") is None


async def test_delete_container_leaves_no_orphan_items(layer: AsyncPersistenceLayer) -> None:
    chest = await layer.create_container_data(
        "environment", room_id="r", items=[{"item_id": COIN}] * 3
    )
    assert await layer.delete_container(chest.container_id)
    for item in chest.items:
        assert not await layer.item_instance_exists(item.item_instance_id)
    assert not await layer.delete_container(chest.container_id)


async def test_moving_single_items(layer: AsyncPersistenceLayer) -> None:
    owner = await player_id(layer)
    chest = await layer.create_container_data("environment", room_id="hall", capacity_slots=2)
    pack = await layer.create_container_data("equipment", entity_id=owner, capacity_slots=1)
    await layer.create_item_instance("knife-1", KNIFE)
    await layer.create_item_instance("coin-1", COIN, quantity=3)
    await layer.create_item_instance("coin-2", COIN)

    assert len((await layer.add_item_to_container(chest.container_id, "knife-1")).items) == 1
    placed = await layer.add_item_to_container(chest.container_id, "coin-1", position=1)
    assert [i.position for i in placed.items] == [0, 1]
    with pytest.raises(CapacityError):
        await layer.add_item_to_container(chest.container_id, "coin-2")
    with pytest.raises(ConflictError):
        await layer.add_item_to_container(pack.container_id, "knife-1")  # already in the chest

    moved = await layer.transfer_item(
        "knife-1", from_container_id=chest.container_id, to_container_id=pack.container_id
    )
    assert [i.item_instance_id for i in moved.items] == ["knife-1"]
    knife = await layer.get_item_instance("knife-1")
    assert knife is not None and (knife.owner_type, knife.owner_id) == (
        "container",
        str(pack.container_id),
    )
    with pytest.raises(CapacityError):
        await layer.transfer_item(
            "coin-1", from_container_id=chest.container_id, to_container_id=pack.container_id
        )
    with pytest.raises(ConflictError):
        await layer.transfer_item(
            "knife-1", from_container_id=chest.container_id, to_container_id=pack.container_id
        )
    with pytest.raises(ValidationError):
        await layer.transfer_item(
            "coin-1", from_container_id=chest.container_id, to_container_id=chest.container_id
        )

    left = await layer.remove_item_from_container(chest.container_id, "coin-1")
    assert left.items == []
    coin = await layer.get_item_instance("coin-1")
    assert coin is not None and (coin.owner_type, coin.owner_id) == ("room", "hall")
    await layer.remove_item_from_container(
        pack.container_id, "knife-1", to_owner_type="player", to_owner_id=str(owner)
    )
    knife = await layer.get_item_instance("knife-1")
    assert knife is not None and (knife.owner_type, knife.owner_id) == ("player", str(owner))
    with pytest.raises(ConflictError):
        await layer.remove_item_from_container(chest.container_id, "knife-1")
    with pytest.raises(NotFoundError):
        await layer.remove_item_from_container(chest.container_id, "no-such-item")
    with pytest.raises(ValidationError, match="to_owner_id"):
        await layer.remove_item_from_container(pack.container_id, "knife-1")  # no room to drop in
    with pytest.raises(ValidationError, match="to_owner_type"):
        await layer.remove_item_from_container(chest.container_id, "coin-2", to_owner_type="void")


async def test_weight_limits_are_enforced(layer: AsyncPersistenceLayer) -> None:
    sack = await layer.create_container_data("environment", room_id="r", weight_limit=4)
    await layer.create_item_instance("coat-1", COAT)  # weighs 3
    await layer.create_item_instance("coat-2", COAT)
    await layer.add_item_to_container(sack.container_id, "coat-1")
    with pytest.raises(CapacityError, match="weight"):
        await layer.add_item_to_container(sack.container_id, "coat-2")


async def test_item_instances_create_ensure_upsert(layer: AsyncPersistenceLayer) -> None:
    created = await layer.create_item_instance(
        "lamp-1", "light.lantern.brass", owner_type="player", owner_id="p1", condition=80
    )
    assert (created.quantity, created.condition, created.owner_type) == (1, 80, "player")
    with pytest.raises(ConflictError):
        await layer.create_item_instance("lamp-1", "light.lantern.brass")

    ensured = await layer.ensure_item_instance("lamp-1", "light.lantern.brass", condition=5)
    assert ensured.condition == 80  # never overwrites
    fresh = await layer.ensure_item_instance("lamp-2", "light.lantern.brass", condition=5)
    assert fresh.condition == 5

    upserted = await layer.upsert_item_instance("lamp-1", "light.lantern.brass", condition=20)
    assert (upserted.condition, upserted.owner_id) == (20, "p1")  # only given columns change
    inserted = await layer.upsert_item_instance("lamp-3", "light.lantern.brass", quantity=2)
    assert inserted.quantity == 2
    assert await layer.item_instance_exists("lamp-3")
    assert not await layer.item_instance_exists("lamp-4")
    assert await layer.get_item_instance("lamp-4") is None


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"condition": 101}, "condition"),
        ({"condition": -1}, "condition"),
        ({"owner_type": "void"}, "owner_type"),
        ({"colour": "red"}, "colour"),
    ],
    ids=repr,
)
async def test_bad_item_options_are_refused(
    layer: AsyncPersistenceLayer, options: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await layer.create_item_instance("bad-1", KNIFE, **options)
    assert caught.value.field == field
    assert not await layer.item_instance_exists("bad-1")


async def test_unknown_prototype_is_a_validation_error(layer: AsyncPersistenceLayer) -> None:
    for method in (
        layer.create_item_instance,
        layer.ensure_item_instance,
        layer.upsert_item_instance,
    ):
        with pytest.raises(ValidationError, match="prototype_id"):
            await method("odd-1", "no.such.prototype")
    assert not await layer.item_instance_exists("odd-1")


async def test_item_transfers_publish_events_after_commit(pg_url: str) -> None:
    bus = RecordingBus()
    async with AsyncPersistenceLayer(pg_url, event_bus=bus) as layer:
        await layer.seed_item_prototypes()
        a = await layer.create_container_data("environment", room_id="r")
        b = await layer.create_container_data("environment", room_id="r")
        await layer.create_item_instance("coin-9", COIN)
        await layer.add_item_to_container(a.container_id, "coin-9")
        await layer.transfer_item(
            "coin-9", from_container_id=a.container_id, to_container_id=b.container_id
        )
        await layer.remove_item_from_container(b.container_id, "coin-9")
    await empty_tables(pg_url)
    assert [
        (e.from_container_id, e.to_container_id, e.to_owner_type, e.to_owner_id)
        for e in bus.of(ItemTransferred)
    ] == [
        (None, a.container_id, "container", str(a.container_id)),
        (a.container_id, b.container_id, "container", str(b.container_id)),
        (b.container_id, None, "room", "r"),
    ]
