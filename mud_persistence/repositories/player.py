"""Player queries; saving is PlayerWriter's (player_save.py)."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import RawSQL, Value
from tortoise.functions import Lower
from tortoise.transactions import in_transaction

from mud_persistence.errors import (
    ValidationError,
)
from mud_persistence.models import Player
from mud_persistence.repositories.container import delete_worn_items
from mud_persistence.repositories.locking import lock_player
from mud_persistence.repositories.player_save import PlayerWriter
from mud_persistence.repositories.sql import CompiledQuery
from mud_persistence.schemas.player import PlayerCreate
from mud_persistence.schemas.validation import (
    as_uuid,
    check_text,
    check_time,
    validate,
)
from mud_persistence.settings import PersistenceSettings

BATCH_QUERY_SIZE = 10_000


# Lookups by id and by name that wait for a pooled connection go together, as one statement
# (CompiledQuery's ``batched``): these give each key's row, as the single lookups do.
PLAYERS_BY_IDS = """SELECT k.lookup_index, p.*
FROM unnest($1::uuid[]) WITH ORDINALITY AS k(player_id, lookup_index)
JOIN players p ON p.player_id = k.player_id"""
ACTIVE_PLAYERS_BY_NAMES = """SELECT k.lookup_index, p.*
FROM unnest($1::text[]) WITH ORDINALITY AS k(name, lookup_index)
CROSS JOIN LATERAL (
    SELECT * FROM players WHERE LOWER(players.name) = LOWER(k.name) AND NOT players.is_deleted
    LIMIT 1
) p"""
BY_ID = CompiledQuery(
    Player,
    lambda player_id: Player.filter(player_id=player_id).limit(1),
    lambda player_id: [str(player_id), 1],
    Player.row_loader,
    batched=PLAYERS_BY_IDS,
)
BY_NAME = CompiledQuery(
    Player,
    lambda name: (
        Player.annotate(lower_name=Lower("name"))
        # The database folds both sides, so the lookup agrees with the unique name index of
        # active players. FALSE is written in the statement, not bound: a prepared statement's
        # generic plan may use that partial index only when its condition is in the text
        # (with a bound value PostgreSQL planned each of 100 reads anew; on a generic plan it
        # would scan the table).
        .filter(lower_name=Lower(Value(name)), is_deleted=RawSQL("FALSE"))  # type: ignore[arg-type]
        .limit(1)
    ),
    lambda name: [name, 1],
    Player.row_loader,
    batched=ACTIVE_PLAYERS_BY_NAMES,
)
IN_ROOM = CompiledQuery(
    Player,
    lambda room_id: Player.filter(current_room_id=room_id, is_deleted=False).order_by("name"),
    lambda room_id: [room_id, False],
    Player.row_loader,
)


class PlayerRepository:
    def __init__(self, settings: PersistenceSettings) -> None:
        self._settings = settings
        self._writer = PlayerWriter(settings)

    async def create(self, **fields: Any) -> Player:
        """Insert a new player. See AsyncPersistenceLayer.create_player."""
        data = validate(PlayerCreate, fields, what="player")
        player = Player(
            user_id=data.user_id,
            name=data.name,
            profession_id=data.profession_id,
            current_room_id=data.current_room_id or self._settings.default_room_id,
            is_admin=data.is_admin,
            # Set in Python rather than by the database default: SQLite's clock has whole
            # seconds, and "oldest player of an account" needs a strict order.
            created_at=datetime.now(UTC),
            stats=data.stats or {},
        )
        player.last_active = player.created_at
        await self._writer.save(player)
        return player

    async def get_by_id(self, player_id: uuid.UUID | str) -> Player | None:
        return await BY_ID.first(as_uuid(player_id, field="player_id"))

    async def get_by_name(self, name: str) -> Player | None:
        # names are stored in NFC form (see schemas.player.visible_name)
        return await BY_NAME.first(unicodedata.normalize("NFC", check_text(name, field="name")))

    async def get_by_user_id(self, user_id: uuid.UUID | str) -> Player | None:
        return (
            await Player.filter(user_id=as_uuid(user_id, field="user_id"), is_deleted=False)
            .order_by("created_at", "player_id")
            .first()
        )

    async def list_by_user_id(
        self, user_id: uuid.UUID | str, *, include_deleted: bool = False
    ) -> list[Player]:
        query = Player.filter(user_id=as_uuid(user_id, field="user_id"))
        if not include_deleted:
            query = query.filter(is_deleted=False)
        return await query.order_by("created_at", "player_id")

    async def list_all(self, *, include_deleted: bool = False) -> list[Player]:
        query = Player.all() if include_deleted else Player.filter(is_deleted=False)
        return await query.order_by("created_at", "player_id")

    async def in_room(self, room_id: str) -> list[Player]:
        return await IN_ROOM.fetch(check_text(room_id, field="room_id"))

    async def batch(self, player_ids: Iterable[uuid.UUID | str]) -> dict[uuid.UUID, Player]:
        if isinstance(player_ids, str | bytes) or not isinstance(player_ids, Iterable):
            raise ValidationError(
                f"player_ids must be a collection of ids, got {player_ids!r}",
                field="player_ids",
                value=player_ids,
            )
        ids = list({as_uuid(player_id, field="player_ids") for player_id in player_ids})
        found: dict[uuid.UUID, Player] = {}
        # one bind parameter per id, and PostgreSQL takes at most 32,767 in one statement
        for start in range(0, len(ids), BATCH_QUERY_SIZE):
            chunk = ids[start : start + BATCH_QUERY_SIZE]
            found.update(
                {player.player_uuid: player for player in await Player.filter(player_id__in=chunk)}
            )
        return found

    async def save(self, player: Player) -> None:
        """Insert or update ``player``. See AsyncPersistenceLayer.save_player."""
        await self._writer.save(player)

    async def save_many(self, players: Iterable[Player]) -> None:
        """save() for each player, in one transaction: all or nothing."""
        await self._writer.save_many(players)

    async def soft_delete(self, player_id: uuid.UUID | str) -> bool:
        """Mark the player deleted; True whenever the row exists (the old contract)."""
        updated = await Player.filter(player_id=as_uuid(player_id, field="player_id")).update(
            is_deleted=True, deleted_at=datetime.now(UTC)
        )
        return updated > 0

    async def delete(self, player_id: uuid.UUID | str) -> bool:
        """Delete the player, its equipment containers and the items in them (no orphans)."""
        player_id = as_uuid(player_id, field="player_id")
        async with in_transaction():  # locks in the global order of repositories/locking.py
            if await lock_player(player_id) is None:
                return False
            await delete_worn_items(player_id)
            return await Player.filter(player_id=player_id).delete() > 0

    async def touch(self, player_id: uuid.UUID | str, last_active: datetime | None) -> None:
        player_id = as_uuid(player_id, field="player_id")
        moment = check_time(last_active, field="last_active") or datetime.now(UTC)
        # unknown or deleted: a no-op, as counters and saves refuse a deleted player
        await Player.filter(player_id=player_id, is_deleted=False).update(last_active=moment)

    async def move(self, player: Player, room_id: str) -> bool:
        """Move ``player`` to ``room_id`` unless the database has it elsewhere already, or it
        is soft-deleted (counters and saves refuse a deleted player; a read must not write it)."""
        moved = await Player.filter(
            player_id=player.player_id,
            current_room_id=player.saved_value("current_room_id"),
            is_deleted=False,
        ).update(current_room_id=room_id)
        if moved:
            player.current_room_id = room_id
            player.mark_saved(("current_room_id",))
        return moved > 0
