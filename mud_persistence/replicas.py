"""Read replicas for one AsyncPersistenceLayer: which reads may go there, and when not.

Each replica is a Database of its own (its own Tortoise context and pool), bound for the
one operation that reads from it, so routing is per layer and per call; Tortoise's
process-global ``routers`` are not used. A read goes to a replica only when the replica has
replayed this layer's last write (read-your-writes) and is reachable; otherwise to the primary.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tortoise import connections
from tortoise.context import _current_context

from mud_persistence.database import Database
from mud_persistence.errors import DatabaseError
from mud_persistence.retry import DRIVER_ERRORS, MAYBE_SENT, NOT_SENT
from mud_persistence.settings import PersistenceSettings, load_settings

logger = logging.getLogger(__name__)
T = TypeVar("T")

# How long reads skip a replica that failed before one of them tries it again.
RETRY_DOWN_REPLICA_AFTER = 1.0
# A WAL position after every real one: what a server that is not a standby has replayed, and
# this layer's last write when the primary's position could not be read (reads then stay on
# the primary until a later write records a position).
_END = 2**64


# What a read may raise when the server (not the caller) failed; DatabaseError: could not open.
_REPLICA_FAILURES: tuple[type[BaseException], ...] = (*DRIVER_ERRORS, DatabaseError)


def parse_lsn(text: str) -> int:
    """PostgreSQL's ``X/Y`` WAL position as one number."""
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


class _Replica:
    def __init__(self, settings: PersistenceSettings) -> None:
        self.settings = settings
        self.database = Database(settings)
        self.replayed = 0  # the replay position last read on this replica
        self.down_since: float | None = None
        self.retry_at = 0.0

    async def open(self) -> None:
        """Open the replica's pool on first use; a replica that is down does not stop the
        layer from connecting."""
        if not self.database.is_open:
            await self.database.open()

    async def replay_position(self) -> int:
        with self.database.bound():
            rows = await connections.get(self.settings.connection_name).execute_query_dict(
                "SELECT pg_last_wal_replay_lsn()::text AS lsn"
            )
        lsn = rows[0]["lsn"]
        # not a standby (e.g. promoted): its data includes every committed write
        return _END if lsn is None else parse_lsn(lsn)


class ReplicaRouter:
    """Chooses, per read, between this layer's replicas and its primary."""

    def __init__(self, settings: PersistenceSettings, primary: Database) -> None:
        self._primary = primary
        self._connection_name = settings.connection_name
        self._replicas = [
            _Replica(load_settings(settings, database_url=url, replica_urls=[]))
            for url in settings.replica_urls
        ]
        self._turns = itertools.cycle(range(len(self._replicas) or 1))
        self._last_write = 0  # the primary's WAL position after this layer's last write

    @property
    def configured(self) -> bool:
        """Whether this layer has read replicas at all."""
        return bool(self._replicas)

    async def read(
        self, call: Callable[[], Awaitable[T]], on_primary: Callable[[], Awaitable[T]]
    ) -> T:
        """Run ``call`` on a replica that has this layer's writes, else ``on_primary()``.

        A read inside another operation (a write, a transaction) stays where that one runs.
        """
        # The primary opens first, so that it (not a replica) is Tortoise's fallback context
        # for model code in tasks that never saw connect().
        if self._replicas and self._primary.is_open and _current_context.get() is None:
            for replica in self._in_turn():
                try:
                    await replica.open()
                    if not await self._has_our_writes(replica):
                        continue
                    with replica.database.bound():
                        result = await call()
                except _REPLICA_FAILURES as exc:
                    self._failed(replica, exc)
                    continue
                self._recovered(replica)
                return result
        return await on_primary()

    async def note_write(self) -> None:
        """After a write (committed or maybe committed): remember the primary's WAL position,
        so later reads wait for a replica that has replayed it."""
        if not self._replicas:
            return
        try:
            with self._primary.bound():
                rows = await connections.get(self._connection_name).execute_query_dict(
                    "SELECT pg_current_wal_insert_lsn()::text AS lsn"
                )
            position = parse_lsn(rows[0]["lsn"])
        except _REPLICA_FAILURES:
            position = _END
        if self._last_write == _END:
            self._last_write = position  # a position read after the unknown one covers it
        else:
            self._last_write = max(self._last_write, position)

    async def close(self) -> None:
        for replica in self._replicas:
            await replica.database.close()

    def _in_turn(self) -> list[_Replica]:
        start = next(self._turns)
        ordered = self._replicas[start:] + self._replicas[:start]
        now = time.monotonic()
        return [r for r in ordered if r.down_since is None or now >= r.retry_at]

    async def _has_our_writes(self, replica: _Replica) -> bool:
        if replica.replayed >= self._last_write:
            return True
        replica.replayed = await replica.replay_position()
        return replica.replayed >= self._last_write

    def _failed(self, replica: _Replica, exc: BaseException) -> None:
        if not isinstance(exc, (*NOT_SENT, *MAYBE_SENT, DatabaseError)):
            return  # the query failed there (e.g. a recovery conflict); the replica is fine
        now = time.monotonic()
        replica.retry_at = now + RETRY_DOWN_REPLICA_AFTER
        if replica.down_since is None:
            replica.down_since = now
            logger.warning(
                "read replica %s is unreachable (%s); reading from the primary until it "
                "answers again",
                replica.settings.describe_database(),
                replica.settings.scrub(str(exc) or type(exc).__name__),
            )

    def _recovered(self, replica: _Replica) -> None:
        if replica.down_since is not None:
            logger.warning(
                "read replica %s answers again after %.1f s",
                replica.settings.describe_database(),
                time.monotonic() - replica.down_since,
            )
            replica.down_since = None
