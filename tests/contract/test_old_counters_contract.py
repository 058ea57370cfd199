"""The old layer's counter call shapes and semantics, on PostgreSQL and SQLite: the async_*
aliases, keyword calls, update_player_stat_field's whitelist and deltas, XP without levels
unless the level curve is switched on."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from mud_persistence import (
    AsyncPersistenceLayer,
    PersistenceSettings,
    ValidationError,
    ValidationTypeError,
)
from mud_persistence.events import PlayerDPUpdated, PlayerStatChanged, RecordingBus
from mud_persistence.models import Player

pytestmark = pytest.mark.contract

OLD_STAT_WHITELIST = [
    "current_dp",
    "lucidity",
    "occult_knowledge",
    "fear",
    "corruption",
    "cult_affiliation",
    "strength",
    "dexterity",
    "constitution",
    "intelligence",
    "wisdom",
    "charisma",
]


async def new_player(layer: AsyncPersistenceLayer, **stats: int) -> Player:
    return await layer.create_player(
        name=f"c{uuid.uuid4().hex[:10]}", user_id=uuid.uuid4(), stats=stats
    )


async def test_async_damage_and_heal_aliases_take_the_old_arguments(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    player = await new_player(layer, max_dp=50, current_dp=50, cold_resistance=25)
    assert await layer.async_damage_player(player, 10) == 40
    assert await layer.async_damage_player(player, 10, "water") == 32  # 7.5 rounds to 8
    assert await layer.async_damage_player(player=player, amount=2, damage_type="cold") == 30
    assert await layer.async_heal_player(player, 5) == 35
    assert await layer.async_heal_player(player=player, amount=100) == 50
    assert await layer.damage_player(player=player, amount=1, damage_type="fire") == 49
    assert await layer.heal_player(player=player, amount=1) == 50
    assert player.current_dp == 50 and player.changed_fields() == {}


async def test_stat_methods_take_the_old_keyword_names(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    player = await new_player(layer)
    assert await layer.apply_lucidity_loss(player=player, amount=10, source="tome") == 90
    assert await layer.apply_fear(player=player, amount=4, source="ghoul") == 4
    assert await layer.apply_corruption(player, 3, "pact") == 3
    assert await layer.gain_occult_knowledge(player=player, amount=2, source="book") == 2
    award = await layer.gain_experience(player=player, amount=7, source="quest")
    assert award.new_xp == 7 and player.experience_points == 7


@pytest.mark.parametrize("field", OLD_STAT_WHITELIST)
async def test_every_stat_of_the_old_whitelist_can_be_changed(
    contract_persistence: AsyncPersistenceLayer, field: str
) -> None:
    layer = contract_persistence
    player = await new_player(layer, max_dp=40, current_dp=20, lucidity=50, strength=50)
    before = getattr(player, field)
    after = await layer.update_player_stat_field(player.player_id, field, 3, "test")
    assert after == before + 3
    stored = await layer.get_player_by_id(player.player_id)
    assert stored is not None and getattr(stored, field) == after


async def test_current_dp_through_the_stat_field_is_clamped_like_health(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    player = await new_player(layer, max_dp=30, current_dp=20)
    assert await layer.update_player_stat_field(player.player_id, "current_dp", 500) == 30
    floor = layer.settings.dp_floor
    assert (
        await layer.update_player_stat_field(
            player_id=str(player.player_id), field_name="current_dp", delta=-500, reason="fall"
        )
        == floor
    )


async def test_integral_float_deltas_count_as_whole_numbers(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    player = await new_player(layer)
    assert await layer.update_player_stat_field(player.player_id, "fear", 5.0) == 5
    assert await layer.update_player_stat_field(player.player_id, "lucidity", -10.0) == 90
    with pytest.raises(ValidationError, match="whole number"):
        await layer.update_player_stat_field(player.player_id, "fear", 0.5)


@pytest.mark.parametrize("delta", ["5", None, [1], b"1", True])
async def test_a_delta_that_is_no_number_is_a_type_error_and_a_validation_error(
    contract_persistence: AsyncPersistenceLayer, delta: object
) -> None:
    layer = contract_persistence
    player = await new_player(layer)
    with pytest.raises(TypeError) as caught:
        await layer.update_player_stat_field(player.player_id, "fear", delta)  # type: ignore[arg-type]
    assert isinstance(caught.value, ValidationError)
    assert isinstance(caught.value, ValidationTypeError) and caught.value.field == "delta"
    stored = await layer.get_player_by_id(player.player_id)
    assert stored is not None and stored.fear == 0


async def test_update_player_xp_refuses_a_negative_delta(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    player = await new_player(layer)
    await layer.update_player_xp(player.player_id, 40, "quest")
    with pytest.raises(ValidationError, match="delta") as caught:
        await layer.update_player_xp(player_id=player.player_id, delta=-1, reason="penalty")
    assert caught.value.field == "delta" and caught.value.value == -1
    stored = await layer.get_player_by_id(player.player_id)
    assert stored is not None and stored.experience_points == 40


async def test_stat_field_events_name_the_field_and_dp_events_come_from_health(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    bus = RecordingBus()
    layer = AsyncPersistenceLayer(settings=contract_persistence.settings, event_bus=bus)
    async with layer:
        player = await new_player(layer, max_dp=30, current_dp=20)
        await layer.update_player_stat_field(player.player_id, "current_dp", -5, "trap")
        await layer.update_player_stat_field(player.player_id, "wisdom", 2, "study")
    (dp_event,) = bus.of(PlayerDPUpdated)
    assert (dp_event.old_dp, dp_event.new_dp, dp_event.source) == (20, 15, "trap")
    (stat_event,) = bus.of(PlayerStatChanged)
    assert (stat_event.field, stat_event.old_value, stat_event.new_value) == ("wisdom", 50, 52)


async def test_the_opt_in_level_curve_levels_players_atomically(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    settings = PersistenceSettings(
        **{**contract_persistence.settings.model_dump(), "xp_per_level": 100}
    )
    async with AsyncPersistenceLayer(settings=settings) as layer:
        player = await new_player(layer)
        award = await layer.gain_experience(player, 250, "boss")
        assert (award.old_level, award.new_level, award.leveled_up) == (1, 3, True)
        assert (player.experience_points, player.level) == (250, 3)
        award = await layer.update_player_xp(player.player_id, 60)
        assert (award.new_xp, award.new_level) == (310, 4)
        stored = await layer.get_player_by_id(player.player_id)
        assert stored is not None and (stored.experience_points, stored.level) == (310, 4)


class Label(enum.Enum):
    COLD = "cold"


# each call that takes a text label, and the label's name; the label is stored with its events
LABELLED_CALLS: dict[str, tuple[str, Callable[[AsyncPersistenceLayer, Player, Any], Any]]] = {
    "damage_player": ("damage_type", lambda layer, p, label: layer.damage_player(p, 1, label)),
    "update_player_health": (
        "reason",
        lambda layer, p, label: layer.update_player_health(p.player_id, -1, reason=label),
    ),
    "gain_experience": ("source", lambda layer, p, label: layer.gain_experience(p, 1, label)),
    "update_player_xp": (
        "reason",
        lambda layer, p, label: layer.update_player_xp(p.player_id, 1, reason=label),
    ),
    "update_player_stat_field": (
        "reason",
        lambda layer, p, label: layer.update_player_stat_field(p.player_id, "fear", 1, label),
    ),
    "apply_fear": ("source", lambda layer, p, label: layer.apply_fear(p, 1, source=label)),
}


@pytest.mark.parametrize("method", LABELLED_CALLS)
@pytest.mark.parametrize("label", [Label.COLD, 5])
async def test_a_counter_label_that_is_no_string_is_refused_and_changes_nothing(
    contract_persistence: AsyncPersistenceLayer, method: str, label: object
) -> None:
    layer = contract_persistence
    player = await new_player(layer, max_dp=50, current_dp=50)
    field, call = LABELLED_CALLS[method]
    with pytest.raises(ValidationError, match=f"{field} must be a string") as caught:
        await call(layer, player, label)
    assert caught.value.field == field and caught.value.value == label
    stored = await layer.get_player_by_id(player.player_id)
    assert stored is not None
    assert (stored.current_dp, stored.experience_points, stored.fear) == (50, 0, 0)
