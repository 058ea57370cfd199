"""save_player's UPDATE statements kept per shape of change (repositories/save_updates.py), on
PostgreSQL: kept once, run with each save's own values, NULLs as shapes of their own, a shape
Tortoise spells differently run but not kept, and at most max_shapes kept."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.models import Player
from mud_persistence.repositories import save_updates
from mud_persistence.repositories.save_updates import SaveUpdates
from tests.conftest import stored_player
from tests.query_counter import counting_queries

HALL = "earth_arkhamcity_sanitarium_room_hallway_001"
FOYER = "earth_arkhamcity_sanitarium_room_foyer_001"


@pytest.fixture
def layer(pg_layer: AsyncPersistenceLayer) -> AsyncPersistenceLayer:
    return pg_layer


@pytest.fixture
async def player(layer: AsyncPersistenceLayer) -> Player:
    return await layer.create_player(name="Shaped", user_id=uuid.uuid4())


async def write(
    layer: AsyncPersistenceLayer, updates: SaveUpdates, player: Player, **changes: Any
) -> int:
    expected = {name: player.saved_value(name) for name in changes}
    with layer._database.bound():
        return await updates.run(player, changes, expected)


async def test_a_shape_is_kept_once_and_run_with_each_saves_values(
    layer: AsyncPersistenceLayer, player: Player
) -> None:
    updates = SaveUpdates()
    assert await write(layer, updates, player, current_room_id=HALL) == 1
    player.current_room_id = HALL
    player.mark_saved(("current_room_id",))
    with counting_queries() as counter:
        assert await write(layer, updates, player, current_room_id=FOYER) == 1

    assert len(updates) == 1
    assert counter.count == 1 and '"current_room_id"=$1' in counter.statements[0]
    assert (await stored_player(layer, player)).current_room_id == FOYER


async def test_a_stale_expected_value_writes_nothing(
    layer: AsyncPersistenceLayer, player: Player
) -> None:
    updates = SaveUpdates()
    await write(layer, updates, player, current_room_id=HALL)  # the object still says FOYER

    assert await write(layer, updates, player, current_room_id=FOYER) == 0
    assert (await stored_player(layer, player)).current_room_id == HALL


async def test_nulls_make_shapes_of_their_own(layer: AsyncPersistenceLayer, player: Player) -> None:
    updates = SaveUpdates()
    assert player.respawn_room_id is None
    assert await write(layer, updates, player, respawn_room_id=HALL) == 1  # from NULL
    player.respawn_room_id = HALL
    player.mark_saved(("respawn_room_id",))
    assert await write(layer, updates, player, respawn_room_id=None) == 1  # to NULL

    assert len(updates) == 2
    assert (await stored_player(layer, player)).respawn_room_id is None


async def test_a_shape_tortoise_spells_differently_is_run_but_not_kept(
    layer: AsyncPersistenceLayer, player: Player, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(save_updates, "_parameters", lambda *arguments: ["not", "these"])
    updates = SaveUpdates()

    assert await write(layer, updates, player, current_room_id=HALL) == 1
    assert len(updates) == 0
    assert (await stored_player(layer, player)).current_room_id == HALL


async def test_at_most_max_shapes_are_kept(layer: AsyncPersistenceLayer, player: Player) -> None:
    updates = SaveUpdates(max_shapes=2)
    for column, value in (("luck", 51), ("fear", 1), ("name", "Reshaped")):
        assert await write(layer, updates, player, **{column: value}) == 1

    assert len(updates) == 2
    stored = await stored_player(layer, player)
    assert (stored.luck, stored.fear, stored.name) == (51, 1, "Reshaped")


async def test_json_and_time_columns_are_saved_through_kept_statements(
    layer: AsyncPersistenceLayer, player: Player
) -> None:
    loaded = await stored_player(layer, player)
    loaded.inventory.append(
        {"item_id": "lamp", "item_name": "Lamp", "slot_type": "backpack", "quantity": 1}
    )
    loaded.last_active = loaded.last_active.replace(microsecond=0)
    await layer.save_player(loaded)
    loaded.inventory.append(
        {"item_id": "rope", "item_name": "Rope", "slot_type": "backpack", "quantity": 1}
    )
    await layer.save_player(loaded)  # the same shape again: the kept statement

    stored = await stored_player(layer, player)
    assert [stack["item_id"] for stack in stored.inventory] == ["lamp", "rope"]
    assert stored.last_active == loaded.last_active
