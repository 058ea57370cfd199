"""The room cache and its loaders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mud_persistence.errors import ValidationError
from mud_persistence.models import DEFAULT_ROOM_ID
from mud_persistence.repositories.room import JsonWorldLoader, RoomRepository
from mud_persistence.schemas.room import Room
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
