"""save_player: a new Player is inserted; a loaded one writes only what changed on it, and never
undoes a concurrent change."""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from mud_persistence.errors import (
    ConflictError,
    NotFoundError,
    PersistenceError,
    StaleDataError,
    ValidationError,
)
from mud_persistence.models import PLAYER_NAME_INDEX, Player
from mud_persistence.models.player_stats import STAT_KEYS, check_stat
from mud_persistence.repositories.save_updates import SaveUpdates
from mud_persistence.repositories.sql import (
    Least,
    effective_max_dp,
    is_foreign_key_error,
)
from mud_persistence.schemas.player import SAVED_FIELD_ADAPTERS
from mud_persistence.schemas.validation import check_player, validate_value
from mud_persistence.settings import PersistenceSettings

Changes = dict[str, Any]
STAT_KEY_OF_COLUMN = {column: key for key, column in STAT_KEYS.items()}
MAX_DP_INPUTS = ("max_dp", "constitution", "size")
SAVE_UPDATES = SaveUpdates()


class PlayerWriter:
    def __init__(self, settings: PersistenceSettings) -> None:
        self._settings = settings
        # SQLite compares JSON and times as text, and one value has many spellings (a script's
        # '[ ]', json.dumps' escapes, CURRENT_TIMESTAMP's format): there, compare values
        self._compares_by_value = settings.dialect == "sqlite"

    async def save(self, player: Player) -> None:
        """Insert a new player, or write the fields changed on a loaded one."""
        changes = self.checked_changes(player)
        # one statement needs no transaction; a check or a read-back around it does
        unit = in_transaction() if self._needs_transaction(player, changes) else nullcontext()
        async with unit:
            await self._write(player, changes)
        player.mark_saved(tuple(changes))

    async def save_many(self, players: Iterable[Player]) -> None:
        """save() for each player, in one transaction: all or nothing."""
        # a fixed order, so two batches with the same players cannot deadlock
        ordered = sorted(distinct(players), key=lambda player: player.player_id)
        pending = [(player, self.checked_changes(player)) for player in ordered]
        async with in_transaction():
            for player, changes in pending:
                await self._write(player, changes)
        for player, changes in pending:
            player.mark_saved(tuple(changes))

    def _needs_transaction(self, player: Player, changes: Changes) -> bool:
        """Whether saving ``changes`` takes more than one statement (a check or a read-back)."""
        return (
            not player.is_new
            and bool(changes)
            and (self._compares_by_value or caps_max_dp(changes))
        )

    async def _write(self, player: Player, changes: Changes) -> None:
        if player.is_new:
            await self._insert(player)
        elif changes:
            await self._write_changes(player, changes)

    def checked_changes(self, player: Player) -> Changes:
        """The fields to write for ``player``, each validated; ValidationError for the first bad
        one. A naive last_active is taken as UTC."""
        check_player(player)
        if isinstance(player.last_active, datetime) and player.last_active.tzinfo is None:
            player.last_active = player.last_active.replace(tzinfo=UTC)
        changes = player.changed_fields()
        for name, value in changes.items():
            if name in STAT_KEY_OF_COLUMN:
                check_stat(STAT_KEY_OF_COLUMN[name], value)
            elif name in SAVED_FIELD_ADAPTERS:
                validate_value(SAVED_FIELD_ADAPTERS[name], value, field=name)
        if player.is_new or "current_dp" in changes:
            low, high = self._settings.dp_floor, player.effective_max_dp
            if not low <= player.current_dp <= high:
                raise ValidationError(
                    f"current_dp must be {low}..{high} (dp_floor..max DP), got {player.current_dp}",
                    field="current_dp",
                    value=player.current_dp,
                )
        return changes

    async def _insert(self, player: Player) -> None:
        try:
            await player.save(force_create=True)
        except IntegrityError as exc:
            if re.search(r"players_pkey|players\.player_id", str(exc)):
                raise ConflictError(
                    f"a player with id {player.player_id} exists already; load it with "
                    "get_player_by_id and save the loaded object to change it"
                ) from exc
            raise refusal(exc, player) from exc

    async def _write_changes(self, player: Player, changes: Changes) -> None:
        expected = {name: player.saved_value(name) for name in changes}
        by_value = {}
        if self._compares_by_value:
            by_value, expected = expected, {}
        update = dict(changes)
        caps_dp = caps_max_dp(changes)
        if caps_dp:  # a lower max DP lowers the DP above it, in the same statement
            update["current_dp"] = Least(F("current_dp"), new_effective_max_dp(changes))
        try:
            if by_value and not await stored_values_match(player, by_value):
                raise stale(player, changes)
            if caps_dp:
                updated = await Player.filter(
                    player_id=player.player_id, is_deleted=False, **expected
                ).update(**update)
            else:
                updated = await SAVE_UPDATES.run(player, update, expected)
            if updated and caps_dp:
                player.current_dp = await stored_dp(player)
                player.mark_saved(("current_dp",))
        except IntegrityError as exc:
            raise refusal(exc, player) from exc
        if updated:
            return
        if not await Player.filter(player_id=player.player_id, is_deleted=False).exists():
            raise NotFoundError("Player", player.player_id)
        raise stale(player, changes)


def caps_max_dp(changes: Changes) -> bool:
    return "current_dp" not in changes and any(name in changes for name in MAX_DP_INPUTS)


def distinct(players: Iterable[Player]) -> list[Player]:
    """``players`` with repeats of one object dropped; ValidationError when two different
    objects stand for one player (which of their changes should win is unknowable)."""
    seen: dict[str, Player] = {}
    for player in players:
        key = check_player(player).player_id
        if seen.setdefault(key, player) is not player:
            raise ValidationError(
                f"save_players got two different objects for player {key} ({player.name}); "
                "pass each player once",
                field="players",
                value=key,
            )
    return list(seen.values())


def new_effective_max_dp(changes: Changes) -> Any:
    """The effective max DP the row will have after ``changes``, as an SQL expression."""
    return effective_max_dp(**{name: changes[name] for name in MAX_DP_INPUTS if name in changes})


async def stored_values_match(player: Player, expected: Changes) -> bool:
    """Whether the player's row holds ``expected`` (compared as values), locking it."""
    row = await Player.filter(player_id=player.player_id).select_for_update().values(*expected)
    return bool(row) and all(same_value(row[0][name], value) for name, value in expected.items())


def same_value(stored: Any, expected: Any) -> bool:
    if isinstance(stored, datetime) and isinstance(expected, datetime):
        stored, expected = as_utc(stored), as_utc(expected)
    return bool(stored == expected)


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


async def stored_dp(player: Player) -> int:
    row = await Player.filter(player_id=player.player_id).only("player_id", "current_dp").get()
    return row.current_dp


def stale(player: Player, changes: Changes) -> StaleDataError:
    return StaleDataError(
        f"{player} changed in the database since it was loaded "
        f"({', '.join(changes)}); nothing was written: reload it and apply the change again"
    )


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
    rule = re.search(r"ck_players_(\w+)", text)
    field = rule.group(1) if rule else None
    return ValidationError(f"the database refused {player}: {text}", field=field)
