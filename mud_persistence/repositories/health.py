"""Damage and healing: atomic, clamped by the database to [dp_floor, effective max DP]."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from tortoise.expressions import Connector, F

from mud_persistence.models import Player
from mud_persistence.repositories.counter_events import change_counters
from mud_persistence.repositories.counters import Changes, CounterShape, Values, refresh
from mud_persistence.repositories.sql import (
    Greatest,
    ResistedAmount,
    clamp,
    combine,
    effective_max_dp,
)
from mud_persistence.schemas.validation import as_uuid, check_amount, check_player, check_text
from mud_persistence.settings import PersistenceSettings

RESISTED_BY_COLD_RESISTANCE = frozenset({"cold", "water"})
WATCHED = ("current_dp", "max_dp", "constitution", "size")


def _new_dp(connector: Connector, loss: Callable[[Any], Any]) -> Callable[[Values], Changes]:
    def build(values: Values) -> Changes:
        new_dp = combine(F("current_dp"), connector, loss(values["amount"]))
        return {"current_dp": clamp(new_dp, values["dp_floor"], effective_max_dp())}

    return build


def _plain(amount: Any) -> Any:
    return amount


def _resisted(amount: Any) -> Any:
    return Greatest(1, ResistedAmount(F("cold_resistance"), amount))


# current_dp less or plus "amount", clamped to dp_floor..effective max DP
LOSE_DP = CounterShape("lose_dp", WATCHED, _new_dp(Connector.sub, _plain))
LOSE_RESISTED_DP = CounterShape("lose_resisted_dp", WATCHED, _new_dp(Connector.sub, _resisted))
GAIN_DP = CounterShape("gain_dp", WATCHED, _new_dp(Connector.add, _plain))


class HealthRepository:
    def __init__(self, settings: PersistenceSettings) -> None:
        self._settings = settings

    async def damage(self, player: Player, amount: int, damage_type: str) -> int:
        """Take ``amount`` DP (less cold resistance for cold and water); return the new DP."""
        check_player(player)
        amount = check_amount(amount, field="amount")
        check_text(damage_type, field="damage_type")
        resisted = damage_type in RESISTED_BY_COLD_RESISTANCE and amount > 0
        shape = LOSE_RESISTED_DP if resisted else LOSE_DP
        return await self._change(player, player.player_uuid, shape, amount, damage_type)

    async def heal(self, player: Player, amount: int) -> int:
        check_player(player)
        amount = check_amount(amount, field="amount")
        return await self._change(player, player.player_uuid, GAIN_DP, amount, "heal")

    async def adjust(self, player_id: uuid.UUID | str, delta: int, reason: str) -> int:
        delta = check_amount(delta, field="delta", allow_negative=True)
        check_text(reason, field="reason")
        player_id = as_uuid(player_id, field="player_id")
        return await self._change(None, player_id, GAIN_DP, delta, reason)

    async def _change(
        self,
        player: Player | None,
        player_id: uuid.UUID,
        shape: CounterShape,
        amount: int,
        source: str,
    ) -> int:
        values: Values = {"amount": amount, "dp_floor": self._settings.dp_floor}
        _, after, _ = await change_counters("dp", player_id, shape, values, {"source": source})
        if player is not None:
            refresh(player, {"current_dp": after["current_dp"]})
        return int(after["current_dp"])
