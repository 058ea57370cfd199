"""save_player writes a column that a later migration added, with no other change to the code.

Issue 12: save_player used a hard-coded field list, so a user who followed the README (add a
field to the model, generate a migration, upgrade), set the new field and saved, read back the
default. The game process is played by a subprocess whose Player model has the extra field,
as the user's edited model would.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from mud_persistence import AsyncPersistenceLayer
from tests.conftest import settings_for

REPO_MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
ADD_REPUTATION = '''
from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """ALTER TABLE "players" ADD "reputation" INT NOT NULL DEFAULT 0;"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """ALTER TABLE "players" DROP COLUMN "reputation";"""
'''
GAME = """
    import asyncio, json, sys, uuid
    from pathlib import Path

    from tortoise import fields

    from mud_persistence import AsyncPersistenceLayer, PersistenceSettings
    from mud_persistence.models import Player

    # the user's edit of the model: one new field, nothing else
    Player._meta.add_field("reputation", fields.IntField(db_default=0))

    async def main() -> None:
        settings = PersistenceSettings(
            database_url=sys.argv[1], migrations_location=Path(sys.argv[2])
        )
        layer = AsyncPersistenceLayer(settings=settings)
        await layer.connect()
        built = Player(user_id=uuid.uuid4(), name="Built", reputation=7)
        await layer.save_player(built)  # inserted with the new column
        loaded = await layer.create_player(name="Loaded", user_id=uuid.uuid4())
        loaded.reputation = 42
        await layer.save_player(loaded)  # updated field by field
        await layer.close()
        print(json.dumps([built.player_id, loaded.player_id]))

    asyncio.run(main())
"""


async def test_save_player_writes_a_column_added_by_a_later_migration(
    fresh_database, tmp_path: Path
) -> None:
    url = await fresh_database()
    location = tmp_path / "migrations"
    shutil.copytree(REPO_MIGRATIONS, location)
    (location / "models" / "99_20991231000000_add_reputation.py").write_text(ADD_REPUTATION)
    assert "99_20991231000000_add_reputation.py" in await AsyncPersistenceLayer(
        settings=settings_for(url, migrations_location=location)
    ).upgrade()

    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(GAME), url, str(location)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT name, reputation FROM players ORDER BY name")
    finally:
        await connection.close()
    assert [(row["name"], row["reputation"]) for row in rows] == [("Built", 7), ("Loaded", 42)]
