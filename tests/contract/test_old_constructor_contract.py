"""The old constructor's call shapes: the game builds the layer with only an event bus (the URL
comes from the environment) and passes the old, now unused, parameters."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.events import PlayerDPUpdated, RecordingBus

pytestmark = pytest.mark.contract

SHAPES: dict[str, Callable[[RecordingBus], AsyncPersistenceLayer]] = {
    "event_bus only": lambda bus: AsyncPersistenceLayer(event_bus=bus),
    "old test shape": lambda bus: AsyncPersistenceLayer(event_bus=bus, _skip_room_cache=True),
    "every old keyword": lambda bus: AsyncPersistenceLayer(
        _db_path=None, _log_path="/var/log/mud.log", event_bus=bus, _skip_room_cache=False
    ),
    "old positions": lambda bus: AsyncPersistenceLayer(None, None, bus, True),
}


@pytest.mark.parametrize("shape", list(SHAPES))
async def test_the_old_constructor_shapes_build_a_working_layer(
    contract_persistence: AsyncPersistenceLayer, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    monkeypatch.setenv("MUD_PERSISTENCE_DATABASE_URL", contract_persistence.settings.database_url)
    bus = RecordingBus()
    layer = SHAPES[shape](bus)
    assert layer.event_bus is bus
    async with layer:
        player = await layer.create_player(name=f"k{uuid.uuid4().hex[:8]}", user_id=uuid.uuid4())
        await layer.damage_player(player, 3)
        assert layer.get_room_by_id(layer.settings.default_room_id) is not None
    (event,) = bus.of(PlayerDPUpdated)
    assert str(event.player_id) == str(player.player_id) and event.new_dp == event.old_dp - 3
