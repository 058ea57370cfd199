"""Tortoise's SQLite backend, with a worker thread that never keeps a program from exiting."""

from __future__ import annotations

import asyncio
import sqlite3

import aiosqlite
from tortoise.backends.sqlite.client import SqliteClient


class DaemonThreadSqliteClient(SqliteClient):
    """aiosqlite runs each connection on a thread of its own. Two fixes over Tortoise's client:

    - the thread is a daemon, so a program that raises before ``close()`` still exits (a
      non-daemon thread keeps the interpreter waiting in ``threading._shutdown`` for ever);
    - after a failed open, the thread is waited for while the event loop still runs; otherwise
      it finishes after ``asyncio.run`` has closed the loop and prints "Event loop is closed".
    """

    async def create_connection(self, with_db: bool) -> None:
        if self._connection:
            return
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


client_class = DaemonThreadSqliteClient
