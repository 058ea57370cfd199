"""AsyncPersistenceLayer: the one object game code uses. Lifecycle, migrations, delegation."""

from __future__ import annotations

import asyncio
import functools
import inspect
import itertools
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar, cast

from mud_persistence.database import Database
from mud_persistence.errors import DatabaseError, NotFoundError, SchemaError
from mud_persistence.events import EventBus, NullEventBus
from mud_persistence.models import ItemInstance, Player, Profession
from mud_persistence.old_shapes import (
    container_dict,
    create_fields,
    item_entries,
    item_options,
)
from mud_persistence.replicas import ReplicaRouter
from mud_persistence.repositories.container import ContainerRepository
from mud_persistence.repositories.effect import PlayerEffectRepository
from mud_persistence.repositories.experience import ExperienceRepository
from mud_persistence.repositories.health import HealthRepository
from mud_persistence.repositories.item import ItemRepository
from mud_persistence.repositories.legacy.importer import LegacyImporter, require_postgres_target
from mud_persistence.repositories.player import PlayerRepository
from mud_persistence.repositories.profession import ProfessionRepository
from mud_persistence.repositories.room import JsonWorldLoader, RoomLoader, RoomRepository
from mud_persistence.repositories.schema import SchemaManager, upgrade_command
from mud_persistence.retry import run_with_retry
from mud_persistence.schemas import MigrationStatus
from mud_persistence.schemas.container import ContainerData
from mud_persistence.schemas.effect import PlayerEffectData
from mud_persistence.schemas.legacy import ImportProgress, ImportReport, OnConflict
from mud_persistence.schemas.progress import XPAward
from mud_persistence.schemas.room import Room
from mud_persistence.schemas.validation import check_delta, check_text_arguments
from mud_persistence.settings import PersistenceSettings, load_settings

Operation = TypeVar("Operation", bound=Callable[..., Coroutine[Any, Any, Any]])


def _operation(*, idempotent: bool, stale_ok: bool = False) -> Callable[[Operation], Operation]:
    """Run the method in this layer's Tortoise context, whichever task calls it, opening the
    layer on first use and retrying transient failures (any, for reads; only those that sent
    nothing, for writes). Every text argument is checked first (check_text_arguments), so none
    reaches the database unchecked.

    With read replicas configured, a ``stale_ok`` read may run on a replica that has this
    layer's writes, and each write records where the primary's WAL stands afterwards.
    """

    def decorate(method: Operation) -> Operation:
        name = method.__name__
        parameters = list(inspect.signature(method).parameters)[1:]

        @functools.wraps(method)
        async def wrapper(layer: AsyncPersistenceLayer, /, *args: Any, **kwargs: Any) -> Any:
            # a retry must see the same input: a generator is consumed by the first attempt
            args = tuple(_materialised(value) for value in args)
            kwargs = {key: _materialised(value) for key, value in kwargs.items()}
            check_text_arguments(
                itertools.chain(zip(parameters, args, strict=False), kwargs.items())
            )
            await layer._open_on_first_use(name)

            def call() -> Coroutine[Any, Any, Any]:
                return method(layer, *args, **kwargs)

            async def on_primary() -> Any:
                async def attempt() -> Any:
                    if layer._closed:
                        raise layer._closed_error(name)
                    with layer._database.bound(name):
                        return await call()

                try:
                    return await run_with_retry(
                        attempt, layer.settings, name=name, idempotent=idempotent
                    )
                except DatabaseError as exc:
                    # a call in flight when close() ran fails on whatever close() tore down
                    if layer._closed and not isinstance(exc, LayerClosedError):
                        raise layer._closed_error(name) from exc
                    raise

            if stale_ok and not layer._closed:
                return await layer._replicas.read(call, on_primary)
            if idempotent:
                return await on_primary()
            try:
                return await on_primary()
            finally:
                await layer._replicas.note_write()

        return cast(Operation, wrapper)

    return decorate


class LayerClosedError(DatabaseError):
    """The layer was closed; connect() opens it again."""


def _materialised(value: Any) -> Any:
    """A one-pass iterator as a list; anything else unchanged."""
    return list(value) if isinstance(value, Iterator) else value


_read = _operation(idempotent=True)
_write = _operation(idempotent=False)
# Reads a replica may answer a little late: listings, room occupancy, professions
# (docs/scaling.md lists them for operators).
_stale_ok_read = _operation(idempotent=True, stale_ok=True)


