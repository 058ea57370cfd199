"""Which calls run as a unit of work of the outbox: every write, so that its events are
published after its commit; no read, since a read records no events."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from mud_persistence import AsyncPersistenceLayer


async def test_reads_run_without_a_unit_of_work_and_writes_with_one(
    contract_persistence: AsyncPersistenceLayer, monkeypatch: pytest.MonkeyPatch
) -> None:
    layer = contract_persistence
    player = await layer.create_player(name="Counted", user_id=uuid.uuid4())
    units = 0
    run = layer._outbox.run

    async def counted(call: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        nonlocal units
        units += 1
        return await run(call)

    monkeypatch.setattr(layer._outbox, "run", counted)
    assert await layer.get_player_by_id(player.player_id) is not None
    assert await layer.get_player_by_name("counted") is not None
    assert [p.name for p in await layer.get_players_in_room(player.current_room_id)] == ["Counted"]
    assert units == 0

    await layer.damage_player(player, 1)
    player.current_room_id = "earth_arkhamcity_sanitarium_room_hallway_001"
    await layer.save_player(player)
    assert units == 2
