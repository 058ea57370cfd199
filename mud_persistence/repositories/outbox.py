"""The outbox's SQL: writing a change's row, reading rows back in id order, telling when a
missing id is settled, each process's published position (and taking over a dead process's),
pruning, NOTIFY and the LISTEN connection."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import asyncpg
from tortoise.backends.base.client import BaseDBAsyncClient

from mud_persistence.events import first_event_id
from mud_persistence.models import OutboxEntry
from mud_persistence.urls import DatabaseURL

CHANNEL = "mud_persistence_outbox"
BATCH = 1000
PRUNE_BATCH = BATCH * 10  # the most rows one prune deletes
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S"
_COLUMNS = "id, kind, payload, origin, created_at"


@dataclass(frozen=True)
class StoredChange:
    """One outbox row as readers see it; ``event_id`` is the number of its first event."""

    id: int
    event_id: int
    kind: str
    payload: dict[str, Any]
    origin: str
    created_at: datetime


def _db() -> BaseDBAsyncClient:
    return OutboxEntry._meta.db


def _is_postgres(db: BaseDBAsyncClient) -> bool:
    return db.capabilities.dialect == "postgres"


def _marks(db: BaseDBAsyncClient, count: int, first: int = 1) -> list[str]:
    if _is_postgres(db):
        return [f"${n}" for n in range(first, first + count)]
    return ["?"] * count


async def insert_change(
    kind: str, payload: dict[str, Any], origin: str, player_id: uuid.UUID | None = None
) -> int:
    """Write one change's row in the current transaction; return its id."""
    entry = await OutboxEntry.create(kind=kind, payload=payload, origin=origin, player_id=player_id)
    return int(entry.id)


def outbox_cte(change: str, *, kind: str, first_parameter: int, player: int) -> str:
    """``outbox_rows AS (INSERT ...)`` for PostgreSQL: a CTE that writes the outbox row of
    kind ``kind`` of the row the CTE ``change`` returns, in the same statement (its columns
    become the payload's ``row``), and returns the new row's id. It takes two parameters,
    numbered from ``first_parameter``: the call's arguments as JSON and the writer's origin;
    the player's id is parameter ``player``."""
    args, origin = (f"${first_parameter + n}" for n in range(2))
    return _insert_rows(
        kind=_literal(kind),
        player=f"${player}",
        args=args,
        row=f"row_to_json({change})",
        origin=origin,
        source=change,
        returning="id",
    )


def batched_outbox_cte(
    change: str,
    batch_input: str,
    *,
    kind: str,
    columns: Sequence[str],
    first_column: int,
    player: int,
) -> str:
    """outbox_cte for a batched statement (mud_persistence.batching): an outbox row of kind
    ``kind`` for each row ``change`` returns, in the order of the batch's calls, returning its
    id and player. The arguments and origin are the columns of ``batch_input`` (the batch's
    values, ``p1``, ...) numbered from ``first_column``, and the player's id is column
    ``player``; the payload's ``row`` holds ``change``'s ``columns`` (not its
    ``lookup_index``), so it is the row a call alone writes."""
    args, origin = (f'{batch_input}."p{first_column + n}"' for n in range(2))
    row = ", ".join(f"'{column}', {change}.\"{column}\"" for column in columns)
    return _insert_rows(
        kind=_literal(kind),
        player=f'{batch_input}."p{player}"',
        args=args,
        row=f"json_build_object({row})",
        origin=origin,
        source=f"{change} JOIN {batch_input} USING (lookup_index) ORDER BY lookup_index",
        returning="id, player_id",
    )


def _literal(kind: str) -> str:
    """``kind``, a name of lower-case letters and underscores, as an SQL string literal."""
    if not re.fullmatch(r"[a-z_]+", kind):
        raise ValueError(f"an outbox kind is lower-case letters and underscores, not {kind!r}")
    return f"'{kind}'"


