"""transfer_item on PostgreSQL: one call of the ``transfer_item`` function (migration 4), which
locks, checks, moves and returns the destination in one round trip; its refusals become the
layer's errors here, in one place. SQLite runs ContainerRepository's Python path instead, with
the same rules and results."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

import asyncpg
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.transactions import in_transaction

from mud_persistence.errors import NotFoundError, PersistenceError
from mud_persistence.events import ItemTransferred
from mud_persistence.models import Container
from mud_persistence.repositories.contents import full, not_held
from mud_persistence.repositories.sql import connection_of
from mud_persistence.repositories.weights import too_heavy
from mud_persistence.schemas.container import ContainerData

# The change as a CTE named ``change`` (one row: item_instance_id, from_container_id,
# to_container_id, container), and the statement that runs it. Another CTE may read ``change``
# in the same statement (e.g. an outbox insert): transfer_statement(", outbox AS (...)").
TRANSFER_CHANGE = "change AS (SELECT * FROM transfer_item($1::text, $2::uuid, $3::uuid))"


def transfer_statement(*more_ctes: str) -> str:
    """The transfer statement, with ``more_ctes`` (each ``name AS (...)``) after ``change``."""
    return f"WITH {', '.join((TRANSFER_CHANGE, *more_ctes))} SELECT * FROM change"


TRANSFER = transfer_statement()


class Move:
    """One transfer's arguments, for naming its refusal."""

    def __init__(self, item_instance_id: str, source: uuid.UUID, target: uuid.UUID) -> None:
        self.item_instance_id, self.source, self.target = item_instance_id, source, target


# SQLSTATE raised by the function -> the layer's error, from the values its DETAIL carries
REFUSALS: dict[str, Callable[[Move, list[str]], PersistenceError]] = {
    "MPN01": lambda move, detail: NotFoundError("Container", uuid.UUID(detail[0])),
    "MPN02": lambda move, detail: NotFoundError("ItemInstance", move.item_instance_id),
    "MPC01": lambda move, detail: not_held(move.item_instance_id, move.source),
    "MPC02": lambda move, detail: full(move.target, int(detail[0])),
    "MPC03": lambda move, detail: too_heavy(
        Fraction(Decimal(detail[0])), int(detail[1]), f"container {move.target}"
    ),
}


def in_database() -> bool:
    """Whether this backend has the transfer function (PostgreSQL, migrated)."""
    return bool(connection_of(Container).capabilities.dialect == "postgres")


# The outbox row of the move, written by the same statement (outbox_origin given): the
# ItemTransferred event's fields, as events.event_payload would write them.
TRANSFER_OUTBOX = (
    "outbox_rows AS (INSERT INTO outbox (kind, payload, origin) "
    f"SELECT '{ItemTransferred.event_type}', "
    "json_build_object('item_instance_id', item_instance_id, 'from_container_id', "
    "from_container_id, 'to_container_id', to_container_id, 'to_owner_type', 'container', "
    "'to_owner_id', to_container_id::text), $4 FROM change RETURNING id)"
)
TRANSFER_WITH_OUTBOX = (
    f"WITH {TRANSFER_CHANGE}, {TRANSFER_OUTBOX} "
    "SELECT change.*, (SELECT id FROM outbox_rows) AS outbox_id FROM change"
)


async def transfer_in_database(
    move: Move, outbox_origin: str | None = None
) -> tuple[ContainerData, int | None]:
    """Move the item in one statement; the destination as it is after the move, and the id of
    the move's outbox row (written by the same statement when ``outbox_origin`` is given).

    Inside a caller's transaction the call gets a savepoint, as the Python path's nested
    transaction does: a refusal then leaves that transaction usable.
    """
    db = connection_of(Container)
    if not isinstance(db, TransactionalDBClient):
        return await _call(db, move, outbox_origin)
    async with in_transaction():
        return await _call(connection_of(Container), move, outbox_origin)


async def _call(
    db: BaseDBAsyncClient, move: Move, outbox_origin: str | None
) -> tuple[ContainerData, int | None]:
    parameters: list[object] = [move.item_instance_id, move.source, move.target]
    try:
        if outbox_origin is None:
            _, rows = await db.execute_query(TRANSFER, parameters)
        else:
            _, rows = await db.execute_query(TRANSFER_WITH_OUTBOX, [*parameters, outbox_origin])
    except asyncpg.PostgresError as exc:
        refusal = REFUSALS.get(exc.sqlstate or "")
        if refusal is None:
            raise
        detail = (exc.detail or "").split()
        raise refusal(move, detail) from exc
    # the function writes times as ISO 8601 with "Z" (the listing, with "+00:00"): both are
    # the same UTC times once validated
    outbox_id = rows[0]["outbox_id"] if outbox_origin is not None else None
    return ContainerData.model_validate_json(rows[0]["container"]), outbox_id
