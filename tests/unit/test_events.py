"""publish_safely delivers events to sync and async buses and survives failing subscribers."""

from __future__ import annotations

import dataclasses
import logging
import uuid

import pytest

from mud_persistence.events import PlayerXPAwarded, publish_safely


class SubscriberBroke(Exception):
    pass


def xp_event() -> PlayerXPAwarded:
    return PlayerXPAwarded(player_id=uuid.uuid4(), xp_amount=5, new_xp=5, new_level=1, source="t")


async def test_sync_and_async_buses_both_receive_events() -> None:
    received: list[object] = []

    class SyncBus:
        def publish(self, event: object) -> None:
            received.append(event)

    class AsyncBus:
        async def publish(self, event: object) -> None:
            received.append(event)

    event = xp_event()
    await publish_safely(SyncBus(), event)
    await publish_safely(AsyncBus(), event)
    assert received == [event, event]


async def test_a_failing_subscriber_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    class BrokenBus:
        async def publish(self, event: object) -> None:
            raise SubscriberBroke("boom")

    with caplog.at_level(logging.ERROR, logger="mud_persistence.events"):
        await publish_safely(BrokenBus(), xp_event())
    assert "player_xp_awarded" in caplog.text and "boom" in caplog.text


def test_events_are_frozen_and_typed() -> None:
    event = xp_event()
    assert event.event_type == "player_xp_awarded"
    assert event.timestamp.tzinfo is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.new_xp = 9  # type: ignore[misc]


def test_the_recording_bus_keeps_events_in_order_and_filters_by_type() -> None:
    from mud_persistence.events import PlayerLeveledUp, RecordingBus

    bus = RecordingBus()
    first, level = xp_event(), PlayerLeveledUp(player_id=uuid.uuid4(), old_level=1, new_level=2)
    bus.publish(first)
    bus.publish(level)
    assert bus.events == [first, level]
    assert bus.of(PlayerLeveledUp) == [level]