def _insert_rows(
    *, kind: str, player: str, args: str, row: str, origin: str, source: str, returning: str
) -> str:
    # The id is taken here, not by the column's default, outbox_next_id(): that function
    # gives the transaction its id before taking the number, and here ``source`` holds rows
    # its statement has changed, so the transaction has its id already (a caller's ``source``
    # must be such rows). This saves a PL/pgSQL call per row of a batched counter change.
    return (
        "outbox_rows AS (INSERT INTO outbox (id, kind, player_id, payload, origin) "
        f"SELECT nextval('outbox_id_seq'), {kind}, {player}, "
        f"json_build_object('args', {args}::json, 'row', {row}), {origin} "
        f"FROM {source} RETURNING {returning})"
    )


async def newest_ids(window: int) -> list[int]:
    """The ids of the committed rows from the newest down to ``window`` numbers below it,
    newest first (none when the outbox is empty)."""
    db = _db()
    rows = await db.execute_query_dict(
        "SELECT id FROM outbox WHERE id >= (SELECT MAX(id) FROM outbox) - "
        f"{_marks(db, 1)[0]} ORDER BY id DESC",
        [window],
    )
    return [int(row["id"]) for row in rows]


@dataclass(frozen=True)
class Read:
    """One read of the rows after a position (``rows_after``)."""

    found: int  # how many ids it found (at most the limit: at the limit there may be more)
    highest: int | None  # the highest id found
    stopped_at: int | None  # the first id found after a missing id that may still commit
    last: int | None  # the id a reader goes on from: the one before ``stopped_at``, else the
    # highest found (None when none was found)
    changes: list[StoredChange]  # the rows the reader wants, before ``stopped_at``


async def rows_after(
    row_id: int,
    limit: int = BATCH,
    *,
    settled: int = 0,
    kinds: Collection[str] | None = None,
    skip_origin: str | None = None,
) -> Read:
    """The committed rows after ``row_id``, in id order, at most ``limit``, up to the first
    that follows a missing id above ``settled`` (on PostgreSQL, where such an id may still
    commit; on SQLite none is ever filled, so none stops the read). The rows themselves come
    back only for those of ``kinds`` (all when None) not written by ``skip_origin``; the
    database tells the missing ids, so that a reader of a few kinds fetches no other row.
    """
    db = _db()
    postgres = _is_postgres(db)
    if postgres:
        parameters: list[Any] = [row_id, settled]
        position, settled_mark = "$1", "$2"
    else:  # "?" marks are numbered by place: the position is given twice
        parameters = [row_id, row_id]
        position, settled_mark = "?", ""
    wanted = []
    if kinds is not None:
        kinds = sorted(kinds)
        if postgres:
            wanted.append(f"w.kind = ANY(${len(parameters) + 1})")
            parameters.append(kinds)
        else:
            wanted.append(f"w.kind IN ({', '.join('?' * len(kinds)) or 'NULL'})")
            parameters.extend(kinds)
    if skip_origin is not None:
        wanted.append(f"w.origin <> {_marks(db, 1, len(parameters) + 1)[0]}")
        parameters.append(skip_origin)
    # the first id found after a missing one that may still commit, and the id before it
    stop = f"id > prev + 1 AND id - 1 > {settled_mark}" if postgres else "FALSE"
    condition = " AND ".join([*wanted, "(s.stopped_at IS NULL OR w.id < s.stopped_at)"])
    rows = await db.execute_query_dict(
        f"WITH found AS (SELECT {_COLUMNS} FROM outbox WHERE id > {position} "
        f"ORDER BY id LIMIT {int(limit)}), "
        f"stepped AS (SELECT found.*, LAG(id, 1, {position}) OVER (ORDER BY id) AS prev "
        "FROM found), "
        f"summary AS (SELECT COUNT(*) AS found, MAX(id) AS highest, "
        f"MIN(CASE WHEN {stop} THEN id END) AS stopped_at, "
        f"COALESCE(MIN(CASE WHEN {stop} THEN prev END), MAX(id)) AS last FROM stepped) "
        f"SELECT s.found, s.highest, s.stopped_at, s.last, w.{', w.'.join(_COLUMNS.split(', '))} "
        f"FROM summary s LEFT JOIN stepped w ON {condition} ORDER BY w.id",
        parameters,
    )
    first = rows[0]
    return Read(
        found=int(first["found"]),
        highest=_id_or_none(first["highest"]),
        stopped_at=_id_or_none(first["stopped_at"]),
        last=_id_or_none(first["last"]),
        changes=[_stored(row) for row in rows if row["id"] is not None],
    )


