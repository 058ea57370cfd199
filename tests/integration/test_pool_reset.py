"""A connection handed back to the pool skips asyncpg's reset query (a round trip per call),
except one marked as holding session state; a transaction left open is still rolled back."""

from __future__ import annotations

import asyncpg

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.backend import holds_session_state
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
