"""The snippets of docs/migrating.md run against stand-ins for the game's own modules."""

from __future__ import annotations

import asyncio
import re
import sys
import types
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mud_persistence import AsyncPersistenceLayer, NotFoundError, ValidationError, events

DOC = Path(__file__).resolve().parents[2] / "docs" / "migrating.md"


def snippet(after: str) -> str:
    """The first ```python block after the line that starts with ``after``."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index(after)
    match = re.search(r"```python\n(.*?)```", text[start:], re.S)
    assert match is not None, after
    return match.group(1)


@dataclass
class GameXPAward:
    player_id: uuid.UUID
    xp_amount: int
    new_level: int


class GameDatabaseError(Exception):
    pass


class GameRoom:
    """The game's Room: built from a dict and the bus, with methods game code calls."""

    def __init__(self, room_data: dict[str, Any], event_bus: Any = None) -> None:
        self.id = room_data["id"]
        self.name = room_data["name"]
        self.event_bus = event_bus
        self._players: set[str] = set()

    def player_entered(self, player_id: str) -> None:
        self._players.add(player_id)

    def get_players(self) -> list[str]:
        return sorted(self._players)


@pytest.fixture
def game_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand-ins for the modules of the game the snippets import."""
    modules = {
        "server": {},
        "server.services": {},
        "server.services.player_combat_service": {"PlayerXPAwardEvent": GameXPAward},
        "server.exceptions": {"DatabaseError": GameDatabaseError},
        "server.models": {},
        "server.models.room": {"Room": GameRoom},
    }
    for name, attributes in modules.items():
        module = types.ModuleType(name)
        module.__dict__.update(attributes)
        monkeypatch.setitem(sys.modules, name, module)


class GameBus:
    def __init__(self) -> None:
        self.published: list[Any] = []

    def publish(self, event: Any) -> None:
        self.published.append(event)


def test_the_event_adapter_maps_our_events_onto_the_games(
    game_modules: None, clean_env: None
) -> None:
    bus = GameBus()
    namespace: dict[str, Any] = {"AsyncPersistenceLayer": AsyncPersistenceLayer, "event_bus": bus}
    exec(snippet("**Events are ours.**"), namespace)
    adapter = namespace["persistence"].event_bus
    player = uuid.uuid4()

    adapter.publish(
        events.PlayerXPAwarded(player_id=player, xp_amount=5, new_xp=15, new_level=2, source="q")
    )
    adapter.publish(
        events.PlayerDPUpdated(
            player_id=player, old_dp=20, new_dp=14, max_dp=30, delta=-6, source="claw"
        )
    )
    adapter.publish(events.PlayerLeveledUp(player_id=player, old_level=1, new_level=2))
    # Only the XP award: the old layer published no DP event, and the game publishes its own
    # PlayerDPUpdated where it wants one (after a spell heal, for one), so mapping ours too
    # would send those twice.
    assert bus.published == [GameXPAward(player_id=player, xp_amount=5, new_level=2)]


def test_the_error_mapping_keeps_value_errors_and_maps_the_rest(game_modules: None) -> None:
    namespace: dict[str, Any] = {}
    exec(snippet("**Errors are ours.**"), namespace)
    persisted = namespace["persisted"]

    async def fails(error: Exception) -> None:
        raise error

    with pytest.raises(ValidationError):
        asyncio.run(persisted(fails(ValidationError("amount must not be negative"))))
    with pytest.raises(GameDatabaseError, match=r"(?i)player"):
        asyncio.run(persisted(fails(NotFoundError("Player", "p-1"))))


def test_the_room_loader_gives_the_game_its_own_room_objects(
    game_modules: None, clean_env: None, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    bus = GameBus()

    async def read_room_dicts() -> list[dict[str, Any]]:
        return [{"id": "arkham_square", "name": "Arkham Square", "exits": {}}]

    namespace: dict[str, Any] = {
        "AsyncPersistenceLayer": AsyncPersistenceLayer,
        "event_bus": bus,
        "read_room_dicts": read_room_dicts,
    }
    exec(snippet("**Rooms are the game's.**"), namespace)
    persistence = namespace["persistence"]

    async def use() -> None:
        await persistence.connect(migrate=True)
        try:
            room = persistence.get_room_by_id("arkham_square")
            assert isinstance(room, GameRoom) and room.event_bus is bus
            room.player_entered("p-1")
            assert persistence.get_room_by_id("arkham_square").get_players() == ["p-1"]
            assert persistence.list_rooms() == [room]
        finally:
            await persistence.close()

    asyncio.run(use())