def _id_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


async def rows_by_id(ids: Collection[int]) -> list[StoredChange]:
    """The rows of ``ids`` still in the outbox, in id order."""
    db = _db()
    ids = sorted(ids)
    parameters: list[Any]
    if _is_postgres(db):
        where, parameters = "id = ANY($1)", [ids]
    else:
        where, parameters = f"id IN ({', '.join('?' * len(ids))})", ids
    rows = await db.execute_query_dict(
        f"SELECT {_COLUMNS} FROM outbox WHERE {where} ORDER BY id", parameters
    )
    return [_stored(row) for row in rows]


async def rows_of_origin_after(origin: str, row_id: int) -> list[StoredChange]:
    """Up to BATCH rows ``origin`` wrote after ``row_id``, in id order."""
    db = _db()
    marks = _marks(db, 2)
    rows = await db.execute_query_dict(
        f"SELECT {_COLUMNS} FROM outbox WHERE origin = {marks[0]} AND id > {marks[1]} "
        f"ORDER BY id LIMIT {BATCH}",
        [origin, row_id],
    )
    return [_stored(row) for row in rows]


# -- missing ids ---------------------------------------------------------------------------
# On PostgreSQL, an id missing below a committed one belongs to a transaction that rolled back
# or is still running. outbox_next_id() gives a writer its transaction id before its row id (a
# counter's statement numbers its rows after its UPDATE gave it one, _insert_rows), so that
# transaction's id was given out before the reader saw the gap. A new transaction id,
# taken then, is above every id given out so far (a snapshot's xmax is not: it is one past the
# last transaction to complete, and a running transaction can hold it); once every transaction
# below it has ended, the missing id is settled: committed, and visible, or never. SQLite takes
# ids under its one write lock, in commit order: a missing id there is never filled.


async def gap_bound() -> int | None:
    """A transaction id above every one given out so far (PostgreSQL; it takes a new one);
    None on SQLite, and on a standby, which gives out none."""
    db = _db()
    if not _is_postgres(db):
        return None
    rows = await db.execute_query_dict(
        "SELECT CASE WHEN NOT pg_is_in_recovery() THEN pg_current_xact_id()::text END AS bound"
    )
    return _id_or_none(rows[0]["bound"])


async def ended_before(bound: int) -> tuple[bool, int]:
    """Whether every transaction with an id below ``bound`` has ended, and the lowest row id
    the outbox still holds (0 when empty)."""
    rows = await _db().execute_query_dict(
        "SELECT pg_snapshot_xmin(pg_current_snapshot()) >= $1::text::xid8 AS ended, "
        "COALESCE((SELECT MIN(id) FROM outbox), 0) AS oldest",
        [str(bound)],
    )
    return bool(rows[0]["ended"]), int(rows[0]["oldest"])


# -- each process's published position -------------------------------------------------------


async def heartbeat(origin: str, published_id: int) -> None:
    """``origin`` is alive and has published its rows up to ``published_id`` on its bus."""
    db = _db()
    marks = _marks(db, 2)
    await db.execute_query(
        f"INSERT INTO outbox_origins (origin, published_id) VALUES ({marks[0]}, {marks[1]}) "
        "ON CONFLICT (origin) DO UPDATE SET published_id = excluded.published_id, "
        "seen_at = CURRENT_TIMESTAMP",
        [origin, published_id],
    )


async def forget_origin(origin: str) -> None:
    """Every row ``origin`` wrote is published: it stopped cleanly, or died and another
    process published the rest."""
    db = _db()
    await db.execute_query(
        f"DELETE FROM outbox_origins WHERE origin = {_marks(db, 1)[0]}", [origin]
    )


