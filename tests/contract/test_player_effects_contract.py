"""The six player-effect methods with the old tick semantics, on PostgreSQL and SQLite."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError

from mud_persistence import (
    AsyncPersistenceLayer,
    NotFoundError,
    PlayerEffectData,
    ValidationError,
)
from mud_persistence.models import EFFECT_EXPIRY_INDEX, Player

pytestmark = pytest.mark.contract


async def new_player(layer: AsyncPersistenceLayer) -> Player:
    return await layer.create_player(name=f"e{uuid.uuid4().hex[:10]}", user_id=uuid.uuid4())


async def test_apply_with_the_old_positional_and_keyword_call_shapes(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    player = await new_player(layer)
    # login_grace_period.py calls it with the player's UUID and keywords after the id.
    warded = await layer.add_player_effect(
        player.player_id,
        effect_type="login_warded",
        category="entry_ward",
        duration=10,
        applied_at_tick=100,
        options={"intensity": 1, "source": "game_entry", "visibility_level": "visible"},
    )
    poisoned = await layer.add_player_effect(str(player.player_id), "poison", "dot", 5, 102)
    assert isinstance(warded, str) and uuid.UUID(warded)
    assert isinstance(poisoned, str) and poisoned != warded

    effects = await layer.get_active_player_effects(player.player_id, 103)
    assert [e.id for e in effects] == [warded, poisoned]  # by applied_at_tick
    first, second = effects
    assert isinstance(first, PlayerEffectData)
    assert (first.player_id, first.effect_type, first.category) == (
        str(player.player_id),
        "login_warded",
        "entry_ward",
    )
    assert (first.duration, first.applied_at_tick, first.intensity) == (10, 100, 1)
    assert (first.source, first.visibility_level) == ("game_entry", "visible")
    assert (second.intensity, second.source, second.visibility_level) == (1, None, "visible")

    # as the old procedure did, an explicit None takes the default
    await layer.add_player_effect(
        player.player_id, "dazed", "control", 4, 103, {"intensity": None, "visibility_level": None}
    )
    dazed = (await layer.get_active_player_effects(player.player_id, 103))[-1]
    assert (dazed.effect_type, dazed.intensity, dazed.visibility_level) == ("dazed", 1, "visible")
    assert first.created_at is not None


async def test_an_effect_is_active_while_ticks_remain(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    player = await new_player(layer)
    await layer.add_player_effect(player.player_id, "stunned", "control", 3, 10)

    # remaining = duration - (current_tick - applied_at_tick); active while > 0
    for tick, remaining in [(10, 3), (11, 2), (12, 1)]:
        assert await layer.get_player_effect_remaining_ticks(player.player_id, "stunned", tick) == (
            remaining
        )
        assert await layer.has_player_effect(player.player_id, "stunned", tick)
        assert len(await layer.get_active_player_effects(player.player_id, tick)) == 1
    for tick in (13, 50):
        assert (
            await layer.get_player_effect_remaining_ticks(
                player_id=player.player_id, effect_type="stunned", current_tick=tick
            )
            is None
        )
        assert not await layer.has_player_effect(
            player_id=player.player_id, effect_type="stunned", current_tick=tick
        )
        assert await layer.get_active_player_effects(player.player_id, current_tick=tick) == []
    assert not await layer.has_player_effect(player.player_id, "blinded", 10)


async def test_remaining_ticks_come_from_the_oldest_active_effect_of_the_type(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    player = await new_player(layer)
    await layer.add_player_effect(player.player_id, "bleeding", "dot", 20, 5)
    await layer.add_player_effect(player.player_id, "bleeding", "dot", 2, 9)
    assert await layer.get_player_effect_remaining_ticks(player.player_id, "bleeding", 10) == 15


async def test_effects_belong_to_their_player(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    one, other = await new_player(layer), await new_player(layer)
    await layer.add_player_effect(one.player_id, "hasted", "buff", 5, 0)
    assert not await layer.has_player_effect(other.player_id, "hasted", 1)
    assert await layer.get_active_player_effects(other.player_id, 1) == []


async def test_expire_removes_every_finished_effect_in_one_sweep(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    one, other = await new_player(layer), await new_player(layer)
    await layer.add_player_effect(one.player_id, "login_warded", "entry_ward", 5, 0)  # ends 5
    await layer.add_player_effect(other.player_id, "poison", "dot", 3, 1)  # ends at tick 4
    await layer.add_player_effect(one.player_id, "blessed", "buff", 10, 0)  # ends at tick 10
    await layer.add_player_effect(other.player_id, "dazed", "control", 0, 2)  # never active

    assert await layer.expire_player_effects_for_tick(1) == []
    expired = await layer.expire_player_effects_for_tick(current_tick=5)
    assert sorted(expired) == sorted(
        [
            (str(one.player_id), "login_warded"),
            (str(other.player_id), "poison"),
            (str(other.player_id), "dazed"),
        ]
    )
    assert all(isinstance(pid, str) and isinstance(kind, str) for pid, kind in expired)
    assert await layer.expire_player_effects_for_tick(5) == []
    remaining = await layer.get_active_player_effects(one.player_id, 5)
    assert [e.effect_type for e in remaining] == ["blessed"]
    assert await layer.expire_player_effects_for_tick(10) == [(str(one.player_id), "blessed")]


async def test_concurrent_sweeps_of_one_tick_report_each_effect_once(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    player = await new_player(layer)
    for n in range(20):
        await layer.add_player_effect(player.player_id, f"e{n}", "test", 1, 0)
    sweeps = await asyncio.gather(*(layer.expire_player_effects_for_tick(1) for _ in range(4)))
    reported = [effect for sweep in sweeps for effect in sweep]
    assert sorted(kind for _, kind in reported) == sorted(f"e{n}" for n in range(20))


async def test_remove_by_id(contract_persistence: AsyncPersistenceLayer) -> None:
    layer = contract_persistence
    player = await new_player(layer)
    effect_id = await layer.add_player_effect(player.player_id, "cursed", "curse", 100, 0)
    kept = await layer.add_player_effect(player.player_id, "cursed", "curse", 100, 0)
    assert await layer.remove_player_effect_by_id(effect_id) is True
    assert await layer.remove_player_effect_by_id(effect_id=uuid.UUID(effect_id)) is False
    assert [e.id for e in await layer.get_active_player_effects(player.player_id, 1)] == [kept]


async def test_deleting_a_player_deletes_its_effects(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    player, other = await new_player(layer), await new_player(layer)
    doomed = await layer.add_player_effect(player.player_id, "marked", "curse", 100, 0)
    await layer.add_player_effect(other.player_id, "marked", "curse", 100, 0)
    assert await layer.delete_player(player.player_id)
    assert await layer.get_active_player_effects(player.player_id, 1) == []
    assert await layer.remove_player_effect_by_id(doomed) is False  # the row went with the player
    assert len(await layer.get_active_player_effects(other.player_id, 1)) == 1


async def test_an_effect_for_an_unknown_player_is_not_found(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    with pytest.raises(NotFoundError):
        await contract_persistence.add_player_effect(uuid.uuid4(), "poison", "dot", 3, 0)


@pytest.mark.parametrize(
    ("arguments", "options", "field"),
    [
        (("", "dot", 3, 0), None, "effect_type"),
        (("x" * 65, "dot", 3, 0), None, "effect_type"),
        (("poison", "", 3, 0), None, "category"),
        (("poison", "dot", -1, 0), None, "duration"),
        (("poison", "dot", 2.5, 0), None, "duration"),
        (("poison", "dot", 3, -4), None, "applied_at_tick"),
        (("poison", "dot", 3, 0), {"intensity": "high"}, "intensity"),
        (("poison", "dot", 3, 0), {"source": "s" * 129}, "source"),
        (("poison", "dot", 3, 0), {"visibilty_level": "hidden"}, "visibilty_level"),
    ],
)
async def test_bad_effects_are_refused_naming_the_field(
    contract_persistence: AsyncPersistenceLayer,
    arguments: tuple[object, ...],
    options: dict[str, object] | None,
    field: str,
) -> None:
    layer = contract_persistence
    player = await new_player(layer)
    with pytest.raises(ValidationError) as caught:
        await layer.add_player_effect(player.player_id, *arguments, options)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert await layer.get_active_player_effects(player.player_id, 0) == []


async def test_bad_ticks_and_ids_are_validation_errors(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    with pytest.raises(ValidationError, match="current_tick"):
        await layer.expire_player_effects_for_tick("5")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="player_id"):
        await layer.has_player_effect("nobody", "poison", 1)
    with pytest.raises(ValidationError, match="effect_id"):
        await layer.remove_player_effect_by_id("not-a-uuid")


async def run_sql(layer: AsyncPersistenceLayer, sql: str) -> list[dict[str, object]]:
    with layer._database.bound():
        return await connections.get(layer.settings.connection_name).execute_query_dict(sql)


async def test_the_table_rules_hold_in_the_database_itself(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    """Rows written by other tools get the defaults, the checks, the foreign key and the
    cascade, on both backends (SQLite's schema comes from the models, PostgreSQL's from the
    migration)."""
    layer = contract_persistence
    player = await new_player(layer)
    pid = str(player.player_id)

    def insert(effect_id: str, owner: str, duration: int = 5) -> str:
        return (
            "INSERT INTO player_effects (id, player_id, effect_type, category, duration,"
            f" applied_at_tick) VALUES ('{effect_id}', '{owner}', 'raw', 'sql', {duration}, 0)"
        )

    effect_id = str(uuid.uuid4())
    await run_sql(layer, insert(effect_id, pid))
    (effect,) = await layer.get_active_player_effects(pid, 1)
    assert (effect.id, effect.intensity, effect.visibility_level, effect.source) == (
        effect_id,
        1,
        "visible",
        None,
    )
    assert effect.created_at is not None
    with pytest.raises(IntegrityError):
        await run_sql(layer, insert(str(uuid.uuid4()), pid, duration=-1))
    with pytest.raises(IntegrityError):
        await run_sql(layer, insert(str(uuid.uuid4()), str(uuid.uuid4())))

    await run_sql(layer, f"DELETE FROM players WHERE player_id = '{pid}'")
    assert await run_sql(layer, "SELECT id FROM player_effects") == []


async def test_the_tick_sweep_has_its_index(contract_persistence: AsyncPersistenceLayer) -> None:
    layer = contract_persistence
    if layer.settings.database_url.startswith("sqlite"):
        sql = "SELECT name FROM sqlite_master WHERE type = 'index'"
    else:
        sql = "SELECT indexname AS name FROM pg_indexes"
    names = {row["name"] for row in await run_sql(layer, sql)}
    assert EFFECT_EXPIRY_INDEX in names


async def test_every_effect_method_takes_keywords_only(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    player = await new_player(layer)
    effect_id = await layer.add_player_effect(
        player_id=player.player_id,
        effect_type="warded",
        category="ward",
        duration=3,
        applied_at_tick=7,
        options=None,
    )
    assert await layer.has_player_effect(
        player_id=player.player_id, effect_type="warded", current_tick=8
    )
    assert (
        await layer.get_player_effect_remaining_ticks(
            player_id=player.player_id, effect_type="warded", current_tick=8
        )
        == 2
    )
    (effect,) = await layer.get_active_player_effects(player_id=player.player_id, current_tick=8)
    assert effect.id == effect_id and effect.remaining_ticks(8) == 2
    assert await layer.expire_player_effects_for_tick(current_tick=10) == [
        (str(player.player_id), "warded")
    ]
