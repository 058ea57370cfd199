"""Issue 13's container and item faults, each reproduced on PostgreSQL with real parallel
connections: deleting a player while items move, upserts racing container changes, text
arguments, exact weight limits, and update_container keeping what an entry does not say."""

from __future__ import annotations

import asyncio
import inspect
import random
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from mud_persistence import (
    AsyncPersistenceLayer,
    CapacityError,
    ConflictError,
    DatabaseError,
    NotFoundError,
    PersistenceError,
    PersistenceSettings,
    ValidationError,
)
from mud_persistence.testing import empty_tables

KNIFE, COIN, COAT = "weapon.knife.rusted", "misc.coin.silver", "armor.coat.trench"
ROUNDS = 30


@pytest.fixture
async def layer(pg_url: str) -> AsyncIterator[AsyncPersistenceLayer]:
    """A layer that does not retry: a deadlock or any other driver failure shows up."""
    settings = PersistenceSettings(database_url=pg_url, retry_attempts=1)  # type: ignore[call-arg]
    layer = AsyncPersistenceLayer(settings=settings)
    await layer.connect()
    await layer.seed_item_prototypes()
    yield layer
    await layer.close()
    await empty_tables(pg_url)


async def orphans(raw: asyncpg.Connection) -> list[str]:
    """Items owned by a container that does not list them (or lists them elsewhere)."""
    rows = await raw.fetch(
        "SELECT i.item_instance_id FROM item_instances i"
        " LEFT JOIN container_contents c USING (item_instance_id)"
        " WHERE (i.owner_type = 'container') <> (c.container_id IS NOT NULL)"
        "    OR (c.container_id IS NOT NULL AND i.owner_id <> c.container_id::text)"
    )
    return [row["item_instance_id"] for row in rows]


async def holder(raw: asyncpg.Connection, item_instance_id: str) -> uuid.UUID | None:
    return await raw.fetchval(
        "SELECT container_id FROM container_contents WHERE item_instance_id = $1",
        item_instance_id,
    )


async def jittered(call):  # type: ignore[no-untyped-def]
    await asyncio.sleep(random.uniform(0, 0.004))
    try:
        return await call
    except (NotFoundError, ConflictError) as exc:
        return exc


async def player_with_gear(layer: AsyncPersistenceLayer, room: str):  # type: ignore[no-untyped-def]
    player = await layer.create_player(name=f"p{uuid.uuid4().hex[:12]}", user_id=uuid.uuid4())
    gear = await layer.create_container_data(
        "equipment", entity_id=player.player_id, items=[{"item_id": KNIFE}, {"item_id": COIN}]
    )
    corpse = await layer.create_container_data(
        "corpse", room_id=room, owner_id=player.player_id, items=[{"item_id": COAT}]
    )
    return player, gear, corpse


