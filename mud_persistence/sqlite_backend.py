"""Tortoise's SQLite backend, made safe for several processes on one file: transactions take
the write lock up front (waiting up to the busy timeout for it), and a failed BEGIN or a closed
client leaves nothing behind."""

from __future__ import annotations

import sqlite3
from typing import Any

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError

from mud_persistence.backend import ClientClosedError


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


class SafeSqliteClient(SqliteClient):
    _closed = False

    async def create_connection(self, with_db: bool) -> None:
        if self._closed:  # see TimedAsyncpgClient.create_connection
            raise ClientClosedError("the database connection was closed")
        await super().create_connection(with_db)

    async def close(self) -> None:
        self._closed = True
        await super().close()

    def _in_transaction(self) -> TransactionContext:
        return SafeSqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class = SafeSqliteClient
