"""A layer nobody connected: the first call opens it, once, however many calls come at once."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from mud_persistence import AsyncPersistenceLayer, DatabaseError, Room, SchemaError
from mud_persistence.backend import TimedAsyncpgClient

ROOMS = [Room(id="lazy_room", name="Lazy Room")]


@pytest.fixture
def pools_opened(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every connection pool opened while the test runs."""
    opened: list[object] = []
    original = TimedAsyncpgClient.create_pool

    async def counting(self: TimedAsyncpgClient, **kwargs: Any) -> Any:
        pool = await original(self, **kwargs)
        opened.append(pool)
        return pool

    monkeypatch.setattr(TimedAsyncpgClient, "create_pool", counting)
    return opened


@pytest.mark.usefixtures("cleanup")
async def test_a_layer_that_was_never_connected_serves_its_first_call(pg_url: str) -> None:
    layer = AsyncPersistenceLayer(pg_url, room_loader=lambda: ROOMS)
    player = await layer.create_player(name="Early", user_id=uuid.uuid4())
    assert (await layer.get_player_by_id(player.player_id)) is not None
    assert layer.get_room_by_id("lazy_room") is not None  # the first call loaded the rooms
    await layer.close()


@pytest.mark.usefixtures("cleanup")
async def test_fifty_concurrent_first_calls_open_one_pool_and_load_the_rooms_once(
    pg_url: str, pools_opened: list[object]
) -> None:
    loads = 0

    def loader() -> list[Room]:
        nonlocal loads
        loads += 1
        return ROOMS

    layer = AsyncPersistenceLayer(pg_url, room_loader=loader)
    results = await asyncio.gather(*(layer.list_players() for _ in range(50)))
    assert results == [[]] * 50
    assert len(pools_opened) == 1
    assert loads == 1
    await layer.close()


async def test_a_task_created_before_the_first_call_uses_the_layer(pg_url: str) -> None:
    layer = AsyncPersistenceLayer(pg_url)
    go = asyncio.Event()

    async def game_tick() -> int:
        await go.wait()
        return len(await layer.get_professions())

    tick = asyncio.create_task(game_tick())
    await asyncio.sleep(0)
    assert await layer.get_all_professions() == []  # this task opens the layer
    go.set()
    assert await tick == 0
    await layer.close()


async def test_the_first_call_refuses_a_database_with_pending_migrations(fresh_database) -> None:
    url = await fresh_database()
    layer = AsyncPersistenceLayer(url)
    with pytest.raises(SchemaError, match="aerich upgrade"):
        await layer.list_players()
    with pytest.raises(SchemaError):  # nothing half-open is left behind: it checks again
        await layer.list_players()
    await layer.upgrade()
    assert await layer.list_players() == []
    await layer.close()


async def test_an_unreachable_server_fails_the_first_call_with_database_error() -> None:
    layer = AsyncPersistenceLayer("postgres://postgres@127.0.0.1:1/gamedb")
    with pytest.raises(DatabaseError, match=r"127\.0\.0\.1:1"):
        await layer.list_players()


async def test_after_close_calls_raise_database_error_until_connect(pg_url: str) -> None:
    layer = AsyncPersistenceLayer(pg_url)
    assert await layer.list_players() == []
    await layer.close()
    with pytest.raises(DatabaseError, match="was closed") as caught:
        await layer.list_players()
    assert caught.value.operation == "list_players"
    await layer.connect()
    assert await layer.list_players() == []
    await layer.close()


async def test_a_sqlite_layer_that_was_never_connected_serves_its_first_call(
    sqlite_url: str,
) -> None:
    layer = AsyncPersistenceLayer(sqlite_url, room_loader=lambda: ROOMS)
    await layer.upgrade()  # a new SQLite file gets its schema; this does not open the layer
    player = await layer.create_player(name="Early", user_id=uuid.uuid4())
    assert (await layer.get_player_by_id(player.player_id)) is not None
    await layer.close()