async def test_fault_02_delete_player_racing_transfer_item_neither_loses_nor_orphans_items(
    layer: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    for _ in range(ROUNDS):
        player, gear, corpse = await player_with_gear(layer, "crypt")
        looted, worn = gear.items[0].item_instance_id, gear.items[1].item_instance_id
        picked_up = corpse.items[0].item_instance_id
        _, loot, pick = await asyncio.gather(
            jittered(layer.delete_player(player.player_id)),
            jittered(
                layer.transfer_item(
                    looted, from_container_id=gear.container_id, to_container_id=corpse.container_id
                )
            ),
            jittered(
                layer.transfer_item(
                    picked_up,
                    from_container_id=corpse.container_id,
                    to_container_id=gear.container_id,
                )
            ),
        )
        if not isinstance(loot, PersistenceError):  # the transfer said it moved the item
            assert await holder(raw, looted) == corpse.container_id, "looted item lost"
        if isinstance(pick, PersistenceError):  # still in the corpse
            assert await holder(raw, picked_up) == corpse.container_id
        assert not await layer.item_instance_exists(worn)  # deleted with its wearer
        assert await orphans(raw) == []


async def test_fault_03_delete_player_and_transfer_item_never_deadlock(
    layer: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    started = time.perf_counter()
    for _ in range(ROUNDS):
        player, gear, corpse = await player_with_gear(layer, "road")
        calls = [layer.delete_player(player.player_id)]
        for item, source, target in [
            (gear.items[0], gear, corpse),
            (gear.items[1], gear, corpse),
            (corpse.items[0], corpse, gear),
        ]:
            calls.append(
                layer.transfer_item(
                    item.item_instance_id,
                    from_container_id=source.container_id,
                    to_container_id=target.container_id,
                )
            )
        results = await asyncio.gather(*(jittered(call) for call in calls), return_exceptions=True)
        deadlocks = [r for r in results if isinstance(r, DatabaseError)]
        assert deadlocks == [], deadlocks  # a deadlock, with retries off, is a DatabaseError
    # PostgreSQL breaks a deadlock after deadlock_timeout (1 s): thirty rounds take far less
    assert time.perf_counter() - started < ROUNDS * 0.5
    assert await orphans(raw) == []


async def test_fault_06_upsert_item_instance_racing_add_never_leaves_a_player_item_in_a_container(
    layer: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    chest = await layer.create_container_data("environment", room_id="hall")
    owner = str(uuid.uuid4())
    for n in range(ROUNDS):
        item = f"contested-{n}"
        await layer.create_item_instance(item, KNIFE)
        await asyncio.gather(
            jittered(layer.add_item_to_container(chest.container_id, item)),
            jittered(layer.upsert_item_instance(item, KNIFE, owner_type="player", owner_id=owner)),
        )
        row = await raw.fetchrow(
            "SELECT owner_type, owner_id FROM item_instances WHERE item_instance_id = $1", item
        )
        if await holder(raw, item) is not None:
            assert (row["owner_type"], row["owner_id"]) == ("container", str(chest.container_id))
        else:
            assert (row["owner_type"], row["owner_id"]) == ("player", owner)
    assert await orphans(raw) == []


async def test_fault_06_raising_a_quantity_inside_a_container_respects_its_weight_limit(
    layer: AsyncPersistenceLayer,
) -> None:
    chest = await layer.create_container_data(
        "environment", room_id="hall", weight_limit=10, items=[{"item_id": COIN, "quantity": 5}]
    )
    coins = chest.items[0].item_instance_id
    with pytest.raises(CapacityError, match="limit of 10"):
        await layer.upsert_item_instance(coins, COIN, quantity=10_000)
    unchanged = await layer.get_item_instance(coins)
    assert unchanged is not None and unchanged.quantity == 5
    raised = await layer.upsert_item_instance(coins, COIN, quantity=6)  # within the limit
    assert raised.quantity == 6


@pytest.mark.parametrize(
    ("method", "field", "value"),
    [
        ("add", "item_instance_id", "knife\x00"),
        ("add", "item_instance_id", "k" * 65),
        ("remove", "item_instance_id", "knife\x00"),
        ("remove", "item_instance_id", "k" * 65),
        ("remove", "to_owner_id", "hall\x00"),
        ("remove", "to_owner_id", "h" * 256),
        ("transfer", "item_instance_id", "knife\x00"),
        ("transfer", "item_instance_id", "k" * 65),
        ("room", "room_id", "hall\x00"),
        ("exists", "item_instance_id", "knife\x00"),
        ("get_item", "item_instance_id", "k\udcff"),
    ],
    ids=repr,
)
async def test_fault_10_text_arguments_of_container_moves_are_validated(
    layer: AsyncPersistenceLayer, raw: asyncpg.Connection, method: str, field: str, value: str
) -> None:
    chest = await layer.create_container_data("environment", room_id="hall")
    pack = await layer.create_container_data("corpse", room_id="hall")
    await layer.create_item_instance("knife", KNIFE)
    await layer.add_item_to_container(chest.container_id, "knife")
    text = {"item_instance_id": "knife", "to_owner_id": "hall", "room_id": "hall", field: value}
    calls = {
        "add": lambda: layer.add_item_to_container(pack.container_id, text["item_instance_id"]),
        "remove": lambda: layer.remove_item_from_container(
            chest.container_id, text["item_instance_id"], to_owner_id=text["to_owner_id"]
        ),
        "transfer": lambda: layer.transfer_item(
            text["item_instance_id"],
            from_container_id=chest.container_id,
            to_container_id=pack.container_id,
        ),
        "room": lambda: layer.get_containers_by_room_id(text["room_id"]),
        "exists": lambda: layer.item_instance_exists(text["item_instance_id"]),
        "get_item": lambda: layer.get_item_instance(text["item_instance_id"]),
    }
    with pytest.raises(ValidationError) as refused:
        await calls[method]()
    assert refused.value.field == field
    assert await holder(raw, "knife") == chest.container_id  # nothing written


async def test_fault_12_a_load_of_exactly_the_weight_limit_fits_in_any_order(
    layer: AsyncPersistenceLayer,
) -> None:
    weights = {"test.pebble": 0.2, "test.stone": 0.4, "test.shard": 0.3, "test.feather": 0.1}
    await layer.seed_item_prototypes(
        [
            {"prototype_id": kind, "name": kind, "item_type": "misc", "weight": weight}
            for kind, weight in weights.items()
        ]
    )
    kinds = list(weights)  # 0.2 + 0.4 + 0.3 + 0.1 is 1.0000000000000002 in floats
    for order in (kinds, [kinds[1], kinds[0], kinds[2], kinds[3]], kinds[::-1]):
        # created whole, in one order ...
        whole = await layer.create_container_data(
            "environment", room_id="scales", weight_limit=1, items=[{"item_id": k} for k in order]
        )
        assert len(whole.items) == 4
        # ... and added one by one, in that order
        chest = await layer.create_container_data("environment", room_id="scales", weight_limit=1)
        for kind in order:
            item = f"{kind}-{uuid.uuid4().hex[:8]}"
            await layer.create_item_instance(item, kind)
            await layer.add_item_to_container(chest.container_id, item)
        extra = f"grain-{uuid.uuid4().hex[:8]}"
        await layer.create_item_instance(extra, "test.feather")
        with pytest.raises(CapacityError, match=r"weight of 1\.1, over its limit of 1"):
            await layer.add_item_to_container(chest.container_id, extra)
    tenths = await layer.create_container_data(
        "environment", room_id="scales", weight_limit=1, items=[{"item_id": "test.feather"}] * 10
    )
    assert len(tenths.items) == 10


async def test_fault_16_update_container_keeps_the_fields_an_entry_does_not_give(
    layer: AsyncPersistenceLayer,
) -> None:
    chest = await layer.create_container_data(
        "environment",
        room_id="hall",
        items=[
            {
                "item_id": COIN,
                "quantity": 50,
                "condition": 80,
                "item_name": "Doubloons",
                "metadata": {"minted": 1720},
            }
        ],
    )
    coins = chest.items[0].item_instance_id
    by_id = await layer.update_container_data(
        chest.container_id, items_json=[{"item_id": COIN, "item_instance_id": coins}]
    )
    kept = by_id.items[0]
    assert (kept.quantity, kept.condition, kept.item_name, kept.metadata) == (
        50,
        80,
        "Doubloons",
        {"minted": 1720},
    )
    old_dict = await layer.update_container(
        chest.container_id, [{"item_id": COIN, "item_instance_id": coins, "quantity": 49}]
    )
    assert old_dict is not None
    spent = old_dict["items_json"][0]
    assert (spent["quantity"], spent["condition"], spent["item_name"]) == (49, "80", "Doubloons")
    cleared = await layer.update_container_data(
        chest.container_id,
        items_json=[{"item_id": COIN, "item_instance_id": coins, "condition": None}],
    )
    assert cleared.items[0].condition is None and cleared.items[0].quantity == 49


async def test_a_transfer_of_an_item_not_in_the_source_into_a_full_target_says_so(
    layer: AsyncPersistenceLayer,
) -> None:
    source = await layer.create_container_data("environment", room_id="hall")
    full = await layer.create_container_data(
        "environment", room_id="hall", capacity_slots=1, items=[{"item_id": KNIFE}]
    )
    await layer.create_item_instance("stray", COIN)
    with pytest.raises(ConflictError, match="not in container") as refused:
        await layer.transfer_item(
            "stray", from_container_id=source.container_id, to_container_id=full.container_id
        )
    assert not isinstance(refused.value, CapacityError)


@pytest.mark.parametrize("weight", [float("inf"), float("nan"), -0.5, 1_000_001.0])
async def test_a_prototype_weight_must_be_a_finite_number_in_range(
    layer: AsyncPersistenceLayer, raw: asyncpg.Connection, weight: float
) -> None:
    with pytest.raises(ValidationError, match="weight"):
        await layer.seed_item_prototypes(
            [{"prototype_id": "test.void", "name": "Void", "item_type": "misc", "weight": weight}]
        )
    with pytest.raises(asyncpg.CheckViolationError):  # the database holds the rule too
        await raw.execute(
            "INSERT INTO item_prototypes (prototype_id, name, item_type, weight)"
            " VALUES ('test.void', 'Void', 'misc', $1)",
            weight,
        )


def test_fault_10_every_public_method_with_a_text_argument_checks_it_on_one_path() -> None:
    # these pass their arguments on to a checked method
    delegating = {"get_active_players_by_user_id", "async_damage_player", "async_heal_player"}
    unchecked = [
        name
        for name, method in inspect.getmembers(AsyncPersistenceLayer, inspect.iscoroutinefunction)
        if not name.startswith("_")
        and name not in delegating
        and any("str" in str(p.annotation) for p in inspect.signature(method).parameters.values())
        and not hasattr(method, "__wrapped__")  # the _operation wrapper checks every text
    ]
    assert unchecked == []


@pytest.mark.parametrize(
    "call",
    [
        lambda layer: layer.get_player_by_name("Wilbur\x00"),
        lambda layer: layer.get_players_in_room("hall\x00"),
        lambda layer: layer.get_container_data_by_room_id("r" * 256),
        lambda layer: layer.create_item_instance("k" * 65, KNIFE),
        lambda layer: layer.ensure_item_instance("lamp", KNIFE, owner_id="o" * 256),
        lambda layer: layer.upsert_item_instance("lamp", "p\x00"),
    ],
)
async def test_fault_10_text_arguments_of_other_methods_take_the_same_path(
    layer: AsyncPersistenceLayer, call
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        await call(layer)
