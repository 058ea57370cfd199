"""The outbox's SQL: writing a change's row, numbering committed rows in commit order, reading
them back, claiming rows no local bus took, pruning, and the LISTEN connection."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import asyncpg
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from mud_persistence.events import EVENTS_PER_CHANGE
from mud_persistence.models import OutboxEntry
from mud_persistence.urls import DatabaseURL

CHANNEL = "mud_persistence_outbox"
# pg_advisory_xact_lock key of the numbering transaction ("outbox" in ASCII): one relay at a time
NUMBERING_LOCK = 0x6F7574626F78
BATCH = 1000
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class StoredChange:
    """One outbox row as readers see it."""

    id: int
    event_id: int | None
    kind: str
    payload: dict[str, Any]
    origin: str
    created_at: datetime


def _db() -> BaseDBAsyncClient:
    return OutboxEntry._meta.db


def _is_postgres(db: BaseDBAsyncClient) -> bool:
    return db.capabilities.dialect == "postgres"


async def insert_change(
    kind: str, payload: dict[str, Any], origin: str, player_id: uuid.UUID | None = None
) -> int:
    """Write one change's row in the current transaction; return its id."""
    entry = await OutboxEntry.create(kind=kind, payload=payload, origin=origin, player_id=player_id)
    return int(entry.id)


def outbox_cte(change: str, *, first_parameter: int) -> str:
    """``outbox_rows AS (INSERT ...)`` for PostgreSQL: a CTE that writes the outbox row of the
    row the CTE ``change`` returns, in the same statement (its columns become the payload's
    ``row``), and returns the new row's id. It takes three parameters, numbered from
    ``first_parameter``: the kind, the call's arguments as JSON (``player_id`` among them) and
    the writer's origin."""
    kind, args, origin = (f"${first_parameter + n}" for n in range(3))
    return (
        "outbox_rows AS (INSERT INTO outbox (kind, player_id, payload, origin) "
        f"SELECT {kind}, ({args}::jsonb->>'player_id')::uuid, "
        f"jsonb_build_object('args', {args}::jsonb, 'row', to_jsonb({change})), {origin} "
        f"FROM {change} RETURNING id)"
    )


async def number_committed(delivered: Collection[int], notify: bool) -> tuple[int | None, set[int]]:
    """Give every committed, unnumbered row its ``event_id`` (in id order, after the highest
    so far), one batch, and mark the ``delivered`` ids delivered, in one transaction that one
    relay at a time runs. On PostgreSQL, NOTIFY the highest id when ``notify``.

    Returns:
        The highest event_id numbered now (None when none was pending), and the delivered ids
        marked.
    """
    ids = sorted(delivered)
    async with in_transaction() as db:
        if _is_postgres(db):
            await db.execute_query("SELECT pg_advisory_xact_lock($1)", [NUMBERING_LOCK])
            # a new statement, after the lock: it sees every row the previous holder numbered
            rows = await db.execute_query_dict(
                _NUMBER_PG if notify else _NUMBER_PG_QUIET,
                [ids, BATCH, CHANNEL][: 3 if notify else 2],
            )
        else:  # BEGIN IMMEDIATE: this transaction holds SQLite's one write lock
            # not "IN (NULL)" when none was delivered: "delivered OR NULL" would be NULL
            took = f"outbox.id IN ({', '.join('?' * len(ids))})" if ids else "0"
            rows = await db.execute_query_dict(_NUMBER_SQLITE.format(took=took), [BATCH, *ids])
        marked = {row["id"] for row in rows if row["delivered"]} & set(ids)
        rest = [i for i in ids if i not in marked]
        if rest:
            await _mark_delivered(db, rest)
            marked.update(rest)
        last = max((row["event_id"] for row in rows), default=None)
    return last, marked


