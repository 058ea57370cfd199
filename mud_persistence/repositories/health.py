"""Damage and healing: atomic, clamped by the database to [dp_floor, effective max DP]."""

from __future__ import annotations

import uuid
from typing import Any

from tortoise.expressions import Connector, F

from mud_persistence.models import Player
from mud_persistence.repositories.counter_events import change_counters
from mud_persistence.repositories.counters import refresh
from mud_persistence.repositories.sql import (
    Greatest,
    ResistedAmount,
    clamp,
    combine,
    effective_max_dp,
)
from mud_persistence.schemas.validation import as_uuid, check_amount, check_player
from mud_persistence.settings import PersistenceSettings

RESISTED_BY_COLD_RESISTANCE = frozenset({"cold", "water"})
WATCHED = ("current_dp", "max_dp", "constitution", "size")


class HealthRepository:
    def __init__(self, settings: PersistenceSettings) -> None:
        self._settings = settings

    async def damage(self, player: Player, amount: int, damage_type: str) -> int:
        """Take ``amount`` DP (less cold resistance for cold and water); return the new DP."""
        check_player(player)
        amount = check_amount(amount, field="amount")
        loss: Any = amount
        if damage_type in RESISTED_BY_COLD_RESISTANCE and amount > 0:
            loss = Greatest(1, ResistedAmount(F("cold_resistance"), amount))
        return await self._change(player, player.player_uuid, loss, Connector.sub, damage_type)

    async def heal(self, player: Player, amount: int) -> int:
        check_player(player)
        amount = check_amount(amount, field="amount")
        return await self._change(player, player.player_uuid, amount, Connector.add, "heal")

    async def adjust(self, player_id: uuid.UUID | str, delta: int, reason: str) -> int:
        delta = check_amount(delta, field="delta", allow_negative=True)
        player_id = as_uuid(player_id, field="player_id")
        return await self._change(None, player_id, delta, Connector.add, reason)

    async def _change(
        self,
        player: Player | None,
        player_id: uuid.UUID,
        amount: Any,
        connector: Connector,
        source: str,
    ) -> int:
        new_dp = clamp(
            combine(F("current_dp"), connector, amount), self._settings.dp_floor, effective_max_dp()
        )
        _, after, _ = await change_counters(
            "dp", player_id, {"current_dp": new_dp}, WATCHED, {"source": source}
        )
        if player is not None:
            refresh(player, {"current_dp": after["current_dp"]})
        return int(after["current_dp"])
