"""save_player's UPDATE statements, built by Tortoise once per set of changed columns and
connection, then run with new values (building one cost about 150 µs of a save); on PostgreSQL
with a batched form, sent for several saves at once while every pooled connection is busy."""

from __future__ import annotations

import logging
import re
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from mud_persistence.models import Player
from mud_persistence.repositories.player_batches import (
    locked_players,
    row_in_batch,
    update_locked,
)
from mud_persistence.repositories.sql import Statement, connection_of, joins_batch

logger = logging.getLogger(__name__)

Values = dict[str, Any]
# (connection, ((column, new value is NULL, how its old value is compared), ...)): Tortoise
# spells NULL in the SQL (SET x=NULL, x IS NULL), with no parameter, so NULLs make shapes of
# their own.
ShapeKey = tuple[str, tuple[tuple[str, bool, str], ...]]


class SaveUpdates:
    """The statements ``UPDATE players SET <changes> WHERE player_id = ... AND NOT is_deleted
    AND <column = expected value> ...``, one per shape of change.

    The first save of a shape runs the UPDATE Tortoise builds and keeps its SQL only if
    Tortoise's parameters are exactly the ones ``_parameters`` gives for it; later saves of
    that shape send the kept SQL with their own values. At most ``max_shapes`` are kept (the
    oldest go first): a game changes a few sets of columns, over and over.

    On PostgreSQL a kept shape has a batched form too (``batched``): a later save that would
    wait for a pooled connection joins a batch of saves of its shape (mud_persistence.batching).
    A save the batch did not write runs alone, and reports its own outcome (``row_in_batch``).
    """

    def __init__(self, max_shapes: int = 256) -> None:
        self._max_shapes = max_shapes
        # shape -> its statement, and the statement's batched form (None: it has none)
        self._sql: dict[ShapeKey, tuple[str, str | None]] = {}

    def __len__(self) -> int:
        return len(self._sql)

    async def run(self, player: Player, changes: Values, expected: Values) -> int:
        """Write ``changes`` to the active ``player``'s row if its columns still hold
        ``expected``; return the number of rows written (0 or 1)."""
        connection = connection_of(Player)
        key = shape_key(connection, changes, expected)
        parameters = _parameters(player, changes, expected)
        kept = self._sql.get(key)
        if kept is None:
            sql, parameters = self._compile(key, connection, player, changes, expected, parameters)
        else:
            sql, in_batch = kept
            if (
                in_batch is not None
                and joins_batch(connection, in_batch)
                and await row_in_batch(connection, in_batch, player.player_id, parameters)
            ):
                return 1
        count, _ = await connection.execute_query(sql, parameters)
        return int(count)

    def _compile(
        self,
        key: ShapeKey,
        connection: BaseDBAsyncClient,
        player: Player,
        changes: Values,
        expected: Values,
        parameters: list[Any],
    ) -> tuple[str, list[Any]]:
        update = (
            Player.filter(player_id=player.player_id, is_deleted=False, **expected)
            .using_db(connection)
            .update(**changes)
        )
        update._make_query()
        sql, values = update.query.get_parameterized_sql()
        if list(values) != parameters:
            # Tortoise spells this shape differently: run its statement, keep nothing
            logger.debug("save shape %s not kept: %s with %s", key, sql, values)
            return sql, list(values)
        if len(self._sql) >= self._max_shapes:
            del self._sql[next(iter(self._sql))]
        in_batch = batched(sql) if connection.capabilities.dialect == "postgres" else None
        self._sql[key] = (sql, in_batch)
        return sql, parameters


_ASSIGNMENT = re.compile(r'"(\w+)"=\$(\d+)')


def batched(sql: str) -> str | None:
    """The batched form of the kept UPDATE ``sql``, or None if it has none: each parameter is
    an array of the type of the column it is compared with or assigned to, so every parameter
    must appear once, as ``"column"=$n``, and every column must have a PostgreSQL type.

    The statement updates the rows of ``locked_players`` that still hold the expected values,
    and returns their ``lookup_index``."""
    head = 'UPDATE "players" SET '
    if not sql.startswith(head) or " WHERE " not in sql:
        return None
    set_clause, where = sql.removeprefix(head).split(" WHERE ", 1)
    columns = {int(n): column for column, n in _ASSIGNMENT.findall(sql)}
    if sorted(columns) != list(range(1, len(re.findall(r"\$\d+", sql)) + 1)):
        return None
    types = []
    for n in sorted(columns):
        sql_type = _array_type(columns[n])
        if sql_type is None:
            return None
        types.append(sql_type)
    player = next((n for n, column in columns.items() if column == "player_id"), None)
    if player is None or f'"player_id"=${player}' not in where:
        return None
    return Statement(
        ctes=locked_players(types, player), final=update_locked(set_clause, where=where)
    ).sql


def _array_type(column: str) -> str | None:
    """The element type of an array of ``column``'s values: its PostgreSQL type, without a
    length (a cast to VARCHAR(n) would cut a longer value short instead of refusing it)."""
    name = Player._meta.fields_db_projection_reverse.get(column, column)
    field = Player._meta.fields_map.get(name)
    sql_type = None if field is None else field.get_for_dialect("postgres", "SQL_TYPE")
    return re.sub(r"\(\d+\)$", "", sql_type) if isinstance(sql_type, str) else None


def shape_key(connection: BaseDBAsyncClient, changes: Values, expected: Values) -> ShapeKey:
    return (
        connection.connection_name,
        tuple(
            (name, value is None, _comparison(name, expected)) for name, value in changes.items()
        ),
    )


def _comparison(name: str, expected: Values) -> str:
    if name not in expected:
        return "none"
    return "is null" if expected[name] is None else "equals"


def _parameters(player: Player, changes: Values, expected: Values) -> list[Any]:
    """The statement's parameters in Tortoise's order: the SET values, then the player's id,
    then the expected values; a NULL is spelled in the SQL, not sent as a parameter."""
    fields = Player._meta.fields_map
    return [
        *(
            fields[name].to_db_value(value, player)
            for name, value in changes.items()
            if value is not None
        ),
        fields["player_id"].to_db_value(player.player_id, player),
        False,
        *(
            fields[name].to_db_value(value, player)
            for name, value in expected.items()
            if value is not None
        ),
    ]