_PENDING = "SELECT id FROM outbox WHERE event_id IS NULL ORDER BY id LIMIT {limit}"
# the first number after the last row's (each row takes EVENTS_PER_CHANGE numbers)
_NEXT = f"COALESCE(MAX(event_id) + {EVENTS_PER_CHANGE}, 1)"
_NUMBERED = f"""
WITH base AS (SELECT {_NEXT} AS first FROM outbox),
pending AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM ({_PENDING.format(limit="$2")}) p),
numbered AS (UPDATE outbox SET event_id = base.first + (pending.n - 1) * {EVENTS_PER_CHANGE},
    delivered = outbox.delivered OR outbox.id = ANY($1::bigint[])
FROM base, pending WHERE outbox.id = pending.id
RETURNING outbox.id, outbox.event_id, outbox.delivered)"""
# the NOTIFY in the same statement: one per round, carrying the highest number
_NUMBER_PG = (
    _NUMBERED
    + """, announced AS (SELECT pg_notify($3, MAX(event_id)::text) FROM numbered
    HAVING COUNT(*) > 0)
SELECT id, event_id, delivered, (SELECT COUNT(*) FROM announced) AS notified FROM numbered"""
)
_NUMBER_PG_QUIET = _NUMBERED + " SELECT id, event_id, delivered FROM numbered"
_NUMBER_SQLITE = f"""
UPDATE outbox SET event_id = (SELECT {_NEXT} FROM outbox) + (pending.n - 1) * {EVENTS_PER_CHANGE},
    delivered = outbox.delivered OR {{took}}
FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM ({_PENDING.format(limit="?")})) pending
WHERE outbox.id = pending.id
RETURNING outbox.id, outbox.event_id, outbox.delivered"""


async def _mark_delivered(db: BaseDBAsyncClient, ids: Sequence[int]) -> None:
    if _is_postgres(db):
        await db.execute_query(
            "UPDATE outbox SET delivered = TRUE WHERE id = ANY($1::bigint[])", [list(ids)]
        )
    else:
        marks = ", ".join("?" * len(ids))
        await db.execute_query(f"UPDATE outbox SET delivered = 1 WHERE id IN ({marks})", list(ids))


async def last_event_id() -> int:
    """The highest event number given so far (0 when none): the last the newest row holds."""
    rows = await _db().execute_query_dict(
        f"SELECT COALESCE(MAX(event_id) + {EVENTS_PER_CHANGE - 1}, 0) AS last FROM outbox"
    )
    return int(rows[0]["last"])


async def numbered_after(
    event_id: int,
    limit: int = BATCH,
    *,
    kinds: Collection[str] | None = None,
    skip_origin: str | None = None,
) -> tuple[list[StoredChange], int]:
    """Numbered rows holding an event numbered after ``event_id``, in event_id order: only rows
    of ``kinds`` (all when None) and not written by ``skip_origin``, filtered by the database so
    that a reader of a few kinds does not fetch every row.

    Returns:
        The rows, and the last event number the read went past (``event_id`` when it found
        none): a reader continues after it, past the rows the filters left out.
    """
    db = _db()
    postgres = _is_postgres(db)
    # the row that holds event_id may hold later numbers too
    parameters: list[Any] = [event_id - (EVENTS_PER_CHANGE - 1)]
    conditions = [f"event_id > {_mark(postgres, 1)}"]
    if kinds is not None:
        kinds = sorted(kinds)
        if postgres:
            conditions.append(f"kind = ANY({_mark(postgres, len(parameters) + 1)})")
            parameters.append(kinds)
        else:
            conditions.append(f"kind IN ({', '.join('?' * len(kinds)) or 'NULL'})")
            parameters.extend(kinds)
    if skip_origin is not None:
        conditions.append(f"origin <> {_mark(postgres, len(parameters) + 1)}")
        parameters.append(skip_origin)
    # one statement: the rows, then a row holding only the highest event_id, read in the same
    # snapshot, so that a reader knows how far it got when the filters left rows out
    rows = await db.execute_query_dict(
        "SELECT * FROM (SELECT id, event_id, kind, payload, origin, created_at FROM outbox "
        f"WHERE {' AND '.join(conditions)} ORDER BY event_id LIMIT {int(limit)}) found "
        "UNION ALL SELECT NULL, MAX(event_id), NULL, NULL, NULL, NULL FROM outbox",
        parameters,
    )
    changes = [_stored(row) for row in rows if row["id"] is not None]
    highest = next((row["event_id"] for row in rows if row["id"] is None), None)
    if len(changes) == limit:  # more may follow the last row read
        highest = changes[-1].event_id
    through = event_id if highest is None else int(highest) + EVENTS_PER_CHANGE - 1
    return changes, max(event_id, through)


