"""A new migration that adds columns applies to a database full of players.

Aerich writes ``ADD "col" JSONB NOT NULL`` for a new JSON field, which a populated table
refuses; the README's pattern gives every new NOT NULL column a database default.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import asyncpg
import pytest

from mud_persistence import AsyncPersistenceLayer, DatabaseError
from tests.conftest import settings_for

REPO_MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
MIGRATION = '''
from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "players" ADD "nickname" VARCHAR(50);
        ALTER TABLE "players" ADD "titles" JSONB {titles};"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "players" DROP COLUMN "nickname";
        ALTER TABLE "players" DROP COLUMN "titles";"""
'''
# The next migration after the repository's own, whatever their number.
NEW_MIGRATION = (
    f"{len(list((REPO_MIGRATIONS / 'models').glob('*.py')))}_20991231000000_add_player_titles.py"
)
SAFE = "NOT NULL DEFAULT '[]'"
AS_AERICH_WRITES_IT = "NOT NULL"


def migrations_with(tmp_path: Path, titles: str) -> Path:
    location = tmp_path / "migrations"
    shutil.copytree(REPO_MIGRATIONS, location)
    (location / "models" / NEW_MIGRATION).write_text(MIGRATION.format(titles=titles))
    return location


async def database_with_players(fresh_database, count: int) -> str:  # type: ignore[no-untyped-def]
    """A new database at the current schema, holding ``count`` players."""
    url: str = await fresh_database()
    layer = AsyncPersistenceLayer(url)
    await layer.connect(migrate=True)
    for n in range(count):
        await layer.create_player(name=f"Veteran {n}", user_id=uuid.uuid4())
    await layer.close()
    return url


async def test_adding_a_json_column_with_a_default_applies_to_a_populated_table(
    fresh_database, tmp_path: Path
) -> None:
    url = await database_with_players(fresh_database, 25)

    location = migrations_with(tmp_path, SAFE)
    new = AsyncPersistenceLayer(settings=settings_for(url, migrations_location=location))
    assert await new.upgrade() == [NEW_MIGRATION]
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT nickname, titles FROM players")
    finally:
        await connection.close()
    assert len(rows) == 25 and all(r["titles"] == "[]" and r["nickname"] is None for r in rows)
    assert (await new.migration_status()).is_current
    await new.connect()  # the old code keeps working on the new schema
    assert len(await new.list_players()) == 25
    await new.close()


async def test_the_json_column_aerich_generates_is_refused_and_changes_nothing(
    fresh_database, tmp_path: Path
) -> None:
    url = await database_with_players(fresh_database, 1)

    location = migrations_with(tmp_path, AS_AERICH_WRITES_IT)
    unsafe = AsyncPersistenceLayer(settings=settings_for(url, migrations_location=location))
    with pytest.raises(DatabaseError, match="titles"):
        await unsafe.upgrade()
    status = await unsafe.migration_status()
    assert status.pending == [NEW_MIGRATION]
