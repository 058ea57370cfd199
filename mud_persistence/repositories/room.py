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
from mud_persistence.schemas.room import Room
from mud_persistence.schemas.validation import as_validation_error

logger = logging.getLogger(__name__)

RoomSource = Iterable[Room | Mapping[str, Any]]
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
        self._rooms: dict[str, Room] = {}
        self._lock = asyncio.Lock()

    @property
    def is_loaded(self) -> bool:
        return bool(self._rooms)

    async def warmup(self) -> int:
        """(Re)load every room; return how many are cached (0 when the load failed)."""
        async with self._lock:
            return await self._reload()

    async def ensure_loaded(self) -> None:
        if self.is_loaded:
            return
        async with self._lock:
            if not self.is_loaded:  # concurrent first calls: the first one loads
                await self._reload()

    async def _reload(self) -> int:
        try:
            rooms = await self._load()
        except Exception:
            logger.exception("loading rooms failed; the room cache stays empty")
            return 0
        if not rooms:
            logger.warning("the room loader returned no rooms; the room cache stays empty")
        self._rooms = {room.id: room for room in rooms}
        return len(self._rooms)

    async def _load(self) -> list[Room]:
        result = self._loader()
        source = await result if inspect.isawaitable(result) else result
        return [room if isinstance(room, Room) else Room.model_validate(room) for room in source]

    def get(self, room_id: str) -> Room | None:
        return self._rooms.get(room_id)

    def all(self) -> list[Room]:
        return list(self._rooms.values())
