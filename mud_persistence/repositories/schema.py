"""Schema management: Aerich migrations on PostgreSQL, schema-from-models on SQLite."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from aerich import Command
from aerich.models import Aerich
from aerich.utils import get_models_describe
from tortoise import connections
from tortoise.context import TortoiseContext
from tortoise.utils import get_schema_sql

from mud_persistence.backend import holds_session_state
from mud_persistence.errors import DatabaseError, SchemaError
from mud_persistence.models import EXPRESSION_INDEXES, check_constraints
from mud_persistence.schemas import MigrationStatus
from mud_persistence.settings import APP_LABEL, PersistenceSettings, tortoise_config

T = TypeVar("T")

_VERSION_FILE = re.compile(r"^\d+_.+\.py$")


def upgrade_command(settings: PersistenceSettings) -> str:
    """How to apply pending migrations on this database, for messages (no password)."""
    if settings.dialect == "sqlite":
        # `aerich upgrade` runs the PostgreSQL migrations, which SQLite cannot parse
        return f"`mud-persistence upgrade --db {settings.database_url}`"
    return "`mud-persistence upgrade --db URL` or `aerich upgrade`"


# Any fixed number, the same in every process: the advisory lock that serialises migrations.
MIGRATION_LOCK_KEY = 0x6D75645F6D6967

# Aerich keeps its state on class attributes, so two commands must never overlap.
_aerich_lock = asyncio.Lock()


class SchemaManager:
    """Applies and reports migrations for one database."""

    def __init__(self, settings: PersistenceSettings) -> None:
        self._settings = settings

    @property
    def migration_files(self) -> list[str]:
        """Aerich's version files, oldest first (Aerich orders them by their number)."""
        folder = Path(self._settings.migrations_location, APP_LABEL)
        names = [p.name for p in folder.glob("*.py") if _VERSION_FILE.match(p.name)]
        return sorted(names, key=lambda name: int(name.split("_", 1)[0]))

    def sqlite_file_is_missing(self) -> bool:
        """Whether this is a SQLite database whose file does not exist (yet)."""
        url = self._settings.parsed_database_url
        return (
            url.dialect == "sqlite" and url.path != ":memory:" and not Path(str(url.path)).exists()
        )

    async def upgrade(self) -> list[str]:
        """Apply every pending migration; return the names applied, oldest first."""
        if self._settings.dialect == "sqlite":
            return await self._create_sqlite_schema()
        async with self._migration_lock():
            return await self._run_aerich(lambda command: command.upgrade(run_in_transaction=True))

    @asynccontextmanager
    async def _migration_lock(self) -> AsyncIterator[None]:
        """Hold a PostgreSQL advisory lock while migrating, so that processes starting at once
        take turns: the first applies the migrations, the others then find none pending.
        Without it, two of them create the same table and one fails on a duplicate pg_type
        key. The server releases the lock by itself if this connection dies."""
        client = connections.get(self._settings.connection_name)
        async with client.acquire_connection() as connection:
            holds_session_state(connection)  # reset in full if the unlock below never runs
            await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
            try:
                yield
            finally:
                await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)

    async def downgrade_latest(self) -> list[str]:
        """Undo the most recent migration; return its name."""
        if self._settings.dialect == "sqlite":
            raise SchemaError("SQLite databases are built from the models and cannot be downgraded")
        return await self._run_aerich(lambda command: command.downgrade(-1, delete=False))

    async def status(self) -> MigrationStatus:
        applied = await self._applied_migrations()
        files = self.migration_files
        return MigrationStatus(
            applied=[name for name in files if name in applied],
            pending=[name for name in files if name not in applied],
        )

    async def _applied_migrations(self) -> set[str]:
        if not await self._aerich_table_exists():
            return set()
        return set(await Command.get_applied_migrations(APP_LABEL))

    async def _aerich_table_exists(self) -> bool:
        if self._settings.dialect == "sqlite":
            sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'aerich'"
        else:
            sql = "SELECT 1 WHERE to_regclass('aerich') IS NOT NULL"
        count, _ = await connections.get(self._settings.connection_name).execute_query(sql)
        return bool(count)

    async def _run_aerich(self, action: Callable[[Command], Awaitable[T]]) -> T:
        """Run ``action`` on an Aerich Command inside a TortoiseContext of its own.

        Aerich closes whatever context is current when it finishes; the private context keeps
        the application's own connections open.
        """
        config = self._migration_config()
        location = str(self._settings.migrations_location)
        async with _aerich_lock:
            with TortoiseContext() as context:
                try:
                    await context.init(config=config)
                    command = Command(tortoise_config=config, app=APP_LABEL, location=location)
                    await command.init()
                    return await action(command)
                except (SchemaError, DatabaseError):
                    raise
                except Exception as exc:
                    raise DatabaseError(
                        f"migration command failed on the {self._settings.describe_database()}: "
                        f"{self._settings.scrub(str(exc))}",
                        operation="migrate",
                    ) from exc
                finally:
                    await context.close_connections()

    def _migration_config(self) -> dict[str, Any]:
        config = tortoise_config(self._settings)
        credentials = config["connections"][self._settings.connection_name]["credentials"]
        if self._settings.dialect == "postgres":
            credentials["minsize"] = credentials["maxsize"] = 1
        return config

    async def _create_sqlite_schema(self) -> list[str]:
        """Build the schema from the models and record every migration file as applied.

        SQLite is the demo backend: the migrations are PostgreSQL SQL, so a SQLite file is made
        from the models once and never migrated.
        """
        status = await self.status()
        if status.applied and status.pending:
            raise SchemaError(
                f"the {self._settings.describe_database()} was built by an older version and "
                f"SQLite databases cannot be migrated; delete the file to rebuild it "
                f"(pending: {', '.join(status.pending)})"
            )
        if not status.pending:
            return []

        client = connections.get(self._settings.connection_name)
        await client.execute_script(sqlite_schema_sql(get_schema_sql(client, safe=True)))
        models_state = get_models_describe(APP_LABEL)
        for name in status.pending:
            await Aerich.create(version=name, app=APP_LABEL, content=models_state)
        return status.pending


def sqlite_schema_sql(tortoise_sql: str) -> str:
    """Tortoise's CREATE TABLE script with the models' CHECK constraints and expression indexes.

    SQLite cannot add a CHECK to an existing table, so each one goes inside its CREATE TABLE.
    """
    for table, constraints in check_constraints().items():
        create = tortoise_sql.find(f'CREATE TABLE IF NOT EXISTS "{table}" (')
        if create < 0:
            raise SchemaError(f"table {table!r} is missing from the generated schema")
        end = tortoise_sql.index("\n)", create)
        clauses = "".join(f',\n    CONSTRAINT "{c.name}" CHECK ({c.check})' for c in constraints)
        tortoise_sql = tortoise_sql[:end] + clauses + tortoise_sql[end:]
    return tortoise_sql + "\n" + ";\n".join(EXPRESSION_INDEXES.values()) + ";"
