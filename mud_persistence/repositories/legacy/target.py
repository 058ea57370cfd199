"""Writing imported rows into this layer's tables: one upsert statement per batch."""

from __future__ import annotations

from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from mud_persistence.errors import SchemaError

# target table -> the columns an imported row is matched on
CONFLICT_KEYS: dict[str, str] = {
    "professions": "id",
    "item_prototypes": "prototype_id",
    "players": "player_id",
    "item_instances": "item_instance_id",
    "containers": "container_id",
    "container_contents": "item_instance_id",
    "player_effects": "id",
}
KEY_TEXT: dict[str, str] = {
    **{table: f"{column}::text" for table, column in CONFLICT_KEYS.items()},
    "container_contents": "container_id::text || '/' || item_instance_id",
}


class TargetTables:
    """Upserts into the target's tables through the layer's own connection pool."""

    def __init__(self, connection_name: str) -> None:
        self._connection_name = connection_name
        self._types: dict[str, dict[str, str]] = {}
        self._statements: dict[tuple[str, tuple[str, ...]], str] = {}

    async def load_column_types(self, tables: list[str]) -> None:
        """Read the column types of ``tables``, which the upserts cast their arrays to."""
        rows = await connections.get(self._connection_name).execute_query_dict(
            "SELECT table_name::text AS table_name, column_name::text AS column_name, "
            "udt_name::text AS udt_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ANY($1::text[])",
            [tables],
        )
        for row in rows:
            self._types.setdefault(row["table_name"], {})[row["column_name"]] = row["udt_name"]
        missing = [table for table in tables if table not in self._types]
        if missing:
            raise SchemaError(
                f"the target has no table {', '.join(missing)}: apply its migrations first"
            )

    async def upsert(self, table: str, rows: list[dict[str, Any]]) -> int:
        """Insert ``rows`` or update the stored rows they match, in one transaction; return
        how many rows were inserted or actually changed (identical rows are not rewritten)."""
        if not rows:
            return 0
        columns = tuple(rows[0])
        arrays = [[row[column] for row in rows] for column in columns]
        async with in_transaction(self._connection_name) as connection:
            written = await connection.execute_query_dict(self._statement(table, columns), arrays)
        return len(written)

    def _statement(self, table: str, columns: tuple[str, ...]) -> str:
        statement = self._statements.get((table, columns))
        if statement is None:
            statement = self._build(table, columns)
            self._statements[(table, columns)] = statement
        return statement

    def _build(self, table: str, columns: tuple[str, ...]) -> str:
        types = self._types[table]
        unknown = [column for column in columns if column not in types]
        if unknown:
            raise AssertionError(f"{table} has no column {', '.join(unknown)}")
        key = CONFLICT_KEYS[table]
        names = ", ".join(f'"{column}"' for column in columns)
        arrays = ", ".join(f"${n}::{types[c]}[]" for n, c in enumerate(columns, start=1))
        changed = [column for column in columns if column != key]
        updates = ", ".join(f'"{column}" = EXCLUDED."{column}"' for column in changed)
        mine = ", ".join(f'target."{column}"' for column in changed)
        theirs = ", ".join(f'EXCLUDED."{column}"' for column in changed)
        # The WHERE keeps a re-run from rewriting identical rows, so "written" counts changes.
        return (
            f'INSERT INTO "{table}" AS target ({names}) SELECT * FROM unnest({arrays}) '
            f'ON CONFLICT ("{key}") DO UPDATE SET {updates} '
            f"WHERE ({mine}) IS DISTINCT FROM ({theirs}) RETURNING 1"
        )

    async def keys(self, table: str) -> list[str]:
        """The key of every row of ``table``, as text, in the source's spelling."""
        rows = await connections.get(self._connection_name).execute_query_dict(
            f'SELECT {KEY_TEXT[table]} AS key FROM "{table}"'
        )
        return [row["key"] for row in rows]
