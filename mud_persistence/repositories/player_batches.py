"""The parts every batched change of players' rows shares (mud_persistence.batching): the
calls' values as rows, each call's player row, locked, the UPDATE of those rows, and sending
a call in its batch."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import asyncpg
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError, OperationalError

logger = logging.getLogger(__name__)

# The CTE of a batched statement's input: one row per call, one column per parameter
BATCH_INPUT = "batch_input"
# The CTE joining each call's row of BATCH_INPUT to its player's row, locked
OLD = "old"


def locked_players(types: Sequence[str], player: int, old_columns: str = "") -> tuple[str, str]:
    """The first two CTEs of a batched statement whose parameters are arrays of these SQL
    ``types``: ``batch_input``, one row per call with one column per parameter (``p1``, ...)
    and the call's position, ``lookup_index``; and ``old``, those rows joined to the active
    player whose id is column ``p<player>``, whose row it locks as an UPDATE of non-key
    columns does (``FOR NO KEY UPDATE``: a transaction inserting a row that references the
    player does not conflict). A row another transaction holds is skipped: its caller finds no
    row and runs its statement alone, waiting for the lock. ``old_columns``: more columns of
    the player's row that ``old`` keeps."""
    arrays = ", ".join(f"${n}::{sql_type}[]" for n, sql_type in enumerate(types, 1))
    columns = ", ".join(f'"p{n}"' for n in range(1, len(types) + 1))
    kept = f", {old_columns}" if old_columns else ""
    return (
        f"{BATCH_INPUT} AS (SELECT * FROM unnest({arrays}) WITH ORDINALITY"
        f" AS {BATCH_INPUT}({columns}, lookup_index))",
        f'{OLD} AS (SELECT {BATCH_INPUT}.*, "players"."player_id" AS "old_id"{kept}'
        f' FROM "players" JOIN {BATCH_INPUT} ON "players"."player_id"={BATCH_INPUT}."p{player}"'
        ' WHERE NOT "players"."is_deleted" FOR NO KEY UPDATE OF "players" SKIP LOCKED)',
    )


def from_batch_row(clause: str) -> str:
    """``clause`` (SQL whose every value is a ``$n`` parameter, and no literal text holds
    ``$``) reading its values from the call's row of ``old`` instead."""
    return re.sub(r"\$(\d+)", rf'{OLD}."p\1"', clause)


def update_locked(set_clause: str, *, where: str = "", returning: str = "") -> str:
    """An UPDATE of the rows ``old`` locked: ``set_clause`` and ``where`` as rendered for one
    call (see ``from_batch_row``), returning each call's ``lookup_index`` and ``returning``."""
    condition = f" AND {from_batch_row(where)}" if where else ""
    more = f", {returning}" if returning else ""
    return (
        f'UPDATE "players" SET {from_batch_row(set_clause)} FROM {OLD}'
        f' WHERE "players"."player_id"={OLD}."old_id"{condition}'
        f" RETURNING {OLD}.lookup_index{more}"
    )


async def row_in_batch(
    connection: BaseDBAsyncClient, sql: str, player_id: Any, parameters: Sequence[Any]
) -> Any:
    """The row the batched ``sql`` gives this call, a change of ``player_id`` with
    ``parameters``, once ``joins_batch`` said it joins a batch; or None, and the caller then
    runs its statement alone, which gives it its own outcome. The batch gives no row when the
    player's row was locked elsewhere, or does not hold what the change expects, and fails as
    a whole when the database refused the value of some call in it (a constraint, a value of
    the wrong form) or the driver could not encode one: the one statement then wrote nothing.
    Any other failure (a connection lost while the statement ran, which may have committed
    it) is every call's."""
    try:
        return await connection.fetch_batched_row(  # type: ignore[attr-defined]
            sql, player_id, tuple(parameters)
        )
    except Exception as exc:
        if not _refused(exc):
            raise
        logger.debug("a batch of changes failed as a whole (%s): each runs alone", exc)
        return None


def _refused(exc: Exception) -> bool:
    """Whether a batch's statement was refused before it wrote anything, for a reason one of
    its calls may have caused."""
    if isinstance(exc, IntegrityError | OperationalError):
        return True
    return isinstance(exc, asyncpg.InterfaceError) and isinstance(exc, ValueError)
