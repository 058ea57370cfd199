"""Health, experience and stats under heavy concurrency on PostgreSQL: exact totals and events."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator

import pytest

from mud_persistence import AsyncPersistenceLayer, PersistenceSettings
from mud_persistence.events import (
    PlayerDPUpdated,
    PlayerLeveledUp,
    PlayerStatChanged,
    PlayerXPAwarded,
    RecordingBus,
)
from mud_persistence.models import Player
from mud_persistence.testing import empty_tables
from tests.conftest import settings_for


@pytest.fixture
async def bus() -> RecordingBus:
    return RecordingBus()


@pytest.fixture
async def layer(pg_url: str, bus: RecordingBus) -> AsyncIterator[AsyncPersistenceLayer]:
    """A layer with the opt-in level curve, so awards level players up atomically."""
    async with AsyncPersistenceLayer(settings=with_curve(pg_url), event_bus=bus) as connected:
        yield connected
    await empty_tables(pg_url)


def with_curve(url: str) -> PersistenceSettings:
    return settings_for(url, xp_per_level=100)


async def new_player(layer: AsyncPersistenceLayer, **stats: int) -> Player:
    return await layer.create_player(
        name=f"p{uuid.uuid4().hex[:10]}", user_id=uuid.uuid4(), stats=stats
    )


def assert_dp_events_chain(events: list[PlayerDPUpdated], start: int, end: int) -> None:
    """The events that changed DP link old -> new from ``start`` to ``end``, each used once;
    the rest (hits on a player already at a bound) changed nothing."""
    changes = [event for event in events if event.old_dp != event.new_dp]
    by_old = {event.old_dp: event for event in changes}
    assert len(by_old) == len(changes), "two events claim the same old value"
    value = start
    while value in by_old:
        value = by_old.pop(value).new_dp
    assert value == end and not by_old
    assert all(event.delta == event.new_dp - event.old_dp for event in events)


async def test_a_thousand_concurrent_xp_awards_are_all_counted(
    layer: AsyncPersistenceLayer, bus: RecordingBus
) -> None:
    player = await new_player(layer)
    awards = await asyncio.gather(*(layer.gain_experience(player, 1, "kill") for _ in range(1000)))

    stored = await layer.get_player_by_id(player.player_id)
    assert stored is not None and (stored.experience_points, stored.level) == (1000, 11)
    xp_events = bus.of(PlayerXPAwarded)
    assert len(xp_events) == 1000
    assert sorted(event.new_xp for event in xp_events) == list(range(1, 1001))
    assert sorted(award.new_xp for award in awards) == list(range(1, 1001))
    level_ups = bus.of(PlayerLeveledUp)
    assert sorted(event.new_level for event in level_ups) == list(range(2, 12))
    assert all(event.source == "kill" for event in xp_events)


async def test_concurrent_damage_and_healing_are_exact_and_clamped(
    layer: AsyncPersistenceLayer, bus: RecordingBus
) -> None:
    player = await new_player(layer, max_dp=500, current_dp=500)

    await asyncio.gather(*(layer.damage_player(player, 1) for _ in range(300)))
    assert (await layer.get_player_by_id(player.player_id)).current_dp == 200  # type: ignore[union-attr]
    assert_dp_events_chain(bus.of(PlayerDPUpdated), 500, 200)

    bus.events.clear()
    await asyncio.gather(*(layer.damage_player(player, 10) for _ in range(100)))
    assert (await layer.get_player_by_id(player.player_id)).current_dp == -10  # type: ignore[union-attr]
    assert_dp_events_chain(bus.of(PlayerDPUpdated), 200, -10)

    bus.events.clear()
    await asyncio.gather(*(layer.heal_player(player, 50) for _ in range(100)))
    assert (await layer.get_player_by_id(player.player_id)).current_dp == 500  # type: ignore[union-attr]
    events = bus.of(PlayerDPUpdated)
    assert len(events) == 100 and all(e.max_dp == 500 for e in events)
    assert_dp_events_chain(events, -10, 500)


async def test_damage_stops_at_a_configured_negative_floor(pg_url: str) -> None:
    from mud_persistence import PersistenceSettings

    settings = PersistenceSettings(database_url=pg_url, dp_floor=-10)
    async with AsyncPersistenceLayer(settings=settings) as layer:
        player = await new_player(layer, current_dp=5)
        results = await asyncio.gather(*(layer.damage_player(player, 3) for _ in range(20)))
        assert min(results) == -10
        stored = await layer.get_player_by_id(player.player_id)
        assert stored is not None and stored.current_dp == -10
    await empty_tables(pg_url)


async def test_concurrent_fear_and_lucidity_stop_at_their_bounds(
    layer: AsyncPersistenceLayer, bus: RecordingBus
) -> None:
    player = await new_player(layer)
    await asyncio.gather(
        *(layer.apply_fear(player, 1, "shadow") for _ in range(150)),
        *(layer.apply_lucidity_loss(player, 1, "tome") for _ in range(250)),
    )
    stored = await layer.get_player_by_id(player.player_id)
    assert stored is not None and (stored.fear, stored.lucidity) == (100, -100)

    changes = bus.of(PlayerStatChanged)
    fear = sorted((e.old_value, e.new_value) for e in changes if e.field == "fear")
    assert len(fear) == 150
    assert [new for _, new in fear if new != _] == list(range(1, 101))
    lucidity = [e for e in changes if e.field == "lucidity"]
    assert len(lucidity) == 250
    assert sorted(e.new_value for e in lucidity if e.new_value != e.old_value) == list(
        range(-100, 100)
    )


async def test_an_atomic_award_and_a_stale_save_of_another_field_both_persist(
    layer: AsyncPersistenceLayer, pg_url: str
) -> None:
    player = await new_player(layer)
    stale = await layer.get_player_by_id(player.player_id)
    assert stale is not None
    async with AsyncPersistenceLayer(settings=with_curve(pg_url)) as other_process:
        await asyncio.gather(*(other_process.gain_experience(player, 5) for _ in range(40)))
    stale.current_room_id = "earth_arkhamcity_sanitarium_room_hallway_001"
    await layer.save_player(stale)

    stored = await layer.get_player_by_id(player.player_id)
    assert stored is not None
    assert (stored.experience_points, stored.level) == (200, 3)
    assert stored.current_room_id == "earth_arkhamcity_sanitarium_room_hallway_001"


class SubscriberBroke(Exception):
    pass


async def test_a_failing_subscriber_never_undoes_the_write(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    class BrokenBus:
        def publish(self, event: object) -> None:
            raise SubscriberBroke("scoreboard offline")

    async with AsyncPersistenceLayer(settings=with_curve(pg_url), event_bus=BrokenBus()) as layer:
        player = await new_player(layer)
        with caplog.at_level(logging.ERROR, logger="mud_persistence.events"):
            award = await layer.gain_experience(player, 150)
            new_dp = await layer.damage_player(player, 5)
        stored = await layer.get_player_by_id(player.player_id)
    await empty_tables(pg_url)
    assert award.new_level == 2 and new_dp == 15
    assert stored is not None and (stored.experience_points, stored.current_dp) == (150, 15)
    failures = [r for r in caplog.records if r.exc_info and "subscriber failed" in r.message]
    # each event failed at least once; the outbox's relay may have retried some meanwhile
    logged = {record.getMessage().split()[-4] for record in failures}
    assert logged == {"player_dp_updated;", "player_leveled_up;", "player_xp_awarded;"}
    assert "scoreboard offline" in caplog.text
