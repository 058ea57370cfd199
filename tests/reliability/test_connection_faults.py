"""Issue 13's connection faults, each reproduced: a connection cut at BEGIN, a server restart
under long-lived tasks, a retry that re-ran with a spent generator, a server that stops
answering, close() with calls in flight, and many ids in one batch."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Coroutine, Iterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest

from mud_persistence import AsyncPersistenceLayer, DatabaseError, PersistenceSettings, Player
from mud_persistence.repositories.player_save import PlayerWriter
from mud_persistence.testing import create_database, drop_database
from tests.reliability.private_server import PrivateServer
from tests.reliability.proxy import Proxy, proxy_in_front_of


def layer_on(url: str, **settings: object) -> AsyncPersistenceLayer:
    """A layer with quick retries and an empty room cache, which leaves players' made-up
    rooms alone."""
    settings.setdefault("retry_base_delay", 0.01)
    return AsyncPersistenceLayer(
        settings=PersistenceSettings(database_url=url, **settings),  # type: ignore[arg-type]
        room_loader=list,
    )


async def connected(url: str, **settings: object) -> AsyncPersistenceLayer:
    layer = layer_on(url, **settings)
    await layer.connect()
    return layer


@pytest.fixture
async def proxy(pg_url: str) -> AsyncIterator[Proxy]:
    async with proxy_in_front_of(pg_url) as running:
        yield running


async def backends_on(raw: asyncpg.Connection) -> int:
    return int(
        await raw.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    )


# Fault 1 ---------------------------------------------------------------------------------------


async def move(layer: AsyncPersistenceLayer, player: Player, room_id: str) -> str:
    """A write that runs in a transaction (one BEGIN), and the room the database then holds."""
    player.current_room_id = room_id
    await layer.save_players([player])
    found = await layer.get_player_by_id(player.player_id)
    assert found is not None
    return found.current_room_id


@pytest.mark.usefixtures("cleanup")
async def test_fault_1_a_write_cut_at_begin_is_retried_on_a_fresh_connection(
    pg_url: str, proxy: Proxy
) -> None:
    layer = await connected(proxy.url(pg_url))
    player = await layer.create_player(name="Begin", user_id=uuid.uuid4())
    proxy.cut_at(b"BEGIN")
    assert await move(layer, player, "room_a") == "room_a"  # nothing ran: safe to run again
    assert proxy.cut_count == 1
    assert await move(layer, player, "room_b") == "room_b"
    assert await asyncio.create_task(move(layer, player, "room_c")) == "room_c"
    await layer.close()


@pytest.mark.usefixtures("cleanup")
async def test_fault_1_a_call_that_failed_at_begin_leaves_its_task_and_the_pool_working(
    pg_url: str, proxy: Proxy
) -> None:
    # one try and one connection: the failure reaches the caller, and a connection Tortoise
    # never gave back would starve every later call
    layer = await connected(
        proxy.url(pg_url),
        retry_attempts=1,
        pool_min_size=1,
        pool_max_size=1,
        acquire_timeout=2,
    )
    player = await layer.create_player(name="Broken", user_id=uuid.uuid4())
    for attempt in range(3):
        proxy.cut_at(b"BEGIN")
        with pytest.raises(DatabaseError):
            await move(layer, player, "never")
        assert proxy.cut_count == attempt + 1
        assert await move(layer, player, f"room_{attempt}") == f"room_{attempt}"  # same task
        assert await layer.damage_player(player, 1) == 19 - attempt
        child = asyncio.create_task(move(layer, player, f"child_{attempt}"))
        assert await child == f"child_{attempt}"
    await layer.close()


@pytest.fixture(scope="module")
def private_server() -> Iterator[PrivateServer]:
    if not PrivateServer.available():
        pytest.fail("this test needs PostgreSQL's server binaries in /usr/lib/postgresql/15/bin")
    server = PrivateServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


async def test_fault_1_twelve_long_lived_tasks_keep_working_across_a_server_restart(
    private_server: PrivateServer,
) -> None:
    url = await create_database(private_server.url)
    layer = await connected(url, retry_attempts=5, retry_base_delay=0.05, pool_max_size=6)
    players = [await layer.create_player(name=f"Watch{n}", user_id=uuid.uuid4()) for n in range(12)]
    restarted = asyncio.Event()
    stop = asyncio.Event()

    async def game_task(player: Player) -> list[bool]:
        """The outcome of each call made after the restart."""
        outcomes: list[bool] = []
        while not stop.is_set():
            ok = True
            try:
                await layer.damage_player(player, 1)
                await move(layer, player, f"room_{len(outcomes) % 3}")
            except DatabaseError:
                ok = False
            if restarted.is_set():
                outcomes.append(ok)
            await asyncio.sleep(0.005)
        return outcomes

    tasks = [asyncio.create_task(game_task(player)) for player in players]
    await asyncio.sleep(0.3)
    await asyncio.to_thread(private_server.restart)
    restarted.set()
    await asyncio.sleep(2)
    stop.set()
    outcomes = await asyncio.gather(*tasks)
    await layer.close()
    await drop_database(private_server.url, url)
    for player, after in zip(players, outcomes, strict=True):
        assert after[-5:] == [True] * 5, f"{player.name} is still failing: {after}"


# Fault 4 ---------------------------------------------------------------------------------------


@asynccontextmanager
async def next_connect_refused(
    pg_url: str, raw: asyncpg.Connection, proxy: Proxy
) -> AsyncIterator[AsyncPersistenceLayer]:
    """A layer whose next call fails once with a transient error that every call, read or
    write, retries: the pool's one open connection waits on a row lock, so the call opens a
    second one, which the proxy refuses as a starting server does."""
    # outbox=False: this counts on the pool's one open connection, and the outbox's relay and
    # LISTEN connection open more in the background
    layer = await connected(proxy.url(pg_url), pool_min_size=1, pool_max_size=2, outbox=False)
    hostage = await layer.create_player(name=f"Hostage{uuid.uuid4().hex[:8]}", user_id=uuid.uuid4())
    async with raw.transaction():
        lock = "SELECT 1 FROM players WHERE player_id = $1 FOR UPDATE"
        await raw.execute(lock, hostage.player_id)
        blocked = asyncio.create_task(layer.damage_player(hostage, 1))
        await asyncio.sleep(0.1)
        proxy.refusals = 1
        yield layer
        assert proxy.refusals == 0, "the call did not need a new connection"
    await blocked
    await layer.delete_player(hostage.player_id)
    await layer.close()


@pytest.mark.usefixtures("cleanup")
async def test_fault_4_a_retried_call_sees_all_of_a_generator_argument(
    pg_url: str, raw: asyncpg.Connection, proxy: Proxy
) -> None:
    async with layer_on(pg_url) as layer:
        players = [await layer.create_player(name=f"Gen{n}", user_id=uuid.uuid4()) for n in (0, 1)]
        await layer.seed_item_prototypes()
    for player in players:
        player.current_room_id = "gen_room"
    items = [{"item_id": "weapon.knife.rusted", "item_instance_id": f"gen-{n}"} for n in (0, 1)]

    async with next_connect_refused(pg_url, raw, proxy) as layer:
        await layer.save_players(player for player in players)
    async with next_connect_refused(pg_url, raw, proxy) as layer:
        found = await layer.get_players_batch(player.player_id for player in players)
    async with next_connect_refused(pg_url, raw, proxy) as layer:
        container = await layer.create_container(
            "environment", room_id="gen_room", items=(item for item in items)
        )

    async with layer_on(pg_url) as layer:
        assert {p.name for p in await layer.get_players_in_room("gen_room")} == {"Gen0", "Gen1"}
    assert set(found) == {player.player_uuid for player in players}
    assert len(container["items_json"]) == 2


# Fault 5 ---------------------------------------------------------------------------------------


async def finishes_within(seconds: float, call: Coroutine[Any, Any, Any]) -> BaseException | None:
    """Run ``call`` in a task; fail unless it ends within ``seconds``; return what it raised.

    A task, so that a call that never returns fails the test instead of hanging it."""
    task = asyncio.create_task(call)
    started = time.monotonic()
    done, _ = await asyncio.wait({task}, timeout=seconds)
    assert task in done, f"still waiting after {seconds} s"
    print(f"returned after {time.monotonic() - started:.2f} s")
    return task.exception()


@pytest.mark.usefixtures("cleanup")
async def test_fault_5_a_silent_server_gives_database_error_within_command_timeout(
    pg_url: str, proxy: Proxy
) -> None:
    layer = await connected(
        proxy.url(pg_url), command_timeout=1, cancel_timeout=0.5, connect_timeout=1
    )
    player = await layer.create_player(name="Silence", user_id=uuid.uuid4())
    # silent from the start of a call, and in the middle of a transaction
    for silence, call in (
        (b"", layer.get_player_by_id(player.player_id)),
        (b"UPDATE", move(layer, player, "quiet")),
    ):
        proxy.silent_from = silence
        # command_timeout, then cancel_timeout to give the connection back, and some slack
        error = await finishes_within(2.5, call)
        assert isinstance(error, DatabaseError), repr(error)
        assert "did not answer within 1 s" in str(error)
        proxy.silent, proxy.silent_from = False, None
    assert await move(layer, player, "loud") == "loud"  # the layer recovers by itself
    await layer.close()


@pytest.mark.usefixtures("cleanup")
async def test_fault_5_the_callers_own_timeout_returns_promptly_from_a_silent_server(
    pg_url: str, proxy: Proxy
) -> None:
    layer = await connected(proxy.url(pg_url), cancel_timeout=0.5)  # command_timeout: 40 s
    player = await layer.create_player(name="Impatient", user_id=uuid.uuid4())

    async def under_timeout(call: Awaitable[Any]) -> None:
        async with asyncio.timeout(0.3):
            await call

    for silence, call in (
        (b"", layer.get_player_by_id(player.player_id)),
        (b"UPDATE", move(layer, player, "quiet")),
    ):
        proxy.silent_from = silence
        error = await finishes_within(0.3 + 0.5 + 0.7, under_timeout(call))
        assert isinstance(error, TimeoutError), repr(error)
        proxy.silent, proxy.silent_from = False, None
    assert await move(layer, player, "loud") == "loud"
    await layer.close()


# Fault 9 ---------------------------------------------------------------------------------------


@pytest.mark.usefixtures("cleanup")
async def test_fault_9_close_with_calls_in_flight_fails_them_cleanly_and_leaves_no_connection(
    pg_url: str, raw: asyncpg.Connection
) -> None:
    before = await backends_on(raw)
    layer = await connected(pg_url)
    player = await layer.create_player(name="Closing", user_id=uuid.uuid4())
    # each move its own player: concurrent saves of one object would rightly be stale
    movers = [await layer.create_player(name=f"Mover{n}", user_id=uuid.uuid4()) for n in range(30)]
    calls = [
        *(layer.gain_experience(player, 1) for _ in range(30)),
        *(layer.get_player_by_id(player.player_id) for _ in range(30)),
        *(move(layer, mover, f"room_{n}") for n, mover in enumerate(movers)),
    ]
    tasks = [asyncio.create_task(call) for call in calls]
    await asyncio.sleep(0.01)
    await layer.close()
    results = await asyncio.gather(*tasks, return_exceptions=True)

    errors = [result for result in results if isinstance(result, BaseException)]
    assert all(isinstance(error, DatabaseError) for error in errors), {repr(e) for e in errors}
    assert errors, "every call finished before close(): the test proved nothing"
    for _ in range(20):  # a terminated backend takes a moment to leave pg_stat_activity
        if await backends_on(raw) == before:
            break
        await asyncio.sleep(0.05)
    assert await backends_on(raw) == before, "connections outlived close()"
    await asyncio.sleep(0.5)
    assert await backends_on(raw) == before, "a call reopened the pool after close()"
    with pytest.raises(DatabaseError, match="was closed"):
        await layer.get_player_by_id(player.player_id)


@pytest.mark.usefixtures("cleanup")
async def test_fault_9_a_transaction_that_ends_after_close_fails_with_a_database_error(
    pg_url: str, raw: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # slow: close() waits 10 s (Tortoise's pool-close timeout) for the transaction's
    # connection, then terminates it
    layer = await connected(pg_url)
    player = await layer.create_player(name="Waiting", user_id=uuid.uuid4())
    inside, resume = asyncio.Event(), asyncio.Event()
    write = PlayerWriter._write

    async def held(writer: PlayerWriter, player: Player, changes: Any) -> None:
        await write(writer, player, changes)
        inside.set()  # written: the transaction ends, trying to commit, once the layer closed
        await resume.wait()

    monkeypatch.setattr(PlayerWriter, "_write", held)
    saving = asyncio.create_task(move(layer, player, "room_after_close"))
    await asyncio.wait_for(inside.wait(), 5)
    await layer.close()
    resume.set()
    (result,) = await asyncio.gather(saving, return_exceptions=True)

    assert isinstance(result, DatabaseError), repr(result)
    stored = await raw.fetchval(
        "SELECT current_room_id FROM players WHERE player_id = $1", player.player_uuid
    )
    assert stored != "room_after_close"  # the commit failed: nothing was written


# Many ids in one batch -----------------------------------------------------------------------


@pytest.mark.usefixtures("cleanup")
async def test_get_players_batch_with_forty_thousand_ids_returns_the_players_among_them(
    pg_url: str,
) -> None:
    async with layer_on(pg_url) as layer:
        players = [await layer.create_player(name=f"Many{n}", user_id=uuid.uuid4()) for n in (1, 2)]
        ids = [uuid.uuid4() for _ in range(40_000)]
        ids[123] = players[0].player_id
        ids[39_999] = players[1].player_id
        found = await layer.get_players_batch(ids)
    assert set(found) == {player.player_uuid for player in players}