async def claim_dead_origin(me: str, grace: float) -> tuple[str, int] | None:
    """Lease the position of one process (not ``me``) that has not updated it for ``grace``
    seconds: its ``seen_at`` becomes now, so no other relay takes it for another ``grace``
    (skipping positions another relay is leasing right now).

    Returns:
        The dead process's origin and the id up to which it had published, or None.
    """
    db = _db()
    if _is_postgres(db):
        stale = (
            "origin <> $1 AND seen_at < CURRENT_TIMESTAMP - make_interval(secs => $2) "
            "ORDER BY seen_at LIMIT 1 FOR UPDATE SKIP LOCKED"
        )
        parameters: list[Any] = [me, grace]
    else:  # SQLite has one writer at a time: no row locks to skip
        stale = "origin <> ? AND seen_at < datetime('now', ?) ORDER BY seen_at LIMIT 1"
        parameters = [me, f"-{grace} seconds"]
    rows = await db.execute_query_dict(
        "UPDATE outbox_origins SET seen_at = CURRENT_TIMESTAMP WHERE origin = "
        f"(SELECT origin FROM outbox_origins WHERE {stale}) RETURNING origin, published_id",
        parameters,
    )
    return (rows[0]["origin"], int(rows[0]["published_id"])) if rows else None


async def move_position(origin: str, published_id: int) -> None:
    """Record that ``origin``'s rows up to ``published_id`` are published."""
    db = _db()
    marks = _marks(db, 2)
    await db.execute_query(
        f"UPDATE outbox_origins SET published_id = {marks[1]} WHERE origin = {marks[0]}",
        [origin, published_id],
    )


# -- housekeeping ------------------------------------------------------------------------------


async def prune(older_than: datetime) -> int:
    """Delete rows written before ``older_than`` that their writer has published on its bus
    (a dead writer's later rows wait for the process that takes them over), one batch,
    keeping the newest row (a subscriber starting from now starts after it). Returns how many
    were deleted."""
    db = _db()
    cutoff: Any = older_than
    if not _is_postgres(db):
        cutoff = older_than.astimezone(UTC).strftime(_SQLITE_TIME)
    marks = _marks(db, 2)
    rows = await db.execute_query_dict(
        "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE "
        f"id < (SELECT MAX(id) FROM outbox) AND created_at < {marks[0]} "
        "AND NOT EXISTS (SELECT 1 FROM outbox_origins o "
        "WHERE o.origin = outbox.origin AND o.published_id < outbox.id) "
        f"ORDER BY id LIMIT {marks[1]}) RETURNING id",
        [cutoff, PRUNE_BATCH],
    )
    return len(rows)


async def notify(origin: str, kinds: Collection[str] | None = None) -> None:
    """Tell every process LISTENing (PostgreSQL) that ``origin`` committed new rows, of
    ``kinds`` (None: of any kind)."""
    await _db().execute_query("SELECT pg_notify($1, $2)", [CHANNEL, notice_payload(origin, kinds)])


def notice_payload(origin: str, kinds: Collection[str] | None) -> str:
    """A NOTIFY's payload: the writer's origin, then the kinds of its rows (none named: any
    kind), separated by spaces, which neither holds; ``notice`` reads it back."""
    return " ".join([origin, *sorted(kinds or ())])


def notice(payload: str) -> tuple[str | None, frozenset[str] | None]:
    """The writer and the kinds of rows a NOTIFY's ``payload`` announces; None for what it does
    not say: a version before NOTIFYs named their writer sent an empty payload, and one before
    they named kinds sent the origin alone."""
    writer, *kinds = payload.split() or [""]
    return writer or None, frozenset(kinds) or None


def _stored(row: dict[str, Any]) -> StoredChange:
    payload = row["payload"]
    created = row["created_at"]
    if isinstance(created, str):  # SQLite
        created = datetime.fromisoformat(created)
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return StoredChange(
        id=int(row["id"]),
        event_id=first_event_id(int(row["id"])),
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
