"""The Tortoise connection behind one AsyncPersistenceLayer: open, probe, bind, close."""

from __future__ import annotations

from tortoise import connections
from tortoise.context import (
    TortoiseContext,
    _current_context,
    get_current_context,
    set_global_context,
)

from mud_persistence.backend import describe_servers
from mud_persistence.errors import DatabaseError
from mud_persistence.settings import PersistenceSettings, tortoise_config

# Tortoise compiles each model's base query for one SQL dialect at a time, process-wide.
_open_dialects: dict[str, int] = {}


class Database:
    """Owns one TortoiseContext and makes it the current one wherever the facade runs.

    The first Database opened in a process also becomes Tortoise's global fallback, so model
    code in tasks that never saw ``connect()`` still finds the connection.
    """

    def __init__(self, settings: PersistenceSettings) -> None:
        self._settings = settings
        self._context: TortoiseContext | None = None

    @property
    def is_open(self) -> bool:
        return self._context is not None

    async def open(self) -> None:
        """Initialise Tortoise and open the pool; raise DatabaseError if the server refuses."""
        self._claim_dialect()
        context = TortoiseContext()
        try:
            with context:
                await context.init(config=tortoise_config(self._settings))
                await connections.get(self._settings.connection_name).execute_query("SELECT 1")
        except BaseException as exc:
            await context.close_connections()
            self._release_dialect()
            if not isinstance(exc, Exception):
                raise
            reason = self._settings.scrub(self._explain(exc))
            if len(self._settings.parsed_database_url.addresses) > 1:
                reason = await self._describe_servers(reason)
            raise DatabaseError(
                f"cannot connect to the {self._settings.describe_database()}: {reason}",
                operation="connect",
            ) from exc
        if get_current_context() is None:
            set_global_context(context)
        self._context = context

    def _explain(self, exc: Exception) -> str:
        if isinstance(exc, TimeoutError) and not str(exc):
            seconds = self._settings.parsed_database_url.connect_timeout(
                self._settings.connect_timeout
            )
            return f"no answer within {seconds:g} s (the connect timeout)"
        return str(exc) or type(exc).__name__

    async def _describe_servers(self, reason: str) -> str:
        try:
            settings = self._settings
            servers = await describe_servers(settings.parsed_database_url, settings.connect_timeout)
        except Exception:  # a diagnosis must never hide the error it explains
            return reason
        return f"none would do ({servers})"

    def _claim_dialect(self) -> None:
        dialect = self._settings.dialect
        others = [name for name, count in _open_dialects.items() if count and name != dialect]
        if others:
            raise DatabaseError(
                f"cannot open a {dialect} database while a {others[0]} one is open in this "
                "process: Tortoise binds its models to one SQL dialect at a time",
                operation="connect",
            )
        _open_dialects[dialect] = _open_dialects.get(dialect, 0) + 1

    def _release_dialect(self) -> None:
        _open_dialects[self._settings.dialect] -= 1

    def bound(self, operation: str = "bind") -> _Binding:
        """Make this database's context the current one for the block (``with ...bound():``).

        Whatever Tortoise leaves in the task's connection storage (a failed ``BEGIN`` leaves its
        transaction client there, already released) is undone on the way out, so one failed
        call never breaks the later calls of the same task or of tasks it creates.
        """
        context = self._context
        if context is None:
            raise DatabaseError(
                "the persistence layer is not connected: call `await persistence.connect()` first",
                operation=operation,
            )
        return _Binding(context)

    async def close(self) -> None:
        context, self._context = self._context, None
        if context is not None:
            await context.close_connections()
            self._release_dialect()


class _Binding:
    """Database.bound()'s block: a class, not a generator, as every call of the facade
    enters one."""

    __slots__ = ("_context", "_saved", "_storage", "_token")

    def __init__(self, context: TortoiseContext) -> None:
        self._context = context
        self._storage = context.connections._storage_var

    def __enter__(self) -> None:
        context = self._context
        self._saved = self._storage.get()
        # TortoiseContext.__enter__ keeps one token on the shared object, which concurrent
        # tasks would overwrite; each caller keeps its own token instead. The global fallback
        # is not enough: close() clears it while other tasks are still inside a call.
        self._token = (
            _current_context.set(context) if _current_context.get() is not context else None
        )

    def __exit__(self, *exc_info: object) -> None:
        if self._storage.get() is not self._saved:
            self._storage.set(self._saved)
        if self._token is not None:
            _current_context.reset(self._token)
