"""Idempotency keys on PostgreSQL, SQLite and PgBouncer: a keyed write is applied once, a repeat
returns the recorded result, other arguments are a conflict, keys expire."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from mud_persistence import (
    AsyncPersistenceLayer,
    ConflictError,
    NotFoundError,
    StaleDataError,
    ValidationError,
)
from mud_persistence.events import PlayerXPAwarded, RecordingBus
from mud_persistence.models import IdempotencyKey, Player
from mud_persistence.settings import load_settings
from tests.conftest import stored_player

COIN = "misc.coin.silver"


async def new_player(layer: AsyncPersistenceLayer) -> Player:
    return await layer.create_player(name=f"p{uuid.uuid4().hex[:10]}", user_id=uuid.uuid4())


async def stored_keys(layer: AsyncPersistenceLayer) -> list[str]:
    with layer._database.bound():
        return sorted(await IdempotencyKey.all().values_list("key", flat=True))  # type: ignore[arg-type]


@pytest.fixture
async def recorded(
    contract_persistence: AsyncPersistenceLayer,
) -> AsyncIterator[tuple[AsyncPersistenceLayer, RecordingBus]]:
    """A second layer on the same database, with a bus that records its events."""
    bus = RecordingBus()
    layer = AsyncPersistenceLayer(settings=contract_persistence.settings, event_bus=bus)
    await layer.connect()
    yield layer, bus
    await layer.close()


async def test_a_repeat_returns_the_recorded_result_and_applies_nothing(
    recorded: tuple[AsyncPersistenceLayer, RecordingBus],
) -> None:
    layer, bus = recorded
    player = await new_player(layer)
    first = await layer.gain_experience(player, 40, "quest", idempotency_key="quest-7:reward")
    again = await layer.gain_experience(player, 40, "quest", idempotency_key="quest-7:reward")
    assert again == first and first.new_xp == 40
    assert (await stored_player(layer, player)).experience_points == 40
    assert len(bus.of(PlayerXPAwarded)) == 1  # the repeat published nothing
    # the same award without a key, or with another key, is another award
    await layer.gain_experience(player, 40, "quest")
    await layer.gain_experience(player, 40, "quest", idempotency_key="quest-8:reward")
    assert (await stored_player(layer, player)).experience_points == 120


async def test_same_arguments_means_same_intent_not_same_objects(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    player = await new_player(layer)
    first = await layer.update_player_xp(player.player_uuid, 5, idempotency_key="k1")
    # the id as text, defaults spelled out, another object for the same player
    assert await layer.update_player_xp(str(player.player_id).upper(), 5, "", idempotency_key="k1")
    assert await layer.update_player_xp(player.player_id, delta=5, idempotency_key="k1") == first
    assert await layer.update_player_stat_field(player.player_id, "luck", 2, idempotency_key="s")
    assert await layer.update_player_stat_field(player.player_id, "luck", 2.0, idempotency_key="s")
    other_object = await stored_player(layer, player)
    other_object.current_room_id = "somewhere_else"  # damage does not read the room
    assert await layer.damage_player(player, 3, idempotency_key="hit") == 17
    assert await layer.damage_player(other_object, 3, idempotency_key="hit") == 17
    found = await stored_player(layer, player)
    assert (found.experience_points, found.luck, found.current_dp) == (5, 52, 17)


async def test_text_that_differs_in_letter_case_is_another_argument_unless_it_is_a_uuid_id(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    await layer.seed_item_prototypes()
    upper = "ABCDEF01-0000-4000-8000-000000000001"
    await layer.create_item_instance(upper, COIN, idempotency_key="drop-1")
    # an item id is text: in other letters it names another item
    with pytest.raises(ConflictError, match="create_item_instance with other arguments"):
        await layer.create_item_instance(upper.lower(), COIN, idempotency_key="drop-1")
    # a player id is a UUID, whichever letters spell it
    player = await new_player(layer)
    first = await layer.update_player_xp(str(player.player_id).upper(), 5, idempotency_key="x")
    assert await layer.update_player_xp(str(player.player_id), 5, idempotency_key="x") == first


async def test_the_same_key_with_other_arguments_or_another_method_is_a_conflict(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    player = await new_player(layer)
    await layer.damage_player(player, 5, idempotency_key="combat:42")
    with pytest.raises(ConflictError, match=r"'combat:42'.*damage_player with other arguments"):
        await layer.damage_player(player, 6, idempotency_key="combat:42")
    with pytest.raises(ConflictError, match=r"'combat:42' was used for damage_player, not heal"):
        await layer.heal_player(player, 5, idempotency_key="combat:42")
    assert (await stored_player(layer, player)).current_dp == 15


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "empty or blank"),
        ("   ", "empty or blank"),
        ("k" * 256, "at most 255 characters"),
        ("a\0b", "NUL"),
        (42, "must be a string"),
    ],
)
async def test_a_bad_key_is_refused_and_nothing_is_written(
    contract_persistence: AsyncPersistenceLayer, key: Any, problem: str
) -> None:
    layer = contract_persistence
    player = await new_player(layer)
    with pytest.raises(ValidationError, match=problem) as caught:
        await layer.gain_experience(player, 5, idempotency_key=key)
    assert (caught.value.field, caught.value.value) == ("idempotency_key", key)
    assert (await stored_player(layer, player)).experience_points == 0
    assert await stored_keys(layer) == []
    assert await layer.gain_experience(player, 5, idempotency_key="k" * 255)


async def test_a_call_that_fails_records_nothing_and_its_key_stays_free(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    missing = uuid.uuid4()
    with pytest.raises(NotFoundError):
        await layer.update_player_xp(missing, 5, idempotency_key="late")
    assert await stored_keys(layer) == []
    player = await new_player(layer)
    await layer.update_player_xp(player.player_id, 5, idempotency_key="other-call")
    assert await stored_keys(layer) == ["other-call"]


async def test_concurrent_calls_with_one_key_apply_once_and_all_return_its_result(
    recorded: tuple[AsyncPersistenceLayer, RecordingBus],
) -> None:
    layer, bus = recorded
    player = await new_player(layer)
    awards = await asyncio.gather(
        *(layer.gain_experience(player, 7, idempotency_key="raid-boss") for _ in range(8)),
        *(layer.gain_experience(player, 1, idempotency_key=f"hit-{n}") for n in range(8)),
    )
    assert len({award.new_xp for award in awards[:8]}) == 1  # one award, eight answers
    assert (await stored_player(layer, player)).experience_points == 7 + 8
    assert len(bus.of(PlayerXPAwarded)) == 9


async def test_keys_expire_and_expired_keys_are_deleted_in_the_background(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    settings = load_settings(
        contract_persistence.settings, idempotency_key_ttl=0.3, idempotency_cleanup_interval=0.2
    )
    layer = AsyncPersistenceLayer(settings=settings)
    try:
        player = await new_player(layer)
        await layer.gain_experience(player, 5, idempotency_key="daily-login")
        await layer.gain_experience(player, 5, idempotency_key="daily-login")
        assert (await stored_player(layer, player)).experience_points == 5
        await asyncio.sleep(0.35)
        # expired: counts as absent, and the same statement that claims it takes it over
        await layer.gain_experience(player, 5, idempotency_key="daily-login")
        await layer.gain_experience(player, 6, idempotency_key="another-day")
        assert (await stored_player(layer, player)).experience_points == 16
        await asyncio.sleep(0.35)  # both expire
        await layer.gain_experience(player, 1, idempotency_key="fresh")  # starts a sweep
        sweeps = list(layer._idempotency._cleanups)
        assert len(sweeps) == 1
        await asyncio.gather(*sweeps)
        assert await stored_keys(layer) == ["fresh"]
    finally:
        await layer.close()


async def test_a_repeated_save_marks_the_object_saved(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    player = await new_player(layer)
    copy = await stored_player(layer, player)
    player.cold_resistance = copy.cold_resistance = 10
    await layer.save_player(player, idempotency_key="wear-furs")
    await layer.save_player(player, idempotency_key="wear-furs")  # the same object, saved
    # the same change from an object whose first save's answer was lost
    await layer.save_player(copy, idempotency_key="wear-furs")
    assert copy.changed_fields() == {}
    copy.cold_resistance = 20
    await layer.save_player(copy)  # no StaleDataError: the object knows 10 was saved
    player.cold_resistance = 30
    with pytest.raises(ConflictError, match="save_player with other arguments"):
        await layer.save_player(player, idempotency_key="wear-furs")
    with pytest.raises(StaleDataError):
        await layer.save_player(player)
    assert (await stored_player(layer, player)).cold_resistance == 20


Call = Callable[[AsyncPersistenceLayer, dict[str, Any], str], Awaitable[Any]]


async def world(layer: AsyncPersistenceLayer) -> dict[str, Any]:
    await layer.seed_item_prototypes()
    player = await new_player(layer)
    chest = await layer.create_container_data("environment", room_id="hall", items=[])
    pack = await layer.create_container_data("equipment", entity_id=player.player_id)
    await layer.create_item_instance("loose", COIN)
    in_chest = await layer.create_container_data(
        "environment", room_id="yard", items=[{"item_id": COIN, "item_instance_id": "in-chest"}]
    )
    effect = await layer.add_player_effect(player.player_id, "poisoned", "harm", 5, 1)
    return {"player": player, "chest": chest, "pack": pack, "in_chest": in_chest, "fx": effect}


# One call of every keyed write; each is run twice with one key.
CALLS: dict[str, Call] = {
    "create_player": lambda p, w, k: p.create_player(
        name="Keyed", user_id=w["player"].user_id, idempotency_key=k
    ),
    "save_player": lambda p, w, k: p.save_player(w["player"], idempotency_key=k),
    "save_players": lambda p, w, k: p.save_players([w["player"]], idempotency_key=k),
    "soft_delete_player": lambda p, w, k: p.soft_delete_player(
        w["player"].player_id, idempotency_key=k
    ),
    "delete_player": lambda p, w, k: p.delete_player(uuid.UUID(int=7), idempotency_key=k),
    "update_player_last_active": lambda p, w, k: p.update_player_last_active(
        w["player"].player_id, idempotency_key=k
    ),
    "damage_player": lambda p, w, k: p.damage_player(w["player"], 2, idempotency_key=k),
    "heal_player": lambda p, w, k: p.heal_player(w["player"], 2, idempotency_key=k),
    "async_damage_player": lambda p, w, k: p.async_damage_player(w["player"], 2, idempotency_key=k),
    "async_heal_player": lambda p, w, k: p.async_heal_player(w["player"], 2, idempotency_key=k),
    "update_player_health": lambda p, w, k: p.update_player_health(
        w["player"].player_id, -1, idempotency_key=k
    ),
    "gain_experience": lambda p, w, k: p.gain_experience(w["player"], 3, idempotency_key=k),
    "update_player_xp": lambda p, w, k: p.update_player_xp(
        w["player"].player_id, 3, idempotency_key=k
    ),
    "update_player_stat_field": lambda p, w, k: p.update_player_stat_field(
        w["player"].player_id, "fear", 3, idempotency_key=k
    ),
    "apply_lucidity_loss": lambda p, w, k: p.apply_lucidity_loss(w["player"], 3, idempotency_key=k),
    "apply_fear": lambda p, w, k: p.apply_fear(w["player"], 3, idempotency_key=k),
    "apply_corruption": lambda p, w, k: p.apply_corruption(w["player"], 3, idempotency_key=k),
    "gain_occult_knowledge": lambda p, w, k: p.gain_occult_knowledge(
        w["player"], 3, idempotency_key=k
    ),
    "add_player_effect": lambda p, w, k: p.add_player_effect(
        w["player"].player_id, "blessed", "buff", 9, 1, {"intensity": 2}, idempotency_key=k
    ),
    "remove_player_effect_by_id": lambda p, w, k: p.remove_player_effect_by_id(
        w["fx"], idempotency_key=k
    ),
    "expire_player_effects_for_tick": lambda p, w, k: p.expire_player_effects_for_tick(
        50, idempotency_key=k
    ),
    "create_container": lambda p, w, k: p.create_container(
        "corpse", room_id="crypt", items_json=[{"item_id": COIN}], idempotency_key=k
    ),
    "create_container_data": lambda p, w, k: p.create_container_data(
        "corpse", room_id="crypt", items=[{"item_id": COIN}], idempotency_key=k
    ),
    "update_container": lambda p, w, k: p.update_container(
        w["chest"].container_id, lock_state="locked", idempotency_key=k
    ),
    "update_container_data": lambda p, w, k: p.update_container_data(
        w["chest"].container_id, metadata_json={"dusty": True}, idempotency_key=k
    ),
    "delete_container": lambda p, w, k: p.delete_container(
        w["chest"].container_id, idempotency_key=k
    ),
    "add_item_to_container": lambda p, w, k: p.add_item_to_container(
        w["pack"].container_id, "loose", idempotency_key=k
    ),
    "remove_item_from_container": lambda p, w, k: p.remove_item_from_container(
        w["in_chest"].container_id, "in-chest", idempotency_key=k
    ),
    "transfer_item": lambda p, w, k: p.transfer_item(
        "in-chest",
        from_container_id=w["in_chest"].container_id,
        to_container_id=w["pack"].container_id,
        idempotency_key=k,
    ),
    "create_item_instance": lambda p, w, k: p.create_item_instance(
        "lamp", "light.lantern.brass", {"condition": 80}, idempotency_key=k
    ),
    "ensure_item_instance": lambda p, w, k: p.ensure_item_instance(
        "lamp-2", "light.lantern.brass", idempotency_key=k
    ),
    "upsert_item_instance": lambda p, w, k: p.upsert_item_instance(
        "loose", COIN, quantity=3, idempotency_key=k
    ),
    "seed_item_prototypes": lambda p, w, k: p.seed_item_prototypes(idempotency_key=k),
    "seed_professions": lambda p, w, k: p.seed_professions(idempotency_key=k),
}


def comparable(result: Any) -> Any:
    """Tortoise objects by class and primary key; anything else as it is."""
    if isinstance(result, Player | IdempotencyKey) or hasattr(result, "_meta"):
        return (type(result).__name__, str(result.pk))
    return result


@pytest.mark.parametrize("name", list(CALLS))
async def test_every_keyed_write_repeats_its_first_result(
    contract_persistence: AsyncPersistenceLayer, name: str
) -> None:
    layer = contract_persistence
    state = await world(layer)
    first = await CALLS[name](layer, state, f"key-{name}")
    again = await CALLS[name](layer, state, f"key-{name}")
    assert type(again) is type(first)
    assert comparable(again) == comparable(first)
    assert await stored_keys(layer) == [f"key-{name}"]


async def test_a_repeat_whose_recorded_row_is_gone_says_so(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    user = uuid.uuid4()
    created = await layer.create_player(name="Gone", user_id=user, idempotency_key="make-gone")
    await layer.delete_player(created.player_id)
    with pytest.raises(NotFoundError) as caught:
        await layer.create_player(name="Gone", user_id=user, idempotency_key="make-gone")
    assert str(caught.value) == (
        f"create_player already ran with idempotency key 'make-gone' and created player "
        f"'{created.player_id}', which no longer exists: nothing was done; use a new key to "
        "run the call again"
    )
    assert (caught.value.entity, str(caught.value.key)) == ("Player", str(created.player_id))
