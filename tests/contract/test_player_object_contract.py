"""The Player object as game code uses it (issue 12): built with the old keywords and a stats
dict, saved by save_player, edited through the old methods and the dicts and lists they
return. PostgreSQL and SQLite."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from mud_persistence import AsyncPersistenceLayer, ConflictError, ValidationError
from mud_persistence.models import Player
from tests.conftest import stored_player

HALLWAY = "earth_arkhamcity_sanitarium_room_hallway_001"
# What the game's Stats(...).model_dump() gives: every stat, position, and the computed maxima.
GAME_STATS: dict[str, Any] = {
    "strength": 61,
    "dexterity": 44,
    "constitution": 70,
    "size": 65,
    "intelligence": 80,
    "power": 55,
    "education": 72,
    "charisma": 33,
    "luck": 48,
    "lucidity": 90,
    "occult": 3,
    "corruption": 1,
    "current_dp": 27,
    "magic_points": 11,
    "position": "sitting",
    "max_dp": 27,
    "max_magic_points": 11,
    "max_lucidity": 72,
}


def stack(item_id: str, quantity: int = 1) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "item_name": item_id.title(),
        "slot_type": "bag",
        "quantity": quantity,
    }


def game_built_player(**overrides: Any) -> Player:
    """A Player built the way the game's character creation builds one."""
    now = datetime.now(UTC).replace(tzinfo=None)  # the game passes naive UTC times
    columns: dict[str, Any] = {
        "player_id": uuid.uuid4(),
        "user_id": uuid.uuid4(),
        "name": "Ashcroft",
        "current_room_id": HALLWAY,
        "profession_id": None,
        "experience_points": 0,
        "level": 1,
        "created_at": now,
        "last_active": now,
        "stats": GAME_STATS,
        "inventory": [stack("lamp"), stack("coin", 12)],
        **overrides,
    }
    return Player(**columns)


