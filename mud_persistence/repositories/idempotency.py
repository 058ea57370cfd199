"""The SQL of idempotency keys: claim a key for a call, record its result, read back what a
recorded result names, and delete expired keys. Written by hand (an upsert whose update only
takes over an expired row), for PostgreSQL and SQLite alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.models import Model

from mud_persistence.models import IdempotencyKey

# An expired row is taken over by the same statement that would insert a new one, so expiry
# costs the hot path nothing; only rows that are still live are left alone (and locked).
CLAIM = (
    'INSERT INTO "idempotency_keys" ("key", "method", "fingerprint", "created_at", "expires_at")'
    " VALUES ({0}, {1}, {2}, {3}, {4})"
    ' ON CONFLICT ("key") DO UPDATE SET "method" = excluded."method",'
    ' "fingerprint" = excluded."fingerprint", "result" = NULL,'
    ' "created_at" = excluded."created_at", "expires_at" = excluded."expires_at"'
    ' WHERE "idempotency_keys"."expires_at" <= excluded."created_at"'
    ' RETURNING "key"'
)
RECORDED = 'SELECT "method", "fingerprint", "result" FROM "idempotency_keys" WHERE "key" = {0}'
RECORD = 'UPDATE "idempotency_keys" SET "result" = {0} WHERE "key" = {1}'
# The outer condition is checked again on the row itself: PostgreSQL re-reads a row whose lock
# it waited for, and a call may have taken the key over (and made it live) meanwhile.
DELETE_EXPIRED = (
    'DELETE FROM "idempotency_keys" WHERE "key" IN (SELECT "key" FROM "idempotency_keys"'
    ' WHERE "expires_at" <= {0} LIMIT {1}) AND "expires_at" <= {0} RETURNING "key"'
)


@dataclass(frozen=True)
class RecordedCall:
    """A live key's row: the call that claimed it, and its result as JSON."""

    method: str
    fingerprint: str
    result: str | None


def _sql(template: str, connection: Any) -> str:
    """``template`` with its ``{n}`` as numbered parameters (a number may repeat)."""
    mark = "$" if connection.capabilities.dialect == "postgres" else "?"
    return template.format(*(f"{mark}{n}" for n in range(1, template.count("{") + 1)))


class IdempotencyRepository:
    """Runs inside the keyed call's transaction: every statement joins it."""

    async def claim(
        self, key: str, method: str, fingerprint: str, now: datetime, expires_at: datetime
    ) -> RecordedCall | None:
        """Claim ``key`` for this call; None when claimed (new, or expired and taken over),
        else the live row another call recorded, which this transaction now holds locked.

        A call that holds the key in a transaction still open makes this wait for its end.
        """
        connection = IdempotencyKey._meta.db
        claimed = await connection.execute_query_dict(
            _sql(CLAIM, connection), [key, method, fingerprint, now, expires_at]
        )
        if claimed:
            return None
        # the claim locked the live row (PostgreSQL) or holds the write lock (SQLite): an expiry
        # sweep cannot delete it before this reads it
        (row,) = await connection.execute_query_dict(_sql(RECORDED, connection), [key])
        return RecordedCall(row["method"], row["fingerprint"], row["result"])

    async def record(self, key: str, result: str) -> None:
        """Store the call's result (JSON) in the row this transaction claimed."""
        connection = IdempotencyKey._meta.db
        await connection.execute_query(_sql(RECORD, connection), [result, key])

    async def load(self, model: type[Model], pk: Any) -> Model | None:
        """The row a recorded result names (a Player, an ItemInstance, ...), as it is now."""
        return await model.filter(pk=pk).first()

    async def delete_expired(self, now: datetime, batch_size: int = 1000) -> int:
        """Delete keys expired at ``now``, ``batch_size`` rows per statement; return how many."""
        connection = IdempotencyKey._meta.db
        deleted = 0
        while True:
            rows = await connection.execute_query_dict(
                _sql(DELETE_EXPIRED, connection), [now, batch_size]
            )
            deleted += len(rows)
            if len(rows) < batch_size:
                return deleted
