"""The room cache: rooms come from a loader at start-up, not from a table."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pydantic

from mud_persistence.errors import ValidationError
from mud_persistence.events import Event, RoomsSaved
from mud_persistence.schemas.room import INSTANCED_ROOM_PREFIX, TUTORIAL_BEDROOM_ID, Room
from mud_persistence.schemas.validation import as_validation_error

logger = logging.getLogger(__name__)

# A loader may return dicts (validated into Room) or the game's own room objects: anything with
# an ``id`` attribute is cached and returned as it is.
RoomSource = Iterable[Room | Mapping[str, Any] | Any]
RoomLoader = Callable[[], RoomSource | Awaitable[RoomSource]]


class JsonWorldLoader:
    """Reads every ``*.json`` file under a directory; each holds one room or a list of rooms."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def __call__(self) -> list[Room]:
        if not self.directory.is_dir():
            raise ValidationError(
                f"room world directory {str(self.directory)!r} does not exist",
                field="rooms_directory",
                value=str(self.directory),
            )
        rooms: list[Room] = []
        for path in sorted(self.directory.rglob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = data if isinstance(data, list) else [data]
            try:
                rooms.extend(Room.model_validate(entry) for entry in entries)
            except pydantic.ValidationError as exc:
                raise as_validation_error(exc, what=f"room in {path}") from None
        return rooms


class RoomRepository:
    """Holds every room in memory; lookups never touch the database.

    A load that fails or finds no room leaves the cache unloaded, so the next warm-up tries again.
    """

    def __init__(self, loader: RoomLoader) -> None:
        self._loader = loader
        self._rooms: dict[str, Any] = {}
        self._lock = asyncio.Lock()
        self._instance_manager: Any = None
        self._loaded = False  # rooms saved by the game do not count as a load

    @property
    def is_loaded(self) -> bool:
        return self._loaded

    @property
    def cache(self) -> dict[str, Any]:
        """The live cache, room id -> room: the same dict for the repository's lifetime, so a
        holder (the game's InstanceManager) sees every load and save."""
        return self._rooms

    async def warmup(self) -> int:
        """Load every room unless loaded already; return how many are cached (0 when the load
        failed). Never reloads a loaded cache: the game warms it again while its room objects
        hold who is in them, and the old layer loaded once."""
        await self.ensure_loaded()
        return len(self._rooms)

    async def ensure_loaded(self) -> None:
        if self.is_loaded:
            return
        async with self._lock:
            if not self.is_loaded:  # concurrent first calls: the first one loads
                await self._reload()

    async def _reload(self) -> int:
        try:
            rooms = by_id(await self._load())
        except Exception:
            logger.exception("loading rooms failed; the room cache stays empty")
            return 0
        if not rooms:
            logger.warning("the room loader returned no rooms; the room cache stays empty")
        self._rooms.clear()  # in place: the game may hold this dict (see ``cache``)
        self._rooms.update(rooms)
        self._loaded = bool(rooms)
        return len(self._rooms)

    async def _load(self) -> list[Any]:
        result = self._loader()
        source = await result if inspect.isawaitable(result) else result
        return [Room.model_validate(room) if isinstance(room, Mapping) else room for room in source]

    def set_instance_manager(self, manager: Any) -> None:
        """Consult ``manager.get_room_by_id`` first for instanced room ids."""
        self._instance_manager = manager

    def get(self, room_id: str) -> Any:
        """The room with this id: an instanced one from the instance manager, else the cache."""
        if self._instance_manager is not None and is_instanced(room_id):
            room = self._instance_manager.get_room_by_id(room_id)
            if room is not None:
                return room
        return self._rooms.get(room_id)

    def all(self) -> list[Any]:
        return list(self._rooms.values())

    def save(self, rooms: Iterable[Any]) -> None:
        """Put rooms into the cache, replacing any with the same id (the cache only; a first
        load that comes later replaces the whole cache with what the loader returns)."""
        self._rooms.update(by_id(rooms))

    # the outbox kinds apply_event reads: rooms are all the layer caches (professions and
    # item prototypes are read from the database each time)
    event_kinds = frozenset({RoomsSaved.event_type})

    async def apply_event(self, event: Event) -> None:
        """Another process saved rooms (``RoomsSaved``): cache them, and ask the room loader
        again for the ``reload_ids`` (the game's own room objects, which travel as ids only)."""
        if not isinstance(event, RoomsSaved):
            return
        self.save(Room.model_validate(room) for room in event.rooms)
        wanted = set(event.reload_ids)
        if wanted:
            try:
                fresh = [room for room in await self._load() if room.id in wanted]
            except Exception:
                logger.exception("reloading rooms %s saved by another process failed", wanted)
                return
            self.save(fresh)

    def replacement_room(
        self, room_id: str | None, tutorial_instance_id: str | None, default_room_id: str
    ) -> str | None:
        """Where a player in ``room_id`` belongs, if not there; None when the room stands.

        Left alone: every player while the cache is empty, instanced rooms, the tutorial
        bedroom while the player has a tutorial instance, and known rooms. A player in an
        unknown room goes to the default room, unless that room is not cached either.
        """
        if not self._rooms or is_instanced(room_id):
            return None
        if room_id == TUTORIAL_BEDROOM_ID and tutorial_instance_id:
            return None
        if room_id in self._rooms or default_room_id not in self._rooms:
            return None
        return default_room_id


def by_id(rooms: Iterable[Any]) -> dict[str, Any]:
    """``rooms`` keyed by their ``id``; ValidationError for one without a usable id."""
    keyed: dict[str, Any] = {}
    for room in rooms:
        room_id = getattr(room, "id", None)
        if not isinstance(room_id, str) or not room_id:
            raise ValidationError(
                f"a room needs a non-empty string id, got {room!r}", field="id", value=room_id
            )
        keyed[room_id] = room
    return keyed


def is_instanced(room_id: str | None) -> bool:
    return bool(room_id) and str(room_id).startswith(INSTANCED_ROOM_PREFIX)


def saved_rooms(rooms: list[Any]) -> RoomsSaved:
    """The event telling other processes about rooms saved here: ``Room`` data travels whole,
    the game's own room objects by id."""
    return RoomsSaved(
        rooms=tuple(room.model_dump(mode="json") for room in rooms if isinstance(room, Room)),
        reload_ids=tuple(room.id for room in rooms if not isinstance(room, Room)),
    )
