"""Players: create, read, save and delete them; keep them in rooms the world has."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from mud_persistence.facade.base import LayerBase
from mud_persistence.facade.operation import _read, _stale_ok_read, _write
from mud_persistence.models import Player


class PlayersMixin(LayerBase):
    """Creating, reading, saving and deleting players."""

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
        idempotency_key: str | None = None,
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
        if player is not None and (
            not self._rooms.is_loaded or self._replacement_room(player) is not None
        ):
            await self._with_valid_rooms([player])  # not a coroutine more for the common case
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
    async def save_player(self, player: Player, *, idempotency_key: str | None = None) -> None:
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
    async def save_players(
        self, players: Iterable[Player], *, idempotency_key: str | None = None
    ) -> None:
        """save_player for each, in one transaction: all are written or none is.

        Raises:
            ValidationError: two different objects stand for one player (one object listed
                twice is saved once).
        """
        await self._players.save_many(list(players))

    @_write
    async def soft_delete_player(
        self, player_id: uuid.UUID | str, *, idempotency_key: str | None = None
    ) -> bool:
        """Mark the player deleted (its name becomes free); True whenever the player exists,
        deleted already or not, False if no player has this id."""
        return await self._players.soft_delete(player_id)

    @_write
    async def delete_player(
        self, player_id: uuid.UUID | str, *, idempotency_key: str | None = None
    ) -> bool:
        """Remove the player's row for good; False if there was none."""
        return await self._players.delete(player_id)

    @_write
    async def update_player_last_active(
        self,
        player_id: uuid.UUID | str,
        last_active: datetime | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> None:
        """Set last_active (now by default; a naive time is taken as UTC). An unknown player
        is a no-op, as in the old layer; so is a soft-deleted one (the old layer stamped it)."""
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
