"""Tortoise's asyncpg backend, with a pool that gives up waiting (for a free connection, for a
silent server, for a connection to come back) and transactions that clean up after a failed
BEGIN."""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from typing import Any
from urllib.parse import urlencode

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import (
    PoolConnectionWrapper,
    TransactionContext,
    TransactionContextPooled,
)
from tortoise.backends.base_postgres.client import translate_exceptions
from tortoise.connection import get_connections
from tortoise.exceptions import DBConnectionError, TransactionManagementError

from mud_persistence import echo
from mud_persistence.batching import Batcher
from mud_persistence.urls import Address, DatabaseURL


class PoolExhaustedError(TimeoutError):
    """No connection became free within the acquire timeout; nothing was sent."""


class ConnectTimeoutError(ConnectionError):
    """Opening a new pooled connection timed out; nothing was sent."""


class BeginFailedError(ConnectionError):
    """The connection failed while starting a transaction; nothing of it was sent."""


class ClientClosedError(DBConnectionError):
    """The layer was closed: a call still in flight may not open a new pool."""


# A connection that dies at BEGIN: the unit of work never ran. A silent server (TimeoutError,
# itself an OSError) is left out: running the unit again would only wait again.
BEGIN_CONNECTION_ERRORS = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


class TimedPool(asyncpg.Pool):  # type: ignore[misc]
    """An asyncpg pool whose acquire() waits at most ``acquire_timeout`` seconds and whose
    release() waits at most ``release_timeout`` for a connection to come back clean."""

    def __init__(
        self,
        *args: Any,
        acquire_timeout: float | None = None,
        release_timeout: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._acquire_timeout = acquire_timeout
        self._release_timeout = release_timeout

    @property
    def release_timeout(self) -> float | None:
        return self._release_timeout

    @property
    def is_busy(self) -> bool:
        """Whether every connection is checked out: a query now would wait for one."""
        return bool(self._queue.empty())

    def acquire(self, *, timeout: float | None = None) -> Any:
        # asyncpg wraps a timed acquire in wait_for, a task per call; only a caller that may
        # have to wait for a connection needs it (measured with `make bench`,
        # get_player_by_id at 50 tasks: 0.43 -> 0.51 of raw asyncpg without the wrapper).
        if timeout is None and self._queue.empty():
            timeout = self._acquire_timeout
        return super().acquire(timeout=timeout)

    async def release(self, connection: Any, *, timeout: float | None = None) -> None:  # noqa: ASYNC109
        busy = self.is_busy  # else no caller waits for a connection
        if self._release_at_once(connection):
            if busy:
                # a caller the connection went to runs before this task can take it back
                await asyncio.sleep(0)
            return
        # A cancelled call's connection waits for its cancel request before it is reset; on a
        # server that stopped answering that wait never ends. Past the budget asyncpg closes
        # the connection, which frees its place in the pool all the same, and raises
        # TimeoutError, which would replace the caller's own error or cancellation.
        with contextlib.suppress(TimeoutError):
            await super().release(connection, timeout=timeout or self._release_timeout)

    def _release_at_once(self, proxy: Any) -> bool:
        """Put a connection that has nothing to reset back in the pool, without awaiting.

        asyncpg's release always runs its reset in a task of its own (``asyncio.shield``),
        with the release timeout, and wakes the caller again afterwards. A connection with no
        transaction, no cancel request in flight, no listeners and no session state has
        nothing to reset under the layer's reset function, and that is the usual connection
        after a call. Any other connection, one due to be closed (``max_queries``, an expired
        generation), or a pool with another reset function takes asyncpg's path.

        Measured with `make bench`, 3 runs, 1 task: get_player_by_id went from 0.82 to 1.07
        times the throughput of bench/contenders/raw_best.py, which pays asyncpg's release;
        save_player from 0.81 to 0.93. This reads asyncpg's private state, hence its pinned
        range; tests/integration/test_pool_reset.py fails if a release stops taking this path.
        """
        holder = getattr(proxy, "_holder", None)
        connection = getattr(proxy, "_con", None)
        if holder is None or connection is None or holder._pool is not self:
            return False  # asyncpg's release explains what is wrong with it
        protocol = connection._protocol
        if (
            connection.is_closed()
            or protocol._is_cancelling()
            or protocol.is_in_transaction()
            or connection._top_xact is not None
            or connection._listeners
            or connection._log_listeners
            or connection in _KEEPING_SESSION_STATE
            or protocol.queries_count >= holder._max_queries
            or holder._generation != self._generation
            or self._reset is not _reset_session_state
        ):
            return False
        connection._on_release()
        holder._timeout = None
        holder._release()  # back in the pool's queue, waking a caller waiting for it
        holder._setup_inactive_callback()  # an idle connection still closes after its lifetime
        return True

    async def _acquire(self, timeout: float | None) -> Any:  # noqa: ASYNC109 (asyncpg API)
        started = time.monotonic()
        try:
            return await super()._acquire(timeout)
        except TimeoutError as exc:
            if timeout is None or time.monotonic() - started < timeout * 0.95:
                raise ConnectTimeoutError(
                    f"opening a new database connection timed out: {exc}"
                ) from exc
            raise PoolExhaustedError(
                f"could not get a database connection within {timeout:g} s "
                f"(all {self.get_max_size()} of the pool are busy)"
            ) from exc


class SafeTransactionContext(TransactionContextPooled):
    """Tortoise's pooled transaction, minus two faults.

    - When BEGIN fails, Tortoise leaves the transaction client in the task's connection
      storage and never returns the connection, so every later query of that task fails with
      "released back to the pool".
    - A transaction that ends after the layer closed: Tortoise resets the task's connection
      storage through the context's connection handler, which close() has replaced, and
      raises ValueError ("created by a different ContextVar") instead of the commit's error.
      The storage is reset through the handler it was set in.
    """

    async def __aenter__(self) -> Any:
        await self.ensure_connection()
        pool = self.client._parent._pool
        self.client._connection = await pool.acquire()
        self._connections = get_connections()
        self.token = self._connections.set(self.connection_name, self.client)
        try:
            await self.client.begin()
        except BaseException as exc:
            self._connections.reset(self.token)
            await pool.release(self.client._connection)
            if isinstance(exc, BEGIN_CONNECTION_ERRORS) and not isinstance(exc, TimeoutError):
                raise BeginFailedError(f"the connection failed at BEGIN: {exc}") from exc
            raise
        return self.client

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        client = self.client
        pool = client._parent._pool  # None once the layer was closed
        try:
            if not client._finalized:
                if exc_type is None:
                    await client.commit()
                elif exc_type is not TransactionManagementError:
                    await _roll_back(client, pool)
        finally:
            if pool is not None:
                await pool.release(client._connection)
            self._connections.reset(self.token)


async def _roll_back(client: Any, pool: asyncpg.Pool | None) -> None:
    """Roll ``client``'s transaction back. The rollback waits for the server; one that stopped
    answering would hold the caller (even one cancelling the call) forever. Closing the
    connection instead rolls the transaction back on the server just the same, as close()
    did already when the pool is gone."""
    if pool is not None:
        try:
            async with asyncio.timeout(pool.release_timeout):
                await client.rollback()
            return
        except Exception:
            with contextlib.suppress(asyncpg.InterfaceError):  # released by close() meanwhile
                client._connection.terminate()
    client._finalized = True


class _LocalTimeoutTransaction(TransactionWrapper):
    """A transaction that sets the statement timeout for itself, for PgBouncer's
    transaction mode (a session-level setting would land on whichever server connection
    PgBouncer picked, or be refused at startup)."""

    def __init__(self, connection: AsyncpgDBClient, set_timeout: str) -> None:
        super().__init__(connection)
        self._set_timeout = set_timeout

    @translate_exceptions
    async def begin(self) -> None:
        await super().begin()
        await self._connection.execute(self._set_timeout)


class _StatementInTransaction:
    """A pooled connection whose statement runs in its own transaction that opens with the
    statement timeout: BEGIN and SET LOCAL go in one round trip, COMMIT in another."""

    def __init__(self, client: TimedAsyncpgClient, begin: str) -> None:
        self._pooled: PoolConnectionWrapper[asyncpg.Connection] = PoolConnectionWrapper(
            client, client._pool_init_lock
        )
        self._begin = begin
        self._connection: asyncpg.Connection | None = None

    async def __aenter__(self) -> asyncpg.Connection:
        connection = await self._pooled.__aenter__()
        try:
            await connection.execute(self._begin)
        except BaseException as exc:
            await self._pooled.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        self._connection = connection
        return connection

    async def __aexit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        connection = self._connection
        try:
            if connection is not None and not connection.is_closed():
                await connection.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            await self._pooled.__aexit__(exc_type, exc, traceback)


# asyncpg's own clean-up of a connection handed back to the pool: not the game's SQL
ASYNCPG_RESET = "SELECT pg_advisory_unlock_all()"

# Pooled connections that took session state; see holds_session_state.
_KEEPING_SESSION_STATE: weakref.WeakSet[asyncpg.Connection] = weakref.WeakSet()


def holds_session_state(connection: Any) -> None:
    """Mark a pooled connection (or its pool proxy) that took session state, such as a
    session advisory lock: the pool runs asyncpg's full reset when it is released."""
    _KEEPING_SESSION_STATE.add(getattr(connection, "_con", None) or connection)


async def _reset_session_state(connection: asyncpg.Connection) -> None:
    """The pool's reset of a released connection, after asyncpg rolled back any transaction
    left open. The layer keeps no session state (its statement timeouts are startup
    parameters or SET LOCAL, and LISTEN gets a connection of its own, outside the pool), so
    asyncpg's reset query (RESET ALL, UNLISTEN *, ...) is sent only for a connection marked
    by holds_session_state: it was one round trip per call (measured with `make bench`,
    +0.1 to 0.3 of raw-best on every operation without it)."""
    if connection in _KEEPING_SESSION_STATE:
        _KEEPING_SESSION_STATE.discard(connection)
        await connection.execute(connection.get_reset_query())


# statements whose result is a row count (Tortoise's execute_query returns no rows for them)
_COUNTED_STATEMENTS = frozenset({"UPDATE", "DELETE", "INSERT"})


async def _reraise(client: Any, exc: BaseException) -> None:
    raise exc  # inside Tortoise's _translate_exceptions, which maps it to its own errors


def _rows_affected(status: str) -> int:
    try:
        return int(status.split(" ")[1])  # as Tortoise reads it ("INSERT 0 1" gives 0)
    except (IndexError, ValueError):
        return 0


class TimedAsyncpgClient(AsyncpgDBClient):
    _closed = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._batcher = Batcher(self._acquire_for_batch, self._fetch)
        # mud_persistence.batching; settings.batch_when_busy
        self._batches = self.extra.pop("batch_when_busy", True)
        # set by settings.tortoise_config for pool_mode="transaction"; None otherwise
        timeout = self.extra.pop("transaction_statement_timeout", None)
        self._set_timeout = (
            f"SET LOCAL statement_timeout = {int(timeout * 1000)}" if timeout else None
        )

    def acquire_connection(self) -> Any:
        if self._set_timeout is None:
            return super().acquire_connection()
        return _StatementInTransaction(self, f"BEGIN; {self._set_timeout}")

    async def execute_query(self, query: str, values: list[Any] | None = None) -> Any:
        # Tortoise's own, minus a context manager, two wrapping coroutines (its exceptions
        # are translated only when one is raised) and an upper-cased copy of the whole
        # statement per call: every read and counter change runs through it.
        pool = self._pool
        if pool is None or self._set_timeout is not None:
            return await super().execute_query(query, values)
        self.log.debug("%s: %s", query, values)
        connection = await pool.acquire()
        try:
            if query.lstrip()[:6].upper() in _COUNTED_STATEMENTS:
                status = await connection.execute(query, *(values or ()))
                return _rows_affected(status), []
            rows = await connection.fetch(query, *(values or ()))
            return len(rows), rows
        except asyncpg.PostgresError as exc:
            return await self._translate_exceptions(_reraise, exc)
        finally:
            await pool.release(connection)

    async def fetch_rows(self, query: str, values: list[Any]) -> list[Any]:
        """The rows of a SELECT (execute_query's path without its statement-type check), for
        reads compiled once (repositories.sql.CompiledQuery); logged as execute_query logs."""
        pool = self._pool
        if pool is None or self._set_timeout is not None:
            return list((await super().execute_query(query, values))[1])
        connection = await pool.acquire()
        try:
            return await self._fetch(connection, query, values)
        finally:
            await pool.release(connection)

    async def _fetch(self, connection: Any, query: str, values: list[Any]) -> list[Any]:
        """``connection.fetch``, logged as execute_query logs, its errors translated as there."""
        self.log.debug("%s: %s", query, values)
        try:
            return await connection.fetch(query, *values)  # type: ignore[no-any-return]
        except asyncpg.PostgresError as exc:
            await self._translate_exceptions(_reraise, exc)
            raise  # not reached: the translation raises Tortoise's error

    def coalesces(self, query: str) -> bool:
        """Whether a call of the batched ``query`` joins a batch now (mud_persistence.batching):
        one waits for a connection already, or no connection is free, so it would wait anyway.
        Never under PgBouncer's transaction mode with a statement timeout, whose statements
        then run in a transaction each, to set it."""
        pool = self._pool
        if pool is None or self._set_timeout is not None or not self._batches:
            return False
        return self._batcher.is_waiting(query) or bool(pool.is_busy)

    async def fetch_batched_row(
        self, query: str, key: Any, values: tuple[Any, ...], *, shared: bool = False
    ) -> Any:
        """This call's row of the batched ``query``, or None: Batcher.fetch_row. A failure of
        the statement is each caller's, translated as execute_query translates it."""
        return await self._batcher.fetch_row(query, key, values, shared=shared)

    def _acquire_for_batch(self) -> Any:
        if self._pool is None:
            raise ClientClosedError("the connection pool was closed")
        return self._pool.acquire()

    @translate_exceptions
    async def execute_many(self, query: str, values: list[Any]) -> None:
        if self._set_timeout is None:
            await super().execute_many(query, values)
            return
        async with self.acquire_connection() as connection:  # already a transaction
            await connection.executemany(query, values)

    async def create_pool(self, **kwargs: Any) -> asyncpg.Pool:
        # asyncpg.create_pool's own defaults, which Pool itself does not have
        kwargs.setdefault("max_queries", 50000)
        kwargs.setdefault("max_inactive_connection_lifetime", 300.0)
        kwargs.setdefault("record_class", asyncpg.Record)
        kwargs.setdefault("reset", _reset_session_state)
        # Tortoise forwards one host and an integer port; asyncpg takes lists for several servers
        addresses = kwargs.pop("addresses", None)
        if addresses:
            kwargs["host"] = [host for host, _ in addresses]
            kwargs["port"] = [port for _, port in addresses]
        # asyncpg reads sslrootcert, sslcert and sslkey only from a DSN; the servers, user and
        # database still come from the keyword arguments, which take precedence over it
        tls_options = kwargs.pop("tls_options", None)
        dsn = f"postgresql://?{urlencode(tls_options)}" if tls_options else None
        if kwargs.pop("echo", False):
            echo.enable()
            kwargs["init"] = self._echo_statements
        return await TimedPool(dsn, **kwargs)

    async def create_connection(self, with_db: bool) -> None:
        # Tortoise reopens a closed client's pool on its next query: a call in flight during
        # close() would leave a pool behind that nobody closes.
        if self._closed:
            raise ClientClosedError("the connection pool was closed")
        await super().create_connection(with_db)

    async def _close(self) -> None:
        self._closed = True
        await self._batcher.close(ClientClosedError("the connection pool was closed"))
        await super()._close()

    def _in_transaction(self) -> TransactionContext:
        wrapper = (
            TransactionWrapper(self)
            if self._set_timeout is None
            else _LocalTimeoutTransaction(self, self._set_timeout)
        )
        return SafeTransactionContext(wrapper, self._pool_init_lock)

    async def _echo_statements(self, connection: asyncpg.Connection) -> None:
        password = self.password if isinstance(self.password, str) else None

        def log(query: Any) -> None:  # an asyncpg LoggedQuery, after each statement
            if query.query.startswith(ASYNCPG_RESET):
                return
            echo.log_statement(
                query.query,
                query.args,
                query.elapsed,
                password=password,
                error=query.exception,
            )

        connection.add_query_logger(log)


client_class = TimedAsyncpgClient


async def describe_servers(url: DatabaseURL, default_connect_timeout: float) -> str:
    """What each server of a several-host URL answers, as one line for an error message.

    asyncpg reports only the last server it tried; someone fixing the configuration needs to
    know which server is down and which is up but a standby.
    """
    seconds = url.connect_timeout(default_connect_timeout)
    answers = await asyncio.gather(*(_describe_server(url, a, seconds) for a in url.addresses))
    return "; ".join(f"{a}: {answer}" for a, answer in zip(url.addresses, answers, strict=True))


async def _describe_server(url: DatabaseURL, address: Address, seconds: float) -> str:
    tls_options = url.asyncpg_credentials().get("tls_options")
    try:
        connection = await asyncpg.connect(
            f"postgresql://?{urlencode(tls_options)}" if tls_options else None,
            host=address.host,
            port=address.port,
            user=url.user,
            password=url.password,
            database=url.database,
            timeout=seconds,
        )
    except ConnectionRefusedError:
        return "refused the connection"
    except TimeoutError:
        return "did not answer in time"
    except Exception as exc:
        return url.scrub(str(exc) or type(exc).__name__)
    try:
        if await connection.fetchval("SELECT pg_is_in_recovery()"):
            return "a standby (read-only)"
        if await connection.fetchval("SHOW transaction_read_only") == "on":
            return "read-only"
        return "takes writes"
    finally:
        await connection.close()