def _mark(postgres: bool, number: int) -> str:
    return f"${number}" if postgres else "?"


async def claim_undelivered(
    ids: Collection[int],
    older_than: datetime,
    publish: Callable[[list[StoredChange]], Any],
) -> set[int]:
    """Lock undelivered rows that are among ``ids`` or were written before ``older_than`` (a
    writer that died between its commit and its publish), skipping rows another relay holds;
    hand them to ``publish`` (which returns the ids it published) and mark those delivered,
    in one transaction.

    Returns:
        The ids published and marked delivered.
    """
    async with in_transaction() as db:
        if _is_postgres(db):
            rows = await db.execute_query_dict(
                "SELECT id, event_id, kind, payload, origin, created_at FROM outbox "
                "WHERE NOT delivered AND (id = ANY($1::bigint[]) OR created_at < $2) "
                f"ORDER BY id LIMIT {BATCH} FOR UPDATE SKIP LOCKED",
                [sorted(ids), older_than],
            )
        else:
            marks = ", ".join("?" * len(ids)) or "NULL"
            rows = await db.execute_query_dict(
                "SELECT id, event_id, kind, payload, origin, created_at FROM outbox "
                f"WHERE NOT delivered AND (id IN ({marks}) OR created_at < ?) "
                f"ORDER BY id LIMIT {BATCH}",
                [*sorted(ids), older_than.astimezone(UTC).strftime(_SQLITE_TIME)],
            )
        if not rows:
            return set()
        published: set[int] = await publish([_stored(row) for row in rows])
        if published:
            await _mark_delivered(db, sorted(published))
    return published


async def prune(older_than: datetime) -> int:
    """Delete delivered, numbered rows written before ``older_than``, one batch, keeping the
    newest numbered row (numbering continues after it). Returns how many were deleted."""
    db = _db()
    if _is_postgres(db):
        cutoff: Any = older_than
        marks = ("$1", "$2")
    else:
        cutoff = older_than.astimezone(UTC).strftime(_SQLITE_TIME)
        marks = ("?", "?")
    rows = await db.execute_query_dict(
        "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE delivered "
        f"AND event_id < (SELECT MAX(event_id) FROM outbox) AND created_at < {marks[0]} "
        f"ORDER BY id LIMIT {marks[1]}) RETURNING id",
        [cutoff, BATCH * 10],
    )
    return len(rows)


def _stored(row: dict[str, Any]) -> StoredChange:
    payload = row["payload"]
    created = row["created_at"]
    if isinstance(created, str):  # SQLite
        created = datetime.fromisoformat(created)
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return StoredChange(
        id=int(row["id"]),
        event_id=None if row["event_id"] is None else int(row["event_id"]),
        kind=row["kind"],
        payload=json.loads(payload) if isinstance(payload, str | bytes) else payload,
        origin=row["origin"],
        created_at=created,
    )


async def listen(
    url: DatabaseURL, connect_timeout: float, on_notify: Callable[[str], None]
) -> asyncpg.Connection:
    """A dedicated connection (never from the pool: PgBouncer's transaction mode cannot keep a
    LISTEN) that calls ``on_notify(payload)`` for each NOTIFY of the outbox channel."""
    credentials = url.asyncpg_credentials()
    tls = credentials.get("tls_options")
    addresses = url.addresses
    connection = await asyncpg.connect(
        f"postgresql://?{urlencode(tls)}" if tls else None,
        host=[a.host for a in addresses] if addresses else None,
        port=[a.port for a in addresses] if addresses else url.port,
        user=url.user,
        password=url.password,
        database=url.database,
        timeout=connect_timeout,
        # notifications come from the primary: a standby never sends them
        target_session_attrs="read-write" if len(addresses) > 1 else None,
        statement_cache_size=0,
    )
    await connection.add_listener(CHANNEL, lambda *args: on_notify(str(args[-1])))
    return connection