async def test_a_player_built_with_stats_is_inserted_and_round_trips(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    player = game_built_player(tutorial_instance_id="tutorial-1", is_admin=True)
    player.respawn_room_id = "earth_arkhamcity_sanitarium_room_tutorial_bedroom_001"
    assert await contract_persistence.save_player(player) is None
    assert not player.is_new and player.changed_fields() == {}

    loaded = await stored_player(contract_persistence, player)
    assert loaded.get_stats() == {
        **GAME_STATS,
        "wisdom": 50,
        "occult_knowledge": 0,
        "fear": 0,
        "cult_affiliation": 0,
        "cold_resistance": 0,
    }
    for column in Player.saved_fields():
        assert getattr(loaded, column) == getattr(player, column), column
    assert loaded.created_at == player.created_at
    assert isinstance(loaded.player_id, str) and loaded.player_id == player.player_id
    assert loaded.player_uuid == uuid.UUID(player.player_id)


async def test_a_built_player_takes_the_column_defaults(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    player = Player(user_id=str(uuid.uuid4()), name="Plain")
    await contract_persistence.save_player(player)
    loaded = await stored_player(contract_persistence, player)
    assert (loaded.strength, loaded.current_dp, loaded.position, loaded.inventory) == (
        50,
        20,
        "standing",
        [],
    )
    assert loaded.current_room_id == contract_persistence.settings.default_room_id
    assert "max_magic_points" not in loaded.get_stats()


async def test_saving_a_built_player_whose_id_exists_is_a_conflict(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    first = game_built_player()
    await contract_persistence.save_player(first)
    twin = game_built_player(player_id=first.player_id, name="Twin")
    with pytest.raises(ConflictError, match="exists already"):
        await contract_persistence.save_player(twin)
    assert (await stored_player(contract_persistence, first)).name == "Ashcroft"


async def test_save_players_inserts_new_and_updates_loaded_players_together(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    loaded = await contract_persistence.create_player(name="Old Hand", user_id=uuid.uuid4())
    loaded.current_room_id = HALLWAY
    new = game_built_player()
    assert await contract_persistence.save_players([loaded, new]) is None
    assert (await stored_player(contract_persistence, loaded)).current_room_id == HALLWAY
    assert (await stored_player(contract_persistence, new)).get_stats()["position"] == "sitting"


async def test_in_place_edits_of_returned_stats_inventory_and_equipment_are_saved(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    player = await contract_persistence.create_player(name="Editor", user_id=uuid.uuid4())
    player.get_stats()["position"] = "lying"
    stats = player.get_stats()
    stats["current_dp"] = -3
    stats.update(max_magic_points=12, _mp_fractional=0.25)
    player.get_inventory().append(stack("candle", 3))
    player.get_equipped_items()["head"] = {**stack("hat"), "slot_type": "head"}
    player.get_status_effects().append({"effect_type": "bleeding", "duration": 3})
    await contract_persistence.save_player(player)

    loaded = await stored_player(contract_persistence, player)
    assert loaded.get_stats()["position"] == "lying"
    assert (loaded.current_dp, loaded.max_magic_points, loaded.mp_fractional) == (-3, 12, 0.25)
    assert loaded.get_inventory() == [stack("candle", 3)]
    assert loaded.get_equipped_items() == {"head": {**stack("hat"), "slot_type": "head"}}
    assert loaded.get_status_effects() == [{"effect_type": "bleeding", "duration": 3}]


@pytest.mark.parametrize("dp", [20, 1, 0, -1, -9, -10])
async def test_apply_dp_change_is_saved_at_every_boundary(
    contract_persistence: AsyncPersistenceLayer, dp: int
) -> None:
    player = await contract_persistence.create_player(name="Wounded", user_id=uuid.uuid4())
    player.apply_dp_change(dp)
    await contract_persistence.save_player(player)
    loaded = await stored_player(contract_persistence, player)
    assert loaded.current_dp == dp
    assert loaded.position == ("standing" if dp > 0 else "lying")
    assert loaded.get_health_state() == player.get_health_state()


async def test_respawn_and_decay_are_saved(contract_persistence: AsyncPersistenceLayer) -> None:
    player = await contract_persistence.create_player(
        name="Phoenix", user_id=uuid.uuid4(), stats={"current_dp": -9, "position": "lying"}
    )
    assert player.apply_dp_decay(5) == (-9, -10, False)
    await contract_persistence.save_player(player)
    assert (await stored_player(contract_persistence, player)).is_dead()
    assert player.restore_to_full_health() == -10
    await contract_persistence.save_player(player)
    loaded = await stored_player(contract_persistence, player)
    assert (loaded.current_dp, loaded.position, loaded.is_alive()) == (20, "standing", True)


async def test_a_full_inventory_is_saved_and_one_stack_more_is_refused(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    player = await contract_persistence.create_player(name="Packrat", user_id=uuid.uuid4())
    player.set_inventory([stack(f"item{n}") for n in range(20)])
    await contract_persistence.save_player(player)
    assert len((await stored_player(contract_persistence, player)).get_inventory()) == 20
    player.get_inventory().append(stack("straw"))
    with pytest.raises(ValidationError, match="inventory"):
        await contract_persistence.save_player(player)
    player.set_inventory([])
    await contract_persistence.save_player(player)
    assert (await stored_player(contract_persistence, player)).get_inventory() == []


async def test_admin_status_and_add_experience_are_saved(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    player = await contract_persistence.create_player(name="Warden", user_id=uuid.uuid4())
    player.set_admin_status(True)
    player.add_experience(250)
    await contract_persistence.save_player(player)
    loaded = await stored_player(contract_persistence, player)
    assert loaded.is_admin_user() and (loaded.experience_points, loaded.level) == (250, 3)


async def test_concurrent_gain_experience_during_set_inventory_and_save_keeps_both(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    created = await contract_persistence.create_player(name="Busy", user_id=uuid.uuid4())
    game_copy = await stored_player(
        contract_persistence, created
    )  # the game's object for this player
    award_copy = await stored_player(contract_persistence, created)  # the XP service's object

    async def game_side() -> None:
        game_copy.set_inventory([stack("journal")])
        await asyncio.sleep(0)
        await contract_persistence.save_player(game_copy)

    awards = [contract_persistence.gain_experience(award_copy, 10, "combat") for _ in range(20)]
    await asyncio.gather(game_side(), *awards)
    loaded = await stored_player(contract_persistence, created)
    assert loaded.get_inventory() == [stack("journal")]
    assert loaded.experience_points == 200


async def test_every_player_method_of_the_facade_takes_a_str_or_a_uuid(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    user = uuid.uuid4()
    player = await layer.create_player(name="Either", user_id=str(user))
    assert isinstance(player.player_id, str) and isinstance(player.user_id, str)
    for key in (player.player_id, player.player_uuid):
        assert (await stored_player(layer, player)).player_id == player.player_id
        assert (await layer.get_player_by_id(key)) is not None
        assert list(await layer.get_players_batch([key])) == [player.player_uuid]
        await layer.update_player_last_active(key)
        assert await layer.update_player_health(key, -1) in (19, 18)
        await layer.update_player_xp(key, 1)
        await layer.update_player_stat_field(key, "fear", 1)
        assert await layer.get_containers_by_entity_id(key) == []
    for account in (user, str(user)):
        assert (await layer.get_player_by_user_id(account)).player_id == player.player_id  # type: ignore[union-attr]
        assert [p.player_id for p in await layer.get_players_by_user_id(account)] == [
            player.player_id
        ]
        assert len(await layer.get_active_players_by_user_id(account)) == 1
    assert player.player_id in {p.player_id for p in await layer.list_players()}
    assert await layer.soft_delete_player(player.player_uuid)
    assert await layer.delete_player(player.player_id)
