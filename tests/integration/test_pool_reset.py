"""A connection handed back to the pool skips asyncpg's reset query (a round trip per call),
except one marked as holding session state; a transaction left open is still rolled back. A
connection with nothing to reset goes back at once, and still closes when asyncpg's pool would
close it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.backend import TimedPool, _reset_session_state, holds_session_state
from tests.integration.one_connection import pooled


async def last_statement_of_the_pool(layer: AsyncPersistenceLayer, raw: asyncpg.Connection) -> str:
    """What the server last ran on the layer's one pooled connection."""
    async with pooled(layer) as connection:
        pid = connection.get_server_pid()
    query = await raw.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", pid)
    return str(query)


async def test_a_released_connection_is_not_sent_the_reset_query(
    one_connection_layer: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    await one_connection_layer.get_player_by_name("nobody")

    last = await last_statement_of_the_pool(one_connection_layer, raw)

    assert "players" in last  # the call's own statement, not asyncpg's RESET ALL after it
    assert "RESET ALL" not in last


async def test_a_connection_marked_as_holding_session_state_is_reset_in_full(
    one_connection_layer: AsyncPersistenceLayer,
) -> None:
    async with pooled(one_connection_layer) as connection:
        holds_session_state(connection)
        await connection.execute("SET application_name = 'marked'")
    async with pooled(one_connection_layer) as connection:
        name = await connection.fetchval("SHOW application_name")

    assert name != "marked"


async def test_a_transaction_left_open_is_rolled_back_on_release(
    one_connection_layer: AsyncPersistenceLayer,
) -> None:
    async with pooled(one_connection_layer) as connection:
        await connection.execute("BEGIN")
        await connection.execute("CREATE TEMPORARY TABLE left_open (n int)")
    async with pooled(one_connection_layer) as connection:
        in_transaction = connection.is_in_transaction()
        table = await connection.fetchval("SELECT to_regclass('pg_temp.left_open')")

    assert not in_transaction
    assert table is None


@contextlib.asynccontextmanager
async def pool_of_one(pg_url: str, **options: Any) -> AsyncIterator[TimedPool]:
    """A TimedPool of one connection, with the layer's reset function and ``options``."""
    settings: dict[str, Any] = {
        "reset": _reset_session_state,
        "min_size": 1,
        "max_queries": 50000,
        "max_inactive_connection_lifetime": 300.0,
    }
    settings.update(options)
    pool = await TimedPool(
        pg_url,
        max_size=1,
        loop=None,
        connection_class=asyncpg.Connection,
        record_class=asyncpg.Record,
        **settings,
    )
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def asyncpg_releases(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The connections that went back to a pool through asyncpg's own release."""
    released: list[Any] = []
    original = asyncpg.Pool.release

    async def counted(self: asyncpg.Pool, connection: Any, **options: Any) -> None:
        released.append(connection)
        await original(self, connection, **options)

    monkeypatch.setattr(asyncpg.Pool, "release", counted)
    return released


async def test_a_connection_with_nothing_to_reset_goes_back_at_once(
    one_connection_layer: AsyncPersistenceLayer, asyncpg_releases: list[Any]
) -> None:
    await one_connection_layer.get_player_by_name("nobody")
    await one_connection_layer.get_player_by_name("nobody")  # the pool's one connection again

    assert asyncpg_releases == []


@pytest.mark.filterwarnings("ignore:.*active notification listener")  # left there on purpose
async def test_a_connection_with_something_to_reset_takes_asyncpgs_release(
    one_connection_layer: AsyncPersistenceLayer, asyncpg_releases: list[Any]
) -> None:
    async with pooled(one_connection_layer) as connection:
        await connection.execute("BEGIN")
    async with pooled(one_connection_layer) as connection:
        holds_session_state(connection)
    async with pooled(one_connection_layer) as connection:
        await connection.add_listener("somewhere", lambda *args: None)
    async with pooled(one_connection_layer) as connection:
        listeners = connection._con._listeners  # asyncpg's reset removed the one above

    assert len(asyncpg_releases) == 3
    assert not listeners


async def test_a_connection_at_its_query_limit_is_still_replaced(pg_url: str) -> None:
    async with pool_of_one(pg_url, max_queries=2) as pool:
        async with pool.acquire() as connection:
            first = connection.get_server_pid()
            await connection.fetchval("SELECT 1")
            await connection.fetchval("SELECT 1")
        async with pool.acquire() as connection:
            second = connection.get_server_pid()

    assert second != first


async def test_an_idle_connection_released_at_once_still_closes_after_its_lifetime(
    pg_url: str, asyncpg_releases: list[Any]
) -> None:
    # asyncpg 0.32 keeps the pool's floor (min_size) open however long it is idle
    async with pool_of_one(pg_url, min_size=0, max_inactive_connection_lifetime=0.1) as pool:
        async with pool.acquire() as connection:
            await connection.fetchval("SELECT 1")
            raw_connection = connection._con
        await asyncio.sleep(0.5)

        assert raw_connection.is_closed()
    assert asyncpg_releases == []


async def test_a_connection_whose_statement_was_cancelled_takes_asyncpgs_release(
    pg_url: str, asyncpg_releases: list[Any]
) -> None:
    async with pool_of_one(pg_url) as pool:

        async def sleeping() -> None:
            async with pool.acquire() as connection:
                await connection.execute("SELECT pg_sleep(10)")

        task = asyncio.create_task(sleeping())
        await asyncio.sleep(0.2)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        async with pool.acquire() as connection:
            answer = await connection.fetchval("SELECT 1")

    assert answer == 1
    assert len(asyncpg_releases) == 1  # the cancelled one, after its cancel request


async def test_an_expired_connection_is_still_replaced(pg_url: str) -> None:
    async with pool_of_one(pg_url) as pool:
        async with pool.acquire() as connection:
            first = connection.get_server_pid()
            await pool.expire_connections()
        async with pool.acquire() as connection:
            second = connection.get_server_pid()

    assert second != first


async def test_a_caller_waiting_for_the_connection_gets_it_before_the_task_that_released_it(
    pg_url: str,
) -> None:
    order: list[str] = []
    async with pool_of_one(pg_url) as pool:
        held = await pool.acquire()

        async def waiting() -> None:
            async with pool.acquire():
                order.append("waiting caller")

        task = asyncio.create_task(waiting())
        await asyncio.sleep(0.05)  # it waits for the one connection
        await pool.release(held)
        async with pool.acquire():  # at once: no await between the release and this
            order.append("releasing task")
        await task

    assert order == ["waiting caller", "releasing task"]


async def test_a_pool_with_another_reset_function_takes_asyncpgs_release(
    pg_url: str, asyncpg_releases: list[Any]
) -> None:
    async with pool_of_one(pg_url, reset=None) as pool:
        async with pool.acquire() as connection:
            await connection.execute("SET application_name = 'reset by asyncpg'")
        async with pool.acquire() as connection:
            name = await connection.fetchval("SHOW application_name")

    assert name != "reset by asyncpg"  # asyncpg's own reset query ran
    assert len(asyncpg_releases) == 2
