"""Player queries, and saves that write only what changed and never undo a concurrent change."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Value
from tortoise.functions import Lower
from tortoise.transactions import in_transaction

from mud_persistence.errors import (
    ConflictError,
    NotFoundError,
    PersistenceError,
    StaleDataError,
    ValidationError,
)
from mud_persistence.models import PLAYER_NAME_INDEX, ContainerContent, ItemInstance, Player
from mud_persistence.models.player import STAT_RANGES, check_stat
from mud_persistence.repositories.sql import CompiledQuery, is_foreign_key_error
from mud_persistence.schemas.player import SAVED_FIELD_ADAPTERS, PlayerCreate
from mud_persistence.schemas.validation import (
    as_uuid,
    check_player,
    check_text,
    check_time,
    validate,
    validate_value,
)
from mud_persistence.settings import PersistenceSettings

Changes = dict[str, Any]
BATCH_QUERY_SIZE = 10_000


BY_ID = CompiledQuery(
    Player,
    lambda player_id: Player.filter(player_id=player_id).limit(1),
    lambda player_id: [str(player_id), 1],
)
BY_NAME = CompiledQuery(
    Player,
    lambda name: (
        Player.annotate(lower_name=Lower("name"))
        # the database folds both sides, so the lookup agrees with the unique name index
        .filter(lower_name=Lower(Value(name)), is_deleted=False)  # type: ignore[arg-type]
        .limit(1)
    ),
    lambda name: [name, False, 1],
)


class PlayerRepository:
    def __init__(self, settings: PersistenceSettings) -> None:
        self._settings = settings

    async def create(self, **fields: Any) -> Player:
        """Insert a new player. See AsyncPersistenceLayer.create_player."""
        data = validate(PlayerCreate, fields, what="player")
        # Set in Python rather than by the database default: SQLite's clock has whole seconds,
        # and "oldest player of an account" needs a strict order.
        now = datetime.now(UTC)
        player = Player(
            player_id=uuid.uuid4(),
            user_id=data.user_id,
            name=data.name,
            profession_id=data.profession_id,
            current_room_id=data.current_room_id or self._settings.default_room_id,
            is_admin=data.is_admin,
            created_at=now,
            last_active=now,
        )
        player.set_stats(data.stats or {})
        try:
            await player.save(force_create=True)
        except IntegrityError as exc:
            raise refusal(exc, player) from exc
        player.mark_saved()
        return player

    async def get_by_id(self, player_id: uuid.UUID | str) -> Player | None:
        return await BY_ID.first(as_uuid(player_id, field="player_id"))

    async def get_by_name(self, name: str) -> Player | None:
        return await BY_NAME.first(check_text(name, field="name"))

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
        room_id = check_text(room_id, field="room_id")
        return await Player.filter(current_room_id=room_id, is_deleted=False).order_by("name")

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
                {player.player_id: player for player in await Player.filter(player_id__in=chunk)}
            )
        return found

    async def save(self, player: Player) -> None:
        """Write the fields changed on ``player``. See AsyncPersistenceLayer.save_player."""
        changes = self._checked_changes(player)
        if changes:
            await self._write_changes(player, changes)
            player.mark_saved(tuple(changes))

    async def save_many(self, players: Iterable[Player]) -> None:
        """save() for each player, in one transaction: all or nothing."""
        # a fixed order, so two batches with the same players cannot deadlock
        ordered = sorted(players, key=lambda player: player.player_id)
        pending = [(player, self._checked_changes(player)) for player in ordered]
        async with in_transaction():
            for player, changes in pending:
                if changes:
                    await self._write_changes(player, changes)
        for player, changes in pending:
            player.mark_saved(tuple(changes))

    def _checked_changes(self, player: Player) -> Changes:
        """The fields changed on ``player``, each validated; ValidationError for the first bad
        one."""
        check_player(player)
        changes = player.changed_fields()
        for name in changes.keys() & STAT_RANGES.keys():
            check_stat(name, changes[name])
        for name in changes.keys() & SAVED_FIELD_ADAPTERS.keys():
            validate_value(SAVED_FIELD_ADAPTERS[name], changes[name], field=name)
        if "current_dp" in changes:
            low, high = self._settings.dp_floor, player.effective_max_dp
            if not low <= player.current_dp <= high:
                raise ValidationError(
                    f"current_dp must be {low}..{high} (dp_floor..max DP), got {player.current_dp}",
                    field="current_dp",
                    value=player.current_dp,
                )
        return changes

    async def _write_changes(self, player: Player, changes: Changes) -> None:
        expected = {name: player.saved_value(name) for name in changes}
        try:
            updated = await Player.filter(
                player_id=player.player_id, is_deleted=False, **expected
            ).update(**changes)
        except IntegrityError as exc:
            raise refusal(exc, player) from exc
        if updated:
            return
        if not await Player.filter(player_id=player.player_id, is_deleted=False).exists():
            raise NotFoundError("Player", player.player_id)
        raise StaleDataError(
            f"{player} changed in the database since it was loaded "
            f"({', '.join(changes)}); nothing was written: reload it and apply the change again"
        )

    async def soft_delete(self, player_id: uuid.UUID | str) -> bool:
        """Mark the player deleted; True whenever the row exists (the old contract)."""
        updated = await Player.filter(player_id=as_uuid(player_id, field="player_id")).update(
            is_deleted=True, deleted_at=datetime.now(UTC)
        )
        return updated > 0

    async def delete(self, player_id: uuid.UUID | str) -> bool:
        """Delete the player, its equipment containers and the items in them (no orphans)."""
        player_id = as_uuid(player_id, field="player_id")
        async with in_transaction():
            worn = ContainerContent.filter(container__entity_id=player_id)
            items: list[str] = await worn.values_list("item_instance_id", flat=True)  # type: ignore[assignment]
            await ItemInstance.filter(item_instance_id__in=items).delete()
            return await Player.filter(player_id=player_id).delete() > 0

    async def touch(self, player_id: uuid.UUID | str, last_active: datetime | None) -> None:
        player_id = as_uuid(player_id, field="player_id")
        moment = check_time(last_active, field="last_active") or datetime.now(UTC)
        await Player.filter(player_id=player_id).update(last_active=moment)  # unknown: no-op

    async def move(self, player: Player, room_id: str) -> bool:
        """Move ``player`` to ``room_id`` unless the database has it elsewhere already."""
        moved = await Player.filter(
            player_id=player.player_id, current_room_id=player.saved_value("current_room_id")
        ).update(current_room_id=room_id)
        if moved:
            player.current_room_id = room_id
            player.mark_saved(("current_room_id",))
        return moved > 0


def refusal(exc: IntegrityError, player: Player) -> PersistenceError:
    """The layer's error for a constraint the database enforced on ``player``."""
    text = str(exc)
    if PLAYER_NAME_INDEX in text:
        return ConflictError(
            f"the name {player.name!r} is taken by an active player (names ignore letter case)"
        )
    if is_foreign_key_error(exc):
        return ValidationError(
            f"profession_id {player.profession_id!r} names no profession",  # type: ignore[attr-defined]
            field="profession_id",
            value=player.profession_id,  # type: ignore[attr-defined]
        )
    return ValidationError(f"the database refused {player}: {text}")
