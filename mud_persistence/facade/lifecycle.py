"""The layer's lifecycle: construction, connect (eager or lazy), close, and migrations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Self

from mud_persistence.database import Database
from mud_persistence.errors import SchemaError
from mud_persistence.events import EventBus, NullEventBus
from mud_persistence.facade.base import LayerBase
from mud_persistence.facade.operation import LayerClosedError
from mud_persistence.idempotency import Idempotency
from mud_persistence.outbox import Outbox
from mud_persistence.replicas import ReplicaRouter
from mud_persistence.repositories.container import ContainerRepository
from mud_persistence.repositories.effect import PlayerEffectRepository
from mud_persistence.repositories.experience import ExperienceRepository
from mud_persistence.repositories.health import HealthRepository
from mud_persistence.repositories.item import ItemRepository
from mud_persistence.repositories.player import PlayerRepository
from mud_persistence.repositories.profession import ProfessionRepository
from mud_persistence.repositories.room import JsonWorldLoader, RoomLoader, RoomRepository
from mud_persistence.repositories.schema import SchemaManager, upgrade_command
from mud_persistence.retry import run_with_retry
from mud_persistence.schemas import MigrationStatus
from mud_persistence.settings import PersistenceSettings, load_settings


class LifecycleMixin(LayerBase):
    """Construction, opening (at connect() or on first use), closing, and migrations."""

    def __init__(
        self,
        database_url: str | None = None,
        _log_path: str | None = None,
        event_bus: EventBus | None = None,
        _skip_room_cache: bool = False,
        *,
        settings: PersistenceSettings | None = None,
        room_loader: RoomLoader | None = None,
        _db_path: str | None = None,
    ) -> None:
        if database_url is not None:
            settings = load_settings(settings, database_url=database_url)
        self.settings = settings = settings or load_settings()
        self._event_bus: EventBus = event_bus or NullEventBus()
        self._database = Database(settings)
        self._replicas = ReplicaRouter(settings, self._database)
        self._outbox = Outbox(settings, self._event_bus, self._database)
        self._connecting = asyncio.Lock()
        self._closed = False
        self._schema = SchemaManager(settings)
        self._players = PlayerRepository(settings)
        self._health = HealthRepository(settings)
        self._experience = ExperienceRepository(settings)
        self._containers = ContainerRepository()
        self._items = ItemRepository()
        self._professions = ProfessionRepository()
        self._effects = PlayerEffectRepository()
        self._rooms = RoomRepository(room_loader or JsonWorldLoader(settings.rooms_directory))
        self._idempotency = Idempotency(settings)

    @property
    def event_bus(self) -> EventBus:
        """The bus given at construction (read-only: the repositories hold it)."""
        return self._event_bus

    async def connect(self, *, migrate: bool = False) -> None:
        """Open the connection pool, check the schema is current and load the room cache.

        Optional: the first call of any method does the same (without ``migrate``). Call it at
        start-up to fail fast, or to open the layer again after ``close()``.

        Args:
            migrate: apply pending migrations (on SQLite: create the schema) instead of
                refusing to start.

        Raises:
            DatabaseError: the server is unreachable or refused the credentials.
            SchemaError: migrations are pending and ``migrate`` is false.
        """
        self._closed = False
        await self._open(migrate=migrate, operation="connect")

    async def _open_on_first_use(self, operation: str) -> None:
        if not self._database.is_open:
            await self._open(migrate=False, operation=operation)

    async def _open(self, *, migrate: bool, operation: str) -> None:
        # one opener at a time: fifty concurrent first calls open one pool and load rooms once
        async with self._connecting:
            if self._closed:
                raise self._closed_error(operation)
            if self._database.is_open:
                return
            await self._database.open()
            try:
                with self._database.bound(operation):
                    await run_with_retry(
                        lambda: self._ensure_schema(migrate=migrate),
                        self.settings,
                        name="connect",
                        idempotent=True,
                    )
                await self._rooms.ensure_loaded()
                await self._outbox.start(self._rooms.apply_event, self._rooms.event_kinds)
            except BaseException:
                await self._outbox.stop()
                await self._database.close()
                raise

    def _closed_error(self, operation: str) -> LayerClosedError:
        return LayerClosedError(
            f"{operation}: the persistence layer was closed; "
            "call `await persistence.connect()` to open it again",
            operation=operation,
        )

    async def _ensure_schema(self, *, migrate: bool) -> None:
        status = await self._schema.status()
        if status.is_current:
            return
        if not migrate:
            raise SchemaError(
                f"the {self.settings.describe_database()} has {len(status.pending)} pending "
                f"migration(s) ({', '.join(status.pending)}); apply them with "
                f"{upgrade_command(self.settings)}, or call connect(migrate=True)"
            )
        await self._schema.upgrade()

    async def close(self) -> None:
        """Close the connection pools (the primary's and any replica's). Safe to call twice.

        Calls in flight finish or fail with DatabaseError; no connection stays open once this
        returns. Later calls raise DatabaseError until ``connect()`` opens the layer again.
        """
        self._closed = True
        await self._idempotency.close()
        async with self._connecting:  # a first call that is opening the pool right now
            await self._outbox.stop()
            await self._replicas.close()
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
            return await run_with_retry(
                self._schema.upgrade, self.settings, name="upgrade", idempotent=False
            )

    async def migration_status(self) -> MigrationStatus:
        """Which migrations the database has applied and which are pending.

        A SQLite file that does not exist yet has applied none, and looking does not create it.
        """
        if self._schema.sqlite_file_is_missing():
            return MigrationStatus(applied=[], pending=self._schema.migration_files)
        async with self._schema_session():
            return await run_with_retry(
                self._schema.status, self.settings, name="migration_status", idempotent=True
            )

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
