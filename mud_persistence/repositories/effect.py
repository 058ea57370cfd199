"""Player effects: timed status effects, active while ticks remain, expired by a tick sweep."""

from __future__ import annotations

import uuid
from typing import Any

import pydantic
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from mud_persistence.errors import NotFoundError
from mud_persistence.models import PlayerEffect
from mud_persistence.repositories.sql import is_foreign_key_error
from mud_persistence.schemas.effect import PlayerEffectCreate, PlayerEffectData, Tick
from mud_persistence.schemas.validation import as_uuid, check_text, validate, validate_value

_TICK = pydantic.TypeAdapter(Tick)
# The sweep filters on this sum so PostgreSQL can use models.EFFECT_EXPIRY_INDEX.
_LAST_TICK = F("applied_at_tick") + F("duration")


class PlayerEffectRepository:
    async def add(self, player_id: uuid.UUID | str, data: dict[str, Any]) -> str:
        """Insert an effect; return its id as a string.

        Raises:
            ValidationError: a bad field (named), nothing written.
            NotFoundError: no player has this id.
        """
        player_uuid = as_uuid(player_id, field="player_id")
        effect = validate(PlayerEffectCreate, data, what="player effect")
        try:
            row = await PlayerEffect.create(player_id=player_uuid, **effect.model_dump())
        except IntegrityError as exc:
            if is_foreign_key_error(exc):
                raise NotFoundError("Player", player_uuid) from exc
            raise
        return str(row.id)

    async def remove(self, effect_id: uuid.UUID | str) -> bool:
        """Delete one effect by id; False if there was none."""
        deleted = await PlayerEffect.filter(id=as_uuid(effect_id, field="effect_id")).delete()
        return deleted > 0

    async def active(self, player_id: uuid.UUID | str, current_tick: int) -> list[PlayerEffectData]:
        """The player's effects with ticks remaining at ``current_tick``, oldest tick first."""
        rows = await self._active(player_id, current_tick).values(*PlayerEffectData.model_fields)
        return [_as_data(row) for row in rows]

    async def has(self, player_id: uuid.UUID | str, effect_type: str, current_tick: int) -> bool:
        effect_type = check_text(effect_type, field="effect_type")
        return await self._active(player_id, current_tick).filter(effect_type=effect_type).exists()

    async def remaining_ticks(
        self, player_id: uuid.UUID | str, effect_type: str, current_tick: int
    ) -> int | None:
        """Ticks left on the player's oldest active effect of this type, or None."""
        effect_type = check_text(effect_type, field="effect_type")
        rows = await (
            self._active(player_id, current_tick)
            .filter(effect_type=effect_type)
            .limit(1)
            .values("duration", "applied_at_tick")
        )
        if not rows:
            return None
        return int(rows[0]["duration"]) - (current_tick - int(rows[0]["applied_at_tick"]))

    async def expire(self, current_tick: int) -> list[tuple[str, str]]:
        """Delete every effect with no tick left at ``current_tick``, in one transaction;
        return ``(player_id, effect_type)`` of each, oldest tick first.

        The rows are locked before they are deleted, so two sweeps of the same tick never
        report the same effect twice.
        """
        async with in_transaction():
            expired = await self.expired_query(current_tick)
            if expired:
                await PlayerEffect.filter(id__in=[effect.id for effect in expired]).delete()
        return [(str(effect.player_id), effect.effect_type) for effect in expired]

    def expired_query(self, current_tick: int) -> QuerySet[PlayerEffect]:
        """The effects with no tick left at ``current_tick``, locked for deletion."""
        tick = validate_value(_TICK, current_tick, field="current_tick")
        # A model query, not values_list(): only model queries carry FOR UPDATE.
        return (
            PlayerEffect.annotate(last_tick=_LAST_TICK)
            .filter(last_tick__lte=tick)
            .select_for_update()
            .order_by("applied_at_tick", "created_at")
            .only("id", "player_id", "effect_type")
        )

    def _active(self, player_id: uuid.UUID | str, current_tick: int) -> QuerySet[PlayerEffect]:
        player_uuid = as_uuid(player_id, field="player_id")
        tick = validate_value(_TICK, current_tick, field="current_tick")
        return (
            PlayerEffect.annotate(last_tick=_LAST_TICK)
            .filter(player_id=player_uuid, last_tick__gt=tick)
            .order_by("applied_at_tick", "created_at")
        )


def _as_data(row: dict[str, Any]) -> PlayerEffectData:
    return PlayerEffectData(**{**row, "id": str(row["id"]), "player_id": str(row["player_id"])})
