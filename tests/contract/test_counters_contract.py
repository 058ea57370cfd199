"""Health, experience and stat methods, on PostgreSQL and SQLite."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from mud_persistence import AsyncPersistenceLayer, NotFoundError, ValidationError
from mud_persistence.models import Player


async def new_player(layer: AsyncPersistenceLayer, **stats: int) -> Player:
    return await layer.create_player(
        name=f"p{uuid.uuid4().hex[:10]}", user_id=uuid.uuid4(), stats=stats
    )


async def stored(layer: AsyncPersistenceLayer, player: Player) -> Player:
    found = await layer.get_player_by_id(player.player_id)
    assert found is not None
    return found


async def test_damage_and_heal_clamp_and_update_the_object(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    player = await new_player(contract_persistence, constitution=60, size=90)  # max 30
    assert await contract_persistence.heal_player(player, 100) == 30
    assert player.current_dp == 30 and player.changed_fields() == {}
    assert await contract_persistence.damage_player(player, 12) == 18
    assert await contract_persistence.damage_player(player, 500) == -10  # the default dp_floor
    assert await contract_persistence.update_player_health(player.player_id, 7, "potion") == -3
    assert await contract_persistence.update_player_health(str(player.player_id), -9) == -10
    assert (await stored(contract_persistence, player)).current_dp == -10


@pytest.mark.parametrize(
    ("damage_type", "amount", "resistance", "loss"),
    [
        ("cold", 10, 50, 5),
        ("water", 10, 25, 8),  # 7.5 rounds half to even, as the old layer's round() did
        ("cold", 1, 90, 1),  # at least 1
        ("cold", 10, 100, 1),
        ("fire", 10, 100, 10),  # only cold and water are resisted
        ("cold", 0, 0, 0),
    ],
)
async def test_cold_resistance_reduces_cold_and_water_damage(
    contract_persistence: AsyncPersistenceLayer,
    damage_type: str,
    amount: int,
    resistance: int,
    loss: int,
) -> None:
    player = await new_player(
        contract_persistence, cold_resistance=resistance, max_dp=100, current_dp=100
    )
    new_dp = await contract_persistence.damage_player(player, amount, damage_type)
    assert new_dp == 100 - loss


def old_layer_loss(amount: int, resistance: int) -> int:
    """The old layer's cold and water damage: Python's round() of a float product."""
    return max(1, round(amount * (1.0 - resistance / 100.0)))


# Halves (7.5, 2.5, 1.5) and products whose float error decides the rounding (4325 at 6%,
# 550 at 7%, ...: exact arithmetic would give one more).
ROUNDING_CASES = [
    (10, 25),
    (5, 50),
    (3, 50),
    (1, 50),
    (7, 50),
    (10, 35),
    (4325, 6),
    (550, 7),
    (950, 7),
    (8625, 6),
    (2150, 7),
    (99, 1),
    (9999, 99),
]


async def test_cold_damage_rounds_exactly_as_the_old_layer(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    for amount, resistance in ROUNDING_CASES:
        player = await new_player(
            contract_persistence, cold_resistance=resistance, max_dp=10_000, current_dp=10_000
        )
        new_dp = await contract_persistence.damage_player(player, amount, "cold")
        assert 10_000 - new_dp == old_layer_loss(amount, resistance), (amount, resistance)


async def test_experience_changes_xp_only_and_stats_stay_in_range(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    player = await new_player(contract_persistence)
    award = await contract_persistence.gain_experience(player, 250, "quest")
    # the old contract: XP only; the level belongs to the game (opt in with xp_per_level)
    assert (award.old_xp, award.new_xp, award.old_level, award.new_level) == (0, 250, 1, 1)
    assert not award.leveled_up and (player.experience_points, player.level) == (250, 1)
    award = await contract_persistence.update_player_xp(player.player_id, 50, "bonus")
    assert (award.new_xp, award.new_level, award.amount) == (300, 1, 50)
    with pytest.raises(ValidationError, match="delta"):
        await contract_persistence.update_player_xp(player.player_id, -1000, "penalty")
    assert (await stored(contract_persistence, player)).experience_points == 300

    assert await contract_persistence.apply_fear(player, 150) == 100
    assert await contract_persistence.apply_lucidity_loss(player, 30) == 70
    assert await contract_persistence.apply_corruption(player, 5) == 5
    assert await contract_persistence.gain_occult_knowledge(player, 200) == 100
    assert await contract_persistence.update_player_stat_field(player.player_id, "luck", -500) == 1
    assert (player.fear, player.lucidity, player.corruption) == (100, 70, 5)
    saved = await stored(contract_persistence, player)
    assert (saved.fear, saved.lucidity, saved.occult_knowledge, saved.luck) == (100, 70, 100, 1)


async def test_concurrent_awards_are_exact(contract_persistence: AsyncPersistenceLayer) -> None:
    player = await new_player(contract_persistence, max_dp=100, current_dp=100)
    await asyncio.gather(
        *(contract_persistence.gain_experience(player, 1) for _ in range(120)),
        *(contract_persistence.damage_player(player, 1) for _ in range(60)),
    )
    saved = await stored(contract_persistence, player)
    assert (saved.experience_points, saved.level, saved.current_dp) == (120, 1, 40)


@pytest.mark.parametrize(
    ("call", "bad_field"),
    [
        (lambda layer, p: layer.damage_player(p, -1), "amount"),
        (lambda layer, p: layer.heal_player(p, -5), "amount"),
        (lambda layer, p: layer.damage_player(p, 2.5), "amount"),
        (lambda layer, p: layer.gain_experience(p, -10), "amount"),
        (lambda layer, p: layer.gain_experience(p, True), "amount"),
        (lambda layer, p: layer.apply_fear(p, -3), "amount"),
        (lambda layer, p: layer.update_player_xp(p.player_id, "10"), "delta"),
        (lambda layer, p: layer.update_player_health(p.player_id, 1.5), "delta"),
        (lambda layer, p: layer.update_player_stat_field(p.player_id, "luck", 0.5), "delta"),
        (lambda layer, p: layer.update_player_stat_field(p.player_id, "level", 1), "field_name"),
        (lambda layer, p: layer.update_player_stat_field(p.player_id, "name", 1), "field_name"),
        (
            lambda layer, p: layer.update_player_stat_field(
                p.player_id, "luck = 0; DROP TABLE players; --", 1
            ),
            "field_name",
        ),
        (lambda layer, p: layer.update_player_health("not-a-uuid", 1), "player_id"),
    ],
)
async def test_bad_amounts_and_fields_are_refused_and_nothing_changes(
    contract_persistence: AsyncPersistenceLayer, call: object, bad_field: str
) -> None:
    player = await new_player(contract_persistence)
    before = (await stored(contract_persistence, player)).get_stats()
    with pytest.raises(ValidationError) as caught:
        await call(contract_persistence, player)  # type: ignore[operator]
    assert caught.value.field == bad_field
    after = await stored(contract_persistence, player)
    assert after.get_stats() == before and after.experience_points == 0


async def test_unknown_or_deleted_players_are_not_found(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    with pytest.raises(NotFoundError):
        await contract_persistence.update_player_xp(uuid.uuid4(), 5)
    player = await new_player(contract_persistence)
    await contract_persistence.soft_delete_player(player.player_id)
    with pytest.raises(NotFoundError):
        await contract_persistence.damage_player(player, 1)
    with pytest.raises(NotFoundError):
        await contract_persistence.update_player_stat_field(player.player_id, "fear", 1)
