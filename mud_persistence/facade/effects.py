"""Player effects: timed effects on a player, counted in game ticks."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from mud_persistence.facade.base import LayerBase
from mud_persistence.facade.operation import _read, _write
from mud_persistence.schemas.effect import PlayerEffectData


class PlayerEffectsMixin(LayerBase):
    """The six player-effect methods of the old layer."""

    @_write
    async def add_player_effect(
        self,
        player_id: uuid.UUID | str,
        effect_type: str,
        category: str,
        duration: int,
        applied_at_tick: int,
        options: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
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
    async def remove_player_effect_by_id(
        self, effect_id: uuid.UUID | str, *, idempotency_key: str | None = None
    ) -> bool:
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
    async def expire_player_effects_for_tick(
        self, current_tick: int, *, idempotency_key: str | None = None
    ) -> list[tuple[str, str]]:
        """Delete every effect with no tick left at ``current_tick`` (any player), in one
        transaction; return ``(player_id, effect_type)`` for each, player ids as strings."""
        return await self._effects.expire(current_tick)
