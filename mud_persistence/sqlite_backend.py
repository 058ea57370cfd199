"""Tortoise's SQLite backend, with a worker thread that never keeps a program from exiting."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import aiosqlite
from tortoise.backends.sqlite.client import SqliteClient

from mud_persistence import echo


class DaemonThreadSqliteClient(SqliteClient):
    """aiosqlite runs each connection on a thread of its own. Over Tortoise's client:

    - the thread is a daemon, so a program that raises before ``close()`` still exits (a
      non-daemon thread keeps the interpreter waiting in ``threading._shutdown`` for ever);
    - after a failed open, the thread is waited for while the event loop still runs; otherwise
      it finishes after ``asyncio.run`` has closed the loop and prints "Event loop is closed";
    - with ``echo``, each statement is logged with its duration (``MUD_PERSISTENCE_ECHO``).
    """

    def __init__(self, file_path: str, **kwargs: Any) -> None:
        self._echo = bool(kwargs.pop("echo", False))  # ours, not a PRAGMA
        super().__init__(file_path, **kwargs)

    async def create_connection(self, with_db: bool) -> None:
        if self._connection:
            return
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
