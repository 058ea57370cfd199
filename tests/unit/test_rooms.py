"""The room cache and its loaders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.errors import ValidationError
from mud_persistence.models import DEFAULT_ROOM_ID
from mud_persistence.repositories.room import JsonWorldLoader, RoomRepository
from mud_persistence.schemas.room import TUTORIAL_BEDROOM_ID, Room
from mud_persistence.settings import DATA_DIR


class LoaderBroke(Exception):
    pass


def test_the_sample_world_has_the_default_room_and_consistent_exits() -> None:
    rooms = {room.id: room for room in JsonWorldLoader(DATA_DIR / "rooms")()}
    assert DEFAULT_ROOM_ID in rooms
    for room in rooms.values():
        assert all(target in rooms for target in room.exits.values()), room.id


def test_json_loader_reads_single_rooms_and_lists_in_subfolders(tmp_path: Path) -> None:
    (tmp_path / "zone").mkdir()
    (tmp_path / "zone" / "a.json").write_text(json.dumps({"id": "a", "name": "A"}))
    (tmp_path / "b.json").write_text(json.dumps([{"id": "b", "name": "B", "exits": {"n": "a"}}]))
    rooms = JsonWorldLoader(tmp_path)()
    assert sorted(room.id for room in rooms) == ["a", "b"]


def test_json_loader_names_the_file_with_a_bad_room(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(json.dumps({"id": "", "name": "Nowhere"}))
    with pytest.raises(ValidationError, match=r"bad\.json"):
        JsonWorldLoader(tmp_path)()


async def test_sync_and_async_loaders_fill_the_cache() -> None:
    async def async_loader() -> list[dict[str, str]]:
        return [{"id": "r1", "name": "One"}]

    for loader in (lambda: [Room(id="r1", name="One")], async_loader):
        rooms = RoomRepository(loader)
        assert await rooms.warmup() == 1
        room = rooms.get("r1")
        assert room is not None and room.name == "One"
        assert rooms.get("missing") is None


async def test_a_failed_load_is_not_cached_and_the_next_warmup_retries() -> None:
    attempts: list[int] = []

    def flaky() -> list[Room]:
        attempts.append(1)
        if len(attempts) == 1:
            raise LoaderBroke("world server down")
        return [Room(id="r1", name="One")]

    rooms = RoomRepository(flaky)
    assert await rooms.warmup() == 0
    assert not rooms.is_loaded and rooms.all() == []
    await rooms.ensure_loaded()
    assert rooms.is_loaded and len(attempts) == 2


async def test_an_empty_load_is_not_cached_as_loaded() -> None:
    calls: list[int] = []

    def empty() -> list[Room]:
        calls.append(1)
        return []

    rooms = RoomRepository(empty)
    assert await rooms.warmup() == 0
    await rooms.ensure_loaded()
    assert not rooms.is_loaded and len(calls) == 2


class GameRoom:
    """A room object of the game's own, not a pydantic Room."""

    def __init__(self, room_id: str, name: str = "") -> None:
        self.id = room_id
        self.name = name


class Lost:
    def __init__(self, room: str, tutorial_instance_id: str | None = None) -> None:
        self.current_room_id = room
        self.tutorial_instance_id = tutorial_instance_id


def layer_with(*room_ids: str) -> AsyncPersistenceLayer:
    layer = AsyncPersistenceLayer("sqlite://:memory:")  # never connected: rooms only
    layer.save_rooms([GameRoom(room_id) for room_id in room_ids])
    return layer


@pytest.mark.parametrize(
    ("cached", "room", "tutorial_instance", "moved"),
    [
        ((DEFAULT_ROOM_ID, "hall"), "void", None, True),
        ((DEFAULT_ROOM_ID, "hall"), "hall", None, False),
        ((), "void", None, False),  # an empty cache proves nothing
        (("hall",), "void", None, False),  # nowhere to send the player
        ((DEFAULT_ROOM_ID,), "instance_crypt_9", None, False),
        ((DEFAULT_ROOM_ID,), TUTORIAL_BEDROOM_ID, "tutorial-1", False),
        ((DEFAULT_ROOM_ID,), TUTORIAL_BEDROOM_ID, None, True),
        ((DEFAULT_ROOM_ID,), "", None, True),
    ],
)
def test_validate_and_fix_player_room_follows_the_old_rules(
    cached: tuple[str, ...], room: str, tutorial_instance: str | None, moved: bool
) -> None:
    layer = layer_with(*cached)
    player = Lost(room, tutorial_instance)
    assert layer.validate_and_fix_player_room(player) is moved  # type: ignore[arg-type]
    assert player.current_room_id == (DEFAULT_ROOM_ID if moved else room)


def test_a_player_already_in_an_uncached_default_room_stays() -> None:
    player = Lost(DEFAULT_ROOM_ID)
    assert layer_with("hall").validate_and_fix_player_room(player) is False  # type: ignore[arg-type]
    assert player.current_room_id == DEFAULT_ROOM_ID


async def test_game_room_objects_from_a_loader_are_cached_as_they_are() -> None:
    bedroom, hall = GameRoom("bedroom", "Bedroom"), GameRoom("hall", "Hall")
    dict_room = {"id": "attic", "name": "Attic"}
    rooms = RoomRepository(lambda: [bedroom, hall, dict_room])
    assert await rooms.warmup() == 3
    assert rooms.get("bedroom") is bedroom and rooms.get("hall") is hall
    assert isinstance(rooms.get("attic"), Room)


async def test_a_loader_returning_a_room_without_an_id_loads_nothing() -> None:
    rooms = RoomRepository(lambda: [GameRoom("hall"), object()])
    assert await rooms.warmup() == 0
    assert not rooms.is_loaded and rooms.get("hall") is None


def test_save_room_and_save_rooms_update_the_cache() -> None:
    layer = layer_with("hall")
    hall, cellar = GameRoom("hall", "New hall"), GameRoom("cellar")
    layer.save_room(hall)
    layer.save_rooms(rooms=[cellar])
    assert layer.get_room_by_id("hall") is hall and layer.get_room_by_id("cellar") is cellar
    assert {room.id for room in layer.list_rooms()} == {"hall", "cellar"}
    with pytest.raises(ValidationError, match="id"):
        layer.save_room({"id": "dict-without-attribute"})


class InstanceManager:
    def __init__(self, *rooms: GameRoom) -> None:
        self.rooms = {room.id: room for room in rooms}
        self.asked: list[str] = []

    def get_room_by_id(self, room_id: str) -> GameRoom | None:
        self.asked.append(room_id)
        return self.rooms.get(room_id)


def test_instanced_rooms_are_asked_of_the_instance_manager_first() -> None:
    cached = GameRoom("instance_crypt_1", "cached copy")
    layer = layer_with("hall")
    layer.save_room(cached)
    live = GameRoom("instance_crypt_1", "live instance")
    manager = InstanceManager(live)
    layer.set_instance_manager(manager)

    assert layer.get_room_by_id("instance_crypt_1") is live
    assert layer.get_room_by_id("hall") is not None
    assert manager.asked == ["instance_crypt_1"]  # static rooms never reach the manager
    assert layer.get_room_by_id("instance_gone_2") is None
    manager.rooms.clear()
    assert layer.get_room_by_id("instance_crypt_1") is cached  # the cache is the fallback
    layer.set_instance_manager(None)
    assert layer.get_room_by_id("instance_crypt_1") is cached
