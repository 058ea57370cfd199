"""Counter changes with their events: the change, its outbox row and the events built from the
row of old and new values, in one unit of work.

On PostgreSQL the outbox row is written by the counter's own statement: one more CTE that
inserts the changed row as JSON, so the outbox costs no extra round trip.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from pydantic_core import to_json
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from mud_persistence.errors import NotFoundError
from mud_persistence.events import Event, events_for
from mud_persistence.models import Player
from mud_persistence.outbox import current_unit, record
from mud_persistence.repositories.counters import (
    CHANGED,
    Batched,
    CompiledCounter,
    CounterShape,
    Forms,
    Values,
    change_row,
    update_counters,
)
from mud_persistence.repositories.outbox import batched_outbox_cte, outbox_cte
from mud_persistence.repositories.player_batches import BATCH_INPUT
from mud_persistence.repositories.sql import Statement, connection_of


async def change_counters(
    kind: str, player_id: uuid.UUID, shape: CounterShape, values: Values, args: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], list[Event]]:
    """Apply ``shape`` as ``update_counters`` does, and record the change's events (kind
    ``kind``, built by ``events_for`` from ``args`` and the row of old and new values) with
    the current unit of work.

    Returns:
        The watched columns before and after the change, and its events.

    Raises:
        NotFoundError: no active player has this id.
    """
    # the events take the player's id as it is (on SQLite, the row's JSON needs a string)
    args = {"player_id": player_id, **args}
    unit = current_unit()
    connection = connection_of(Player)
    if not unit.writes_rows:
        before, after = await update_counters(player_id, shape, values)
        events = events_for(kind, _payload(args, before, after))
        unit.add(None, kind, events)
    elif connection.capabilities.dialect == "postgres":
        before, after, row_id = await _update_with_outbox_row(
            connection, player_id, shape, values, kind, args, unit.origin
        )
        events = events_for(kind, _payload(args, before, after))
        unit.add(row_id, kind, events)
    else:
        async with in_transaction():
            before, after = await update_counters(player_id, shape, values)
            payload = _payload({**args, "player_id": str(player_id)}, before, after)
            events = events_for(kind, payload)
            await record(kind, payload, events, player_id=player_id)
    return before, after, events


async def _update_with_outbox_row(
    connection: BaseDBAsyncClient,
    player_id: uuid.UUID,
    shape: CounterShape,
    values: Values,
    kind: str,
    args: dict[str, Any],
    origin: str,
) -> tuple[dict[str, Any], dict[str, Any], int]:
    row = await change_row(
        connection,
        player_id,
        shape,
        values,
        forms=_with_outbox_rows(kind),
        extra=(to_json(args).decode(), origin),
    )
    if row is None:
        raise NotFoundError("Player", player_id)
    return (*shape.old_and_new(row), int(row["outbox_id"]))


@functools.cache  # one Forms per kind: change_row keeps the statements it makes by Forms
def _with_outbox_rows(kind: str) -> Forms:
    """The Forms of a counter statement that writes the change's outbox row of kind ``kind``
    too (the kind is in the statement's text, so a batch holds changes of one kind)."""
    return functools.partial(_outbox_forms, kind)


def _outbox_forms(kind: str, compiled: CompiledCounter) -> tuple[str, Batched]:
    """``compiled``'s statement writing the change's outbox row of kind ``kind`` too, alone and
    batched; the arguments and origin are the two parameters after ``compiled``'s own."""
    count = len(compiled.binding)
    assert compiled.player is not None  # a PostgreSQL statement
    player = compiled.player
    statement = compiled.statement.with_cte(
        outbox_cte(CHANGED, kind=kind, first_parameter=count + 1, player=player)
    )
    final = f"SELECT *, (SELECT id FROM outbox_rows) AS outbox_id FROM {CHANGED}"

    def with_rows(batch: Statement) -> Statement:
        rows = batched_outbox_cte(
            CHANGED,
            BATCH_INPUT,
            kind=kind,
            columns=compiled.columns,
            first_column=count + 1,
            player=player,
        )
        return Statement(
            (*batch.ctes, rows),
            f"SELECT {CHANGED}.*, outbox_rows.id AS outbox_id FROM {CHANGED}"
            f" JOIN {BATCH_INPUT} USING (lookup_index)"
            f' JOIN outbox_rows ON outbox_rows.player_id = {BATCH_INPUT}."p{player}"',
        )

    single = Statement(statement.ctes, final).sql
    return single, Batched(compiled, with_rows)


def _payload(args: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    row = {f"old_{name}": value for name, value in before.items()}
    row.update((f"new_{name}", value) for name, value in after.items())
    return {"args": args, "row": row}