class AsyncPersistenceLayer:
    """Players, professions, rooms, containers and items for a MUD, on PostgreSQL or SQLite.

    Create one per process at start-up and use it from any task: the first call opens the
    connection pool and loads the room cache (``connect()`` does it up front, to fail fast).

    Args:
        database_url: ``postgresql://user:password@host:port/db`` or ``sqlite:///path`` (the
            README's "Database URLs" lists every form and option); overrides
            ``settings.database_url`` (which reads ``DATABASE_URL`` from the environment).
        event_bus: receives the events of ``mud_persistence.events`` after each commit.
        settings: every other knob; read from the environment when omitted.
        room_loader: a callable (sync or async) returning the game's rooms: dicts (validated
            into ``Room``), ``Room`` objects, or the game's own room objects (anything with an
            ``id``, cached as they are); by default the JSON files in
            ``settings.rooms_directory``.

    ``_log_path``, ``_skip_room_cache`` and ``_db_path`` are accepted and ignored, as the layer
    we replace did, so its call shapes keep working (``event_bus`` is its third positional
    parameter there too). Its first positional parameter was an unused path; here it is the
    database URL.
    """

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
        self._connecting = asyncio.Lock()
        self._closed = False
        self._schema = SchemaManager(settings)
        self._players = PlayerRepository(settings)
        self._health = HealthRepository(settings, self._event_bus)
        self._experience = ExperienceRepository(settings, self._event_bus)
        self._containers = ContainerRepository(self._event_bus)
        self._items = ItemRepository()
        self._professions = ProfessionRepository()
        self._effects = PlayerEffectRepository()
        self._rooms = RoomRepository(room_loader or JsonWorldLoader(settings.rooms_directory))

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
            except BaseException:
                await self._database.close()
                raise
            await self._rooms.ensure_loaded()

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
        async with self._connecting:  # a first call that is opening the pool right now
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

    # Players ---------------------------------------------------------------------------------

    @_write
    async def create_player(
        self,
        *,
        name: str,
        user_id: uuid.UUID | str,
        profession_id: int | None = None,
        current_room_id: str | None = None,
        stats: Mapping[str, Any] | None = None,
        is_admin: bool = False,
    ) -> Player:
        """Create a player; unspecified stats take their database defaults.

        Raises:
            ValidationError: a bad name (1..50 characters), user id, stat, or unknown profession.
            ConflictError: an active player already has this name, in any letter case.
        """
        return await self._players.create(
            name=name,
            user_id=user_id,
            profession_id=profession_id,
            current_room_id=current_room_id,
            stats=dict(stats) if stats is not None else None,
            is_admin=is_admin,
        )

    @_read
    async def get_player_by_id(self, player_id: uuid.UUID | str) -> Player | None:
        """The player with this id, soft-deleted or not.

        A player found in a room the world does not have is moved to the default room, and
        the move is saved (see ``validate_and_fix_player_room``).
        """
        return await self._with_valid_room(await self._players.get_by_id(player_id))

    @_read
    async def get_player_by_name(self, name: str) -> Player | None:
        """The active player with this name, ignoring letter case; its room fixed as by id."""
        return await self._with_valid_room(await self._players.get_by_name(name))

    async def _with_valid_room(self, player: Player | None) -> Player | None:
        if player is not None:
            await self._with_valid_rooms([player])
        return player

    async def _with_valid_rooms(self, players: list[Player]) -> list[Player]:
        # The reads on the primary check the players' rooms, as the old repository did: game
        # code that reads players by user (character selection) or in a batch relies on it too.
        # One UPDATE per player that moves; none when every room is known.
        await self._rooms.ensure_loaded()
        for player in players:
            room_id = self._replacement_room(player)
            if room_id is not None:
                await self._players.move(player, room_id)
        return players

    @_read
    async def get_player_by_user_id(self, user_id: uuid.UUID | str) -> Player | None:
        """The account's oldest active player; its room fixed as by id."""
        return await self._with_valid_room(await self._players.get_by_user_id(user_id))

    @_read
    async def get_players_by_user_id(
        self, user_id: uuid.UUID | str, *, include_deleted: bool = True
    ) -> list[Player]:
        """The account's players, soft-deleted ones included (as the old layer), oldest first.

        ``get_active_players_by_user_id`` leaves the deleted ones out. Rooms fixed as by id.
        """
        return await self._with_valid_rooms(
            await self._players.list_by_user_id(user_id, include_deleted=include_deleted)
        )

    async def get_active_players_by_user_id(self, user_id: uuid.UUID | str) -> list[Player]:
        """The account's players that are not soft-deleted, oldest first."""
        return await self.get_players_by_user_id(user_id, include_deleted=False)

    @_stale_ok_read
    async def list_players(self, *, include_deleted: bool = False) -> list[Player]:
        """Every active player (and soft-deleted ones if asked), oldest first.

        Unlike the reads by id, user and batch, it moves no player out of an unknown room: it
        may be answered by a read replica, which cannot write (docs/migrating.md).
        """
        return await self._players.list_all(include_deleted=include_deleted)

    @_stale_ok_read
    async def get_players_in_room(self, room_id: str) -> list[Player]:
        """The active players in a room, by name. Moves no player (see ``list_players``)."""
        return await self._players.in_room(room_id)

    @_read
    async def get_players_batch(
        self, player_ids: Iterable[uuid.UUID | str]
    ) -> dict[uuid.UUID, Player]:
        """The players with these ids, by id; ids that match nothing are left out. Rooms fixed
        as by id."""
        players = await self._players.batch(player_ids)
        await self._with_valid_rooms(list(players.values()))
        return players

    @_write
    async def save_player(self, player: Player) -> None:
        """Insert a new ``Player(...)``; for a loaded one, write the columns changed on it since
        it was loaded, and nothing else.

        A concurrent atomic update of a field you did not change is kept. A save that lowers
        the max DP lowers current_dp to it in the same statement.

        Raises:
            StaleDataError: a field you changed was changed in the database meanwhile;
                nothing was written. Reload the player and apply your change again.
            NotFoundError: the player was deleted.
            ConflictError: a new player's id or name is taken.
            ValidationError: a changed field holds a bad value (DP outside
                ``[dp_floor, max DP]``, ...); nothing was written.
        """
        await self._players.save(player)

    @_write
    async def save_players(self, players: Iterable[Player]) -> None:
        """save_player for each, in one transaction: all are written or none is.

        Raises:
            ValidationError: two different objects stand for one player (one object listed
                twice is saved once).
        """
        await self._players.save_many(list(players))

    @_write
    async def soft_delete_player(self, player_id: uuid.UUID | str) -> bool:
        """Mark the player deleted (its name becomes free); True whenever the player exists,
        deleted already or not, False if no player has this id."""
        return await self._players.soft_delete(player_id)

    @_write
    async def delete_player(self, player_id: uuid.UUID | str) -> bool:
        """Remove the player's row for good; False if there was none."""
        return await self._players.delete(player_id)

    @_write
    async def update_player_last_active(
        self, player_id: uuid.UUID | str, last_active: datetime | None = None
    ) -> None:
        """Set last_active (now by default; a naive time is taken as UTC). An unknown player
        is a no-op, as in the old layer."""
        await self._players.touch(player_id, last_active)

    def validate_and_fix_player_room(self, player: Player) -> bool:
        """Move ``player`` (the object only) to the default room if its room is unknown;
        return whether it moved. ``save_player`` persists the move.

        Left alone: every player while the room cache is empty, instanced rooms (``instance_``
        prefix), the tutorial bedroom while the player has a tutorial instance, and every
        player when the default room is not cached either.
        """
        room_id = self._replacement_room(player)
        if room_id is None:
            return False
        player.current_room_id = room_id
        return True

    def _replacement_room(self, player: Player) -> str | None:
        return self._rooms.replacement_room(
            player.current_room_id,
            getattr(player, "tutorial_instance_id", None),
            self.settings.default_room_id,
        )

    # Health ----------------------------------------------------------------------------------

    @_write
    async def damage_player(
        self, player: Player, amount: int, damage_type: str = "physical"
    ) -> int:
        """Take ``amount`` DP from the player, atomically; return the new current_dp.

        The database clamps the result to ``[settings.dp_floor, effective max DP]``. Cold and
        water damage is reduced by the player's cold_resistance percent (at least 1). The
        object's current_dp is set to the stored value; ``PlayerDPUpdated`` follows the commit.

        Raises:
            ValidationError: ``amount`` is negative or not a whole number.
            NotFoundError: the player does not exist or is deleted.
        """
        return await self._health.damage(player, amount, damage_type)

    @_write
    async def heal_player(self, player: Player, amount: int) -> int:
        """Give ``amount`` DP back, up to the effective max DP; return the new current_dp.

        Publishes ``PlayerDPUpdated`` after the commit.
        """
        return await self._health.heal(player, amount)

    async def async_damage_player(
        self, player: Player, amount: int, damage_type: str = "physical"
    ) -> int:
        """The old layer's alias of ``damage_player``."""
        return await self.damage_player(player, amount, damage_type)

    async def async_heal_player(self, player: Player, amount: int) -> int:
        """The old layer's alias of ``heal_player``."""
        return await self.heal_player(player, amount)

    @_write
    async def update_player_health(
        self, player_id: uuid.UUID | str, delta: int, reason: str = ""
    ) -> int:
        """Add ``delta`` (negative to hurt) to current_dp, clamped; return the new value.

        Publishes ``PlayerDPUpdated`` after the commit.
        """
        return await self._health.adjust(player_id, delta, reason)

    # Experience and stats --------------------------------------------------------------------

    @_write
    async def gain_experience(
        self, player: Player, amount: int, source: str = "unknown"
    ) -> XPAward:
        """Award ``amount`` XP atomically; the object's XP is set to the stored total.

        The level is the game's and stays as it is, as in the old layer, unless
        ``settings.xp_per_level`` is set: then it follows the new total in the same statement.
        Publishes ``PlayerXPAwarded``, and ``PlayerLeveledUp`` when the level rises.

        Raises:
            ValidationError: ``amount`` is negative or not a whole number.
        """
        return await self._experience.gain(player, amount, source)

    @_write
    async def update_player_xp(
        self, player_id: uuid.UUID | str, delta: int, reason: str = ""
    ) -> XPAward:
        """Add ``delta`` XP atomically (the level as in ``gain_experience``).

        Publishes ``PlayerXPAwarded``, and ``PlayerLeveledUp`` when the level rises.

        Raises:
            ValidationError: ``delta`` is negative (as in the old layer) or not a whole number.
            NotFoundError: no active player has this id.
        """
        return await self._experience.adjust(player_id, delta, reason)

    @_write
    async def update_player_stat_field(
        self, player_id: uuid.UUID | str, field_name: str, delta: int | float, reason: str = ""
    ) -> int:
        """Add ``delta`` to one stat, clamped to its range; return the new value.

        ``current_dp`` is changed as by ``update_player_health`` (clamped to dp_floor..max DP,
        ``PlayerDPUpdated``); every other stat column publishes ``PlayerStatChanged``.
        ``delta`` may be an integral float (``5.0``), as the old layer allowed.

        Raises:
            ValidationError: ``field_name`` is not a stat (current_dp, strength, lucidity,
                fear, ...) or ``delta`` has a fraction; a ``delta`` that is not a number at
                all raises ``ValidationTypeError``, which is also a ``TypeError``.
        """
        delta = check_delta(delta, field="delta")
        if field_name == "current_dp":
            return await self._health.adjust(player_id, delta, reason)
        return await self._experience.change_stat(None, player_id, field_name, delta, reason)

    @_write
    async def apply_lucidity_loss(
        self, player: Player, amount: int, source: str = "unknown"
    ) -> int:
        """Lower lucidity by ``amount`` (not below -100); return the new lucidity.

        Publishes ``PlayerStatChanged`` after the commit.
        """
        return await self._experience.apply(player, "lucidity", -1, amount, source)

    @_write
    async def apply_fear(self, player: Player, amount: int, source: str = "unknown") -> int:
        """Raise fear by ``amount`` (not above 100); return the new fear.

        Publishes ``PlayerStatChanged`` after the commit.
        """
        return await self._experience.apply(player, "fear", +1, amount, source)

    @_write
    async def apply_corruption(self, player: Player, amount: int, source: str = "unknown") -> int:
        """Raise corruption by ``amount`` (not above 100); return the new corruption.

        Publishes ``PlayerStatChanged`` after the commit.
        """
        return await self._experience.apply(player, "corruption", +1, amount, source)

    @_write
    async def gain_occult_knowledge(
        self, player: Player, amount: int, source: str = "unknown"
    ) -> int:
        """Raise occult_knowledge by ``amount`` (not above 100); return the new value.

        Publishes ``PlayerStatChanged`` after the commit.
        """
        return await self._experience.apply(player, "occult_knowledge", +1, amount, source)

    # Player effects --------------------------------------------------------------------------

    @_write
    async def add_player_effect(
        self,
        player_id: uuid.UUID | str,
        effect_type: str,
        category: str,
        duration: int,
        applied_at_tick: int,
        options: Mapping[str, Any] | None = None,
    ) -> str:
        """Apply a timed effect; return its id (a UUID string).

        The effect is active while ``duration - (current_tick - applied_at_tick) > 0``.

        Args:
            options: ``intensity`` (default 1), ``source`` (default None) and
                ``visibility_level`` (default ``"visible"``).

        Raises:
            ValidationError: a bad field or an unknown option; nothing is written.
            NotFoundError: no player has this id.
        """
        data = {
            **(options or {}),
            "effect_type": effect_type,
            "category": category,
            "duration": duration,
            "applied_at_tick": applied_at_tick,
        }
        return await self._effects.add(player_id, data)

    @_write
    async def remove_player_effect_by_id(self, effect_id: uuid.UUID | str) -> bool:
        """Remove one effect; False if there was none (the old layer returned None)."""
        return await self._effects.remove(effect_id)

    @_read
    async def get_active_player_effects(
        self, player_id: uuid.UUID | str, current_tick: int
    ) -> list[PlayerEffectData]:
        """The player's effects with ticks left at ``current_tick``, by applied_at_tick."""
        return await self._effects.active(player_id, current_tick)

    @_read
    async def has_player_effect(
        self, player_id: uuid.UUID | str, effect_type: str, current_tick: int
    ) -> bool:
        """Whether the player has an effect of this type with ticks left at ``current_tick``."""
        return await self._effects.has(player_id, effect_type, current_tick)

    @_read
    async def get_player_effect_remaining_ticks(
        self, player_id: uuid.UUID | str, effect_type: str, current_tick: int
    ) -> int | None:
        """Ticks left on the player's oldest active effect of this type, or None."""
        return await self._effects.remaining_ticks(player_id, effect_type, current_tick)

    @_write
    async def expire_player_effects_for_tick(self, current_tick: int) -> list[tuple[str, str]]:
        """Delete every effect with no tick left at ``current_tick`` (any player), in one
        transaction; return ``(player_id, effect_type)`` for each, player ids as strings."""
        return await self._effects.expire(current_tick)

    # Rooms -----------------------------------------------------------------------------------

    def get_room_by_id(self, room_id: str) -> Room | Any | None:
        """The room with this id, or None.

        An instanced room id (``instance_`` prefix) is asked of the instance manager first
        (see ``set_instance_manager``); every other id is read from the cache, which
        ``connect()`` fills. Rooms come back as the loader gave them: ``Room`` objects for
        dicts, the game's own objects as they are.
        """
        return self._rooms.get(room_id)

    def list_rooms(self) -> list[Room | Any]:
        """Every cached room."""
        return self._rooms.all()

    # The game reads these two private attributes of the old layer at every start (its
    # InstanceManager shares the room cache; start-up checks the cache size and load state),
    # so they stay, read-only.
    @property
    def _room_cache(self) -> dict[str, Room | Any]:
        """The live room cache, room id -> room (the same dict for the layer's lifetime)."""
        return self._rooms.cache

    @property
    def _room_cache_loaded(self) -> bool:
        """Whether the room loader has filled the cache."""
        return self._rooms.is_loaded

    def set_instance_manager(self, instance_manager: Any) -> None:
        """Have room lookups ask ``instance_manager.get_room_by_id(room_id)`` first for
        instanced room ids; None stops it."""
        self._rooms.set_instance_manager(instance_manager)

    def save_room(self, room: Room | Any) -> None:
        """Put one room (anything with a string ``id``) into the cache, replacing the room
        with that id. The cache only: rooms are not stored in the database."""
        self._rooms.save([room])

    def save_rooms(self, rooms: Iterable[Room | Any]) -> None:
        """``save_room`` for each of ``rooms``."""
        self._rooms.save(rooms)

    async def warmup_room_cache(self) -> int:
        """Load the rooms from the room loader unless loaded already, as the old layer did;
        return how many are cached.

        A loaded cache is kept as it is (the game's room objects hold who is in them). A load
        that fails or finds no room returns 0 and leaves the cache unloaded, so the next call
        tries again.
        """
        return await self._rooms.warmup()

    async def async_list_rooms(self) -> list[Room | Any]:
        """Every room, loading the cache first if it is not loaded."""
        await self._rooms.ensure_loaded()
        return self._rooms.all()

    # Professions -----------------------------------------------------------------------------

    @_stale_ok_read
    async def get_professions(self) -> list[Profession]:
        """The professions a new character can pick, by id."""
        return await self._professions.get_available()

    @_stale_ok_read
    async def get_all_professions(self) -> list[Profession]:
        """Every profession, available or not, by id."""
        return await self._professions.get_all()

    @_stale_ok_read
    async def get_profession_by_id(self, profession_id: int) -> Profession | None:
        """The profession with this id, available or not, or None."""
        return await self._professions.get_by_id(profession_id)

    @_write
    async def seed_professions(self, source: Path | list[dict[str, Any]] | None = None) -> int:
        """Insert or update professions by name (the bundled ones by default); return how many."""
        return await self._professions.seed(source)

    # Containers ------------------------------------------------------------------------------
    # The old-named methods return the old layer's plain dicts; each has a typed twin, named
    # ``..._data``, that returns ContainerData for new code. Both run the same repository code.

    @_write
    async def create_container(
        self, source_type: str, params: object = None, **kwargs: Any
    ) -> dict[str, Any]:
        """Create a container with its initial items, in one transaction (old layer's shape).

        Args:
            source_type: ``environment`` (needs ``room_id``), ``equipment`` (needs
                ``entity_id``, the player wearing it) or ``corpse`` (a room is optional).
            params: a ContainerCreateParams, the old layer's params object (or any object
                with its attribute names), or a dict; keyword arguments override it.
            **kwargs: the columns: ``room_id``, ``entity_id``, ``owner_id``,
                ``capacity_slots`` (default 20), ``lock_state``, ``weight_limit``,
                ``decay_at``, ``allowed_roles``, ``metadata_json``, ``items_json``, ... An
                ``items_json`` entry that is invalid or names an unknown prototype is skipped
                with a logged warning; the container is still created.

        Returns:
            The old container dict (see ``get_container``).

        Raises:
            ValidationError: a bad container column; nothing is written.
            CapacityError: the valid items do not fit (slots or weight limit).
        """
        fields = create_fields(params, kwargs)
        if "items" in fields:
            fields["items"] = item_entries(fields["items"])
        created = await self._containers.create(
            {**fields, "source_type": source_type}, lenient=True
        )
        return container_dict(created)

    @_write
    async def create_container_data(
        self, source_type: str, params: object = None, **kwargs: Any
    ) -> ContainerData:
        """create_container for new code: returns ContainerData, and refuses a bad item.

        ``items`` (or ``items_json``) entries: dicts with ``item_id`` (the prototype) and
        optionally ``item_instance_id``, ``quantity``, ``condition``, ``position``,
        ``metadata``, ``slot_type``, ``item_name``.

        Raises:
            ValidationError: bad input, an invalid item or an unknown prototype; nothing is
                written.
            CapacityError: the items do not fit.
        """
        fields = create_fields(params, kwargs)
        return await self._containers.create({**fields, "source_type": source_type})

    @_read
    async def get_container(self, container_id: uuid.UUID | str) -> dict[str, Any] | None:
        """The container as the old layer's dict, or None.

        Keys: ``container_id``, ``source_type``, ``owner_id``, ``room_id``, ``entity_id``,
        ``lock_state``, ``capacity_slots``, ``weight_limit``, ``decay_at``, ``allowed_roles``,
        ``created_at``, ``updated_at``, ``items_json`` (by position) and ``metadata_json``;
        ids as strings, times as ISO strings.
        """
        found = await self._containers.get(container_id)
        return None if found is None else container_dict(found)

    @_read
    async def get_container_data(self, container_id: uuid.UUID | str) -> ContainerData | None:
        """The container with its items (by position), or None."""
        return await self._containers.get(container_id)

    @_read
    async def get_containers_by_room_id(self, room_id: str) -> list[dict[str, Any]]:
        """The room's containers as old dicts, oldest first, in two queries."""
        return [container_dict(found) for found in await self._containers.in_room(room_id)]

    @_read
    async def get_container_data_by_room_id(self, room_id: str) -> list[ContainerData]:
        """The room's containers with their items, oldest first, in two queries."""
        return await self._containers.in_room(room_id)

    @_read
    async def get_containers_by_entity_id(self, entity_id: uuid.UUID | str) -> list[dict[str, Any]]:
        """The player's equipment containers as old dicts, oldest first, in two queries."""
        return [container_dict(found) for found in await self._containers.of_entity(entity_id)]

    @_read
    async def get_container_data_by_entity_id(
        self, entity_id: uuid.UUID | str
    ) -> list[ContainerData]:
        """The player's equipment containers with their items, oldest first, in two queries."""
        return await self._containers.of_entity(entity_id)

    @_read
    async def get_decayed_containers(
        self, current_time: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Containers whose decay_at is before ``current_time`` (now by default; naive times
        are UTC), as old dicts, earliest first."""
        return [container_dict(found) for found in await self._containers.decayed(current_time)]

    @_read
    async def get_decayed_container_data(
        self, current_time: datetime | None = None
    ) -> list[ContainerData]:
        """Containers whose decay_at is before ``current_time``, earliest first."""
        return await self._containers.decayed(current_time)

    @_write
    async def update_container(
        self,
        container_id: uuid.UUID | str,
        items_json: list[dict[str, Any]] | None = None,
        lock_state: str | None = None,
        metadata_json: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Change the lock state, the metadata, or the whole contents, in one transaction.

        ``items_json`` replaces the contents: listed instances are kept, new ones are created
        from their prototype, and instances no longer listed are deleted. An entry naming an
        existing instance changes only the fields it gives, so entries read from
        ``get_container`` and written back unchanged change nothing. Invalid entries are
        skipped with a logged warning, as by create_container.

        Returns:
            The old container dict, or None if there is no such container.
        """
        updated = await self._containers.update(
            container_id,
            None if items_json is None else item_entries(items_json),  # type: ignore[arg-type]
            lock_state,
            metadata_json,
            lenient=True,
        )
        return None if updated is None else container_dict(updated)

    @_write
    async def update_container_data(
        self,
        container_id: uuid.UUID | str,
        *,
        items_json: list[dict[str, Any]] | None = None,
        lock_state: str | None = None,
        metadata_json: dict[str, Any] | None = None,
    ) -> ContainerData:
        """update_container for new code: returns ContainerData and refuses a bad item.

        Raises:
            NotFoundError: no container has this id.
            ValidationError: bad input; nothing is written.
            CapacityError: the items do not fit.
        """
        updated = await self._containers.update(container_id, items_json, lock_state, metadata_json)
        if updated is None:
            raise NotFoundError("Container", container_id)
        return updated

    @_write
    async def delete_container(self, container_id: uuid.UUID | str) -> bool:
        """Delete the container and the item instances in it; False if it did not exist."""
        return await self._containers.delete(container_id)

    @_write
    async def add_item_to_container(
        self, container_id: uuid.UUID | str, item_instance_id: str, *, position: int | None = None
    ) -> ContainerData:
        """Put an item that is in no container into this one (the lowest free slot by default).

        Publishes ``ItemTransferred`` after the commit.

        Raises:
            CapacityError: no free slot, or over the weight limit.
            ConflictError: the item is already in a container, or ``position`` is taken.
        """
        return await self._containers.add(container_id, item_instance_id, position)

    @_write
    async def remove_item_from_container(
        self,
        container_id: uuid.UUID | str,
        item_instance_id: str,
        *,
        to_owner_type: str = "room",
        to_owner_id: str | None = None,
    ) -> ContainerData:
        """Take an item out and give it to a room (the container's, by default) or a player.

        Publishes ``ItemTransferred`` after the commit.
        """
        return await self._containers.remove(
            container_id, item_instance_id, to_owner_type, to_owner_id
        )

    @_write
    async def transfer_item(
        self,
        item_instance_id: str,
        *,
        from_container_id: uuid.UUID | str,
        to_container_id: uuid.UUID | str,
    ) -> ContainerData:
        """Move an item between containers atomically; return the destination.

        Publishes ``ItemTransferred`` after the commit.

        Raises:
            ConflictError: the item is not (or no longer) in the source container.
            CapacityError: the destination is full or over its weight limit.
        """
        return await self._containers.transfer(item_instance_id, from_container_id, to_container_id)

    # Items -----------------------------------------------------------------------------------
    # ``data`` is the old layer's positional options dict; keyword options override it. A None
    # option means "not given", as in the old layer.

    @_write
    async def create_item_instance(
        self,
        item_instance_id: str,
        prototype_id: str,
        data: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> ItemInstance:
        """Insert an item instance. Options: owner_type (room or player), owner_id, quantity,
        condition, custom_name, metadata, ... (the item_instances columns).

        Raises:
            ConflictError: the id is taken (never overwritten: use upsert_item_instance).
            ValidationError: bad options, an unknown prototype, or owner_type "container"
                (put items in containers with add_item_to_container or create_container).
        """
        options = item_options(data, kwargs)
        return await self._items.create(item_instance_id, prototype_id, **options)

    @_write
    async def ensure_item_instance(
        self,
        item_instance_id: str,
        prototype_id: str,
        data: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> ItemInstance:
        """The instance with this id, inserted only if absent; an existing one is never changed."""
        options = item_options(data, kwargs)
        return await self._items.ensure(item_instance_id, prototype_id, **options)

    @_write
    async def upsert_item_instance(
        self,
        item_instance_id: str,
        prototype_id: str,
        data: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> ItemInstance:
        """Insert the instance, or overwrite the given columns of the existing one.

        Raises:
            ConflictError: the item is in a container and the owner would change (move it
                with remove_item_from_container or transfer_item instead).
            CapacityError: the item is in a container and the new quantity or prototype
                would put the container over its weight limit.
        """
        options = item_options(data, kwargs)
        return await self._items.upsert(item_instance_id, prototype_id, **options)

    @_read
    async def item_instance_exists(self, item_instance_id: str) -> bool:
        """Whether an item instance with this id exists."""
        return await self._items.exists(item_instance_id)

    @_read
    async def get_item_instance(self, item_instance_id: str) -> ItemInstance | None:
        """The item instance with this id, or None."""
        return await self._items.get(item_instance_id)

    @_write
    async def seed_item_prototypes(self, source: Path | list[dict[str, Any]] | None = None) -> int:
        """Insert or update item prototypes by id (the bundled ones by default); return how many."""
        return await self._items.seed_prototypes(source)

    # Import from the old layer -------------------------------------------------------------

    @_write
    async def import_legacy(
        self,
        source_url: str,
        *,
        schema: str = "public",
        dry_run: bool = False,
        on_conflict: OnConflict = "stop",
        batch_size: int = 1000,
        progress: ImportProgress | None = None,
    ) -> ImportReport:
        """Copy a game's data from the old layer's PostgreSQL schema into this database.

        Professions, item prototypes and instances, players (stats spread into columns,
        player_inventories merged as the old layer loaded it), containers with their contents,
        and player effects. Rows are upserted by key in batches of ``batch_size``, each batch
        one transaction: running it again, or again after a crash, gives the same result.

        Args:
            source_url: ``postgres://user:password@host:port/database`` of the old game.
            schema: the old layer's schema in that database (``mythos_dev``, ...).
            dry_run: read and check everything, write nothing.
            on_conflict: what to do with problem rows (a stat out of range, a duplicate
                name, one item in two containers, ...): ``stop`` writes nothing, ``skip``
                leaves them out, ``fix`` repairs them (see docs/migrating.md); every one is
                listed in the report.
            progress: told how far each table is (the CLI draws progress bars).

        Returns:
            ImportReport: per-table counts, problem rows, and the verification (row counts and
            a checksum of the key columns on both sides).

        Raises:
            ValidationError: a bad argument, or a target that is not PostgreSQL.
            SchemaError: the source schema lacks the old tables.
            DatabaseError: the source or the target failed.
        """
        require_postgres_target(self.settings)
        importer = LegacyImporter(self.settings.connection_name, self.settings.dp_floor)
        return await importer.run(
            source_url,
            schema=schema,
            dry_run=dry_run,
            on_conflict=on_conflict,
            batch_size=batch_size,
            progress=progress,
        )
