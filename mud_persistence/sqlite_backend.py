"""Tortoise's SQLite backend, with a worker thread that never keeps a program from exiting, and
safe for several processes on one file: transactions take the write lock up front (waiting up to
the busy timeout for it), and a failed BEGIN or a closed client leaves nothing behind."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import aiosqlite
from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError

from mud_persistence import echo
from mud_persistence.backend import ClientClosedError


class DaemonThreadSqliteClient(SqliteClient):
    """aiosqlite runs each connection on a thread of its own. Over Tortoise's client:

    - the thread is a daemon, so a program that raises before ``close()`` still exits (a
      non-daemon thread keeps the interpreter waiting in ``threading._shutdown`` for ever);
    - after a failed open, the thread is waited for while the event loop still runs; otherwise
      it finishes after ``asyncio.run`` has closed the loop and prints "Event loop is closed";
    - with ``echo``, each statement is logged with its duration (``MUD_PERSISTENCE_ECHO``);
    - once closed it stays closed (see TimedAsyncpgClient.create_connection);
    - transactions begin with ``BEGIN IMMEDIATE`` and clean up after a failed BEGIN.
    """

    _closed = False

    def __init__(self, file_path: str, **kwargs: Any) -> None:
        self._echo = bool(kwargs.pop("echo", False))  # ours, not a PRAGMA
        super().__init__(file_path, **kwargs)

    async def close(self) -> None:
        self._closed = True
        await super().close()

    def _in_transaction(self) -> TransactionContext:
        return SafeSqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)

    async def create_connection(self, with_db: bool) -> None:
        if self._connection:
            return
        if self._closed:
            raise ClientClosedError("the database connection was closed")
        if self._echo:
            echo.enable()
            connection: aiosqlite.Connection = EchoingConnection(
                functools.partial(sqlite3.connect, self.filename, isolation_level=None),
                iter_chunk_size=64,  # aiosqlite.connect's default
            )
        else:
            connection = aiosqlite.connect(self.filename, isolation_level=None)
        connection._thread.daemon = True
        try:
            self._connection = await connection
        except BaseException:
            await asyncio.to_thread(connection._thread.join, 5)
            raise
        self._connection._conn.row_factory = sqlite3.Row
        for pragma, value in self.pragmas.items():
            cursor = await self._connection.execute(f"PRAGMA {pragma}={value}")
            await cursor.close()
        await self._post_connect()


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    async def begin(self) -> None:
        # A deferred transaction that reads and then writes cannot wait for another process's
        # write lock: SQLite refuses it at once ("database is locked") to avoid a deadlock.
        # Taking the lock at BEGIN makes it wait up to the busy timeout instead.
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class SafeSqliteTransactionContext(SqliteTransactionContext):
    """Tortoise's SQLite transaction, minus its leak: when BEGIN fails, Tortoise keeps the
    client's transaction lock, and every later call of the process waits for it forever."""

    async def __aenter__(self) -> Any:
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            self.token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(self.token)
                raise
        except BaseException:
            self._trxlock.release()
            raise
        return self.connection


class EchoingConnection(aiosqlite.Connection):
    """An aiosqlite connection that logs each statement it runs, with its duration."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not args or not isinstance(args[0], str):  # commit, close, cursor, ...: no SQL
            return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        started = time.perf_counter()
        parameters = args[1] if len(args) > 1 else None
        try:
            result = await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        except BaseException as exc:
            echo.log_statement(
                args[0], parameters, time.perf_counter() - started, password=None, error=exc
            )
            raise
        echo.log_statement(args[0], parameters, time.perf_counter() - started, password=None)
        return result


client_class = DaemonThreadSqliteClient
