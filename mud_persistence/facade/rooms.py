"""Rooms: the in-memory room cache, filled by the room loader (no database)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mud_persistence.facade.base import LayerBase
from mud_persistence.repositories.room import saved_rooms
from mud_persistence.schemas.room import Room


class RoomsMixin(LayerBase):
    """Room lookups in the cache, and the instance manager."""

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
        with that id. The cache only: rooms are not stored in the database; other processes'
        layers update their caches too (through the outbox, see ``subscribe``)."""
        self.save_rooms([room])

    def save_rooms(self, rooms: Iterable[Room | Any]) -> None:
        """``save_room`` for each of ``rooms``."""
        rooms = list(rooms)
        self._rooms.save(rooms)
        self._outbox.announce(saved_rooms(rooms))

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
