"""AsyncPersistenceLayer: the one object game code uses. Lifecycle, migrations, delegation."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, Self, TypeVar

from mud_persistence.database import Database
from mud_persistence.errors import SchemaError
from mud_persistence.events import EventBus, NullEventBus
from mud_persistence.repositories.schema import UPGRADE_COMMAND, SchemaManager
from mud_persistence.schemas import MigrationStatus
from mud_persistence.settings import PersistenceSettings

P = ParamSpec("P")
R = TypeVar("R")


_Method = Callable[Concatenate["AsyncPersistenceLayer", P], Coroutine[Any, Any, R]]


def _bound(method: _Method[P, R]) -> _Method[P, R]:
    """Run the method inside this layer's Tortoise context, whichever task calls it."""

    @functools.wraps(method)
    async def wrapper(layer: AsyncPersistenceLayer, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with layer._database.bound():
            return await method(layer, *args, **kwargs)

    return wrapper


class AsyncPersistenceLayer:
    """Players, professions, rooms, containers and items for a MUD, on PostgreSQL or SQLite.

    Create one per process at start-up, ``await connect()``, then use it from any task.

    Args:
        database_url: ``postgres://user:password@host:port/db`` or ``sqlite://path``; overrides
            ``settings.database_url`` (which reads ``DATABASE_URL`` from the environment).
        event_bus: receives the events of ``mud_persistence.events`` after each commit.
        settings: every other knob; read from the environment when omitted.
    """

    def __init__(
        self,
        database_url: str | None = None,
        *,
        event_bus: EventBus | None = None,
        settings: PersistenceSettings | None = None,
    ) -> None:
        settings = settings or PersistenceSettings()
        if database_url is not None:
            settings = settings.model_copy(update={"database_url": database_url})
        self.settings = settings
        self.event_bus: EventBus = event_bus or NullEventBus()
        self._database = Database(settings)
        self._schema = SchemaManager(settings)

    async def connect(self, *, migrate: bool = False) -> None:
        """Open the connection pool and check the schema is current.

        Args:
            migrate: apply pending migrations (on SQLite: create the schema) instead of
                refusing to start.

        Raises:
            DatabaseError: the server is unreachable or refused the credentials.
            SchemaError: migrations are pending and ``migrate`` is false.
        """
        if self._database.is_open:
            return
        await self._database.open()
        try:
            with self._database.bound():
                await self._ensure_schema(migrate=migrate)
        except BaseException:
            await self._database.close()
            raise

    async def _ensure_schema(self, *, migrate: bool) -> None:
        status = await self._schema.status()
        if status.is_current:
            return
        if not migrate:
            raise SchemaError(
                f"the {self.settings.describe_database()} has {len(status.pending)} pending "
                f"migration(s) ({', '.join(status.pending)}); apply them with {UPGRADE_COMMAND}, "
                "or call connect(migrate=True)"
            )
        await self._schema.upgrade()

    async def close(self) -> None:
        """Close the connection pool. Safe to call twice."""
        await self._database.close()

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def upgrade(self) -> list[str]:
        """Apply pending migrations with Aerich; return the names applied, oldest first.

        Works before ``connect()`` too, for operators' scripts.
        """
        async with self._schema_session():
            return await self._schema.upgrade()

    async def migration_status(self) -> MigrationStatus:
        """Which migrations the database has applied and which are pending."""
        async with self._schema_session():
            return await self._schema.status()

    @asynccontextmanager
    async def _schema_session(self) -> AsyncIterator[None]:
        database = self._database
        if not database.is_open:
            database = Database(self.settings)
            await database.open()
        try:
            with database.bound():
                yield
        finally:
            if database is not self._database:
                await database.close()
