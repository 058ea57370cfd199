"""The SQLite schema carries the same CHECK rules as the PostgreSQL migration."""

from __future__ import annotations

import pytest

from mud_persistence.errors import SchemaError
from mud_persistence.repositories.schema import sqlite_schema_sql

TORTOISE_SQL = """CREATE TABLE IF NOT EXISTS "{table}" (
    "id" INTEGER NOT NULL PRIMARY KEY
);"""


def script(*tables: str) -> str:
    return "\n".join(TORTOISE_SQL.format(table=t) for t in tables)


ALL = (
    "players",
    "item_prototypes",
    "item_instances",
    "containers",
    "container_contents",
    "player_effects",
)


def test_checks_go_inside_their_create_table() -> None:
    sql = sqlite_schema_sql(script(*ALL))
    players = sql[sql.index('"players"') : sql.index('"item_prototypes"')]
    assert 'CONSTRAINT "ck_players_fear" CHECK (fear BETWEEN 0 AND 100)' in players
    assert "ck_containers" not in players
    assert "ON players (LOWER(name)) WHERE NOT is_deleted;" in sql
    assert sql.rstrip().endswith("ON player_effects ((applied_at_tick + duration));")


def test_a_table_missing_from_the_script_is_an_error() -> None:
    with pytest.raises(SchemaError, match="containers"):
        sqlite_schema_sql(script("players", "item_prototypes", "item_instances"))
