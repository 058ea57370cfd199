"""Room methods of the facade: the bundled world by default, or any loader."""

from __future__ import annotations

from pathlib import Path

from mud_persistence import AsyncPersistenceLayer, PersistenceSettings
from mud_persistence.models import DEFAULT_ROOM_ID
from mud_persistence.schemas.room import Room


async def test_the_bundled_world_is_loaded_at_connect(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    room = contract_persistence.get_room_by_id(DEFAULT_ROOM_ID)
    assert room is not None and room.name == "Sanitarium Foyer"
    assert len(contract_persistence.list_rooms()) == len(
        await contract_persistence.async_list_rooms()
    )
    assert contract_persistence.get_room_by_id("nowhere") is None


async def test_a_game_supplies_its_own_async_room_loader(sqlite_url: str) -> None:
    calls: list[int] = []

    async def world_service() -> list[dict[str, str]]:
        calls.append(1)
        return [{"id": "keep_gate", "name": "Gate"}, {"id": "keep_hall", "name": "Hall"}]

    layer = AsyncPersistenceLayer(sqlite_url, room_loader=world_service)
    await layer.connect(migrate=True)
    try:
        assert [room.id for room in layer.list_rooms()] == ["keep_gate", "keep_hall"]
        assert await layer.warmup_room_cache() == 2 and len(calls) == 1  # loaded once
        assert isinstance(layer.get_room_by_id("keep_hall"), Room)
    finally:
        await layer.close()


async def test_a_rooms_directory_from_settings(sqlite_url: str, tmp_path: Path) -> None:
    (tmp_path / "rooms.json").write_text('[{"id": "attic", "name": "Attic"}]')
    settings = PersistenceSettings(database_url=sqlite_url, rooms_directory=tmp_path)
    layer = AsyncPersistenceLayer(settings=settings)
    await layer.connect(migrate=True)
    try:
        assert [room.id for room in await layer.async_list_rooms()] == ["attic"]
    finally:
        await layer.close()
