"""The schema and its rules hold the same way on PostgreSQL and SQLite."""

from __future__ import annotations

import uuid

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.models import Player


async def execute(layer: AsyncPersistenceLayer, sql: str) -> None:
    with layer._database.bound():
        await connections.get(layer.settings.connection_name).execute_script(sql)


def player_insert(name: str, **columns: object) -> str:
    values = {"player_id": str(uuid.uuid4()), "user_id": str(uuid.uuid4()), "name": name, **columns}
    names = ", ".join(values)
    literals = ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in values.values())
    return f"INSERT INTO players ({names}) VALUES ({literals})"


async def test_connect_with_migrate_builds_a_current_schema(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    status = await contract_persistence.migration_status()
    assert status.is_current and status.applied


async def test_rows_get_database_defaults(contract_persistence: AsyncPersistenceLayer) -> None:
    await execute(contract_persistence, player_insert("Defaults"))
    with contract_persistence._database.bound():
        player = await Player.get(name="Defaults")
    assert (player.strength, player.current_dp, player.lucidity, player.level) == (50, 20, 100, 1)
    assert (player.inventory, player.equipped) == ([], {})


@pytest.mark.parametrize(("column", "value"), [("fear", 101), ("lucidity", -101), ("luck", 0)])
async def test_stat_ranges_are_enforced_by_the_database(
    contract_persistence: AsyncPersistenceLayer, column: str, value: int
) -> None:
    with pytest.raises(IntegrityError):
        await execute(contract_persistence, player_insert("Ranged", **{column: value}))


async def test_active_names_are_unique_ignoring_case(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    await execute(contract_persistence, player_insert("Carter", is_deleted=True))
    await execute(contract_persistence, player_insert("Carter"))
    with pytest.raises(IntegrityError):
        await execute(contract_persistence, player_insert("CARTER"))
