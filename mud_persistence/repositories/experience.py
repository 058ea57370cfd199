"""Experience, levels and bounded stats: atomic updates, clamped by the database."""

from __future__ import annotations

import uuid
from typing import Any

from tortoise.expressions import Connector, F

from mud_persistence.errors import ValidationError
from mud_persistence.models import STAT_COLUMNS, Player
from mud_persistence.models.limits import INT4_MAX, MAX_EXPERIENCE
from mud_persistence.repositories.counter_events import change_counters
from mud_persistence.repositories.counters import Changes, CounterShape, Values, refresh
from mud_persistence.repositories.sql import Least, clamp, combine
from mud_persistence.schemas.progress import XPAward
from mud_persistence.schemas.validation import (
    as_uuid,
    check_amount,
    check_delta,
    check_player,
    check_text,
)
from mud_persistence.settings import PersistenceSettings

XP_FIELDS = ("experience_points", "level")


def _new_xp(values: Values) -> Any:
    return clamp(combine(F("experience_points"), Connector.add, values["delta"]), 0, MAX_EXPERIENCE)


def _xp_only(values: Values) -> Changes:
    return {"experience_points": _new_xp(values)}


def _xp_and_level(values: Values) -> Changes:
    # Opt-in (settings.xp_per_level): the level follows the new total in the same statement.
    new_xp = _new_xp(values)
    per_level = combine(new_xp, Connector.div, values["xp_per_level"])
    return {
        "experience_points": new_xp,
        "level": Least(combine(per_level, Connector.add, 1), INT4_MAX),
    }


def _stat_shape(field: str) -> CounterShape:
    _, low, high = STAT_COLUMNS[field]

    def build(values: Values) -> Changes:
        return {field: clamp(combine(F(field), Connector.add, values["delta"]), low, high)}

    return CounterShape(f"change_{field}", (field,), build)


GAIN_XP = CounterShape("gain_xp", XP_FIELDS, _xp_only)
GAIN_XP_AND_LEVEL = CounterShape("gain_xp_and_level", XP_FIELDS, _xp_and_level)
# one shape per stat column, each clamped to the column's range
CHANGE_STAT = {field: _stat_shape(field) for field in STAT_COLUMNS}


class ExperienceRepository:
    def __init__(self, settings: PersistenceSettings) -> None:
        self._settings = settings

    async def gain(self, player: Player, amount: int, source: str) -> XPAward:
        check_player(player)
        amount = check_amount(amount, field="amount")
        check_text(source, field="source")
        award = await self._change_xp(player.player_uuid, amount, source)
        refresh(player, {"experience_points": award.new_xp, "level": award.new_level})
        return award

    async def adjust(self, player_id: uuid.UUID | str, delta: int, reason: str) -> XPAward:
        delta = check_amount(delta, field="delta")  # the old layer refused negative deltas too
        check_text(reason, field="reason")
        return await self._change_xp(as_uuid(player_id, field="player_id"), delta, reason)

    async def _change_xp(self, player_id: uuid.UUID, delta: int, source: str) -> XPAward:
        per_level = self._settings.xp_per_level
        shape = GAIN_XP if per_level is None else GAIN_XP_AND_LEVEL
        values = {"delta": delta, "xp_per_level": per_level}
        before, after, _ = await change_counters("xp", player_id, shape, values, {"source": source})
        return XPAward(
            player_id=player_id,
            amount=after["experience_points"] - before["experience_points"],
            old_xp=before["experience_points"],
            new_xp=after["experience_points"],
            old_level=before["level"],
            new_level=after["level"],
            source=source,
        )

    async def apply(
        self, player: Player, field: str, direction: int, amount: int, source: str
    ) -> int:
        """Move stat ``field`` by ``amount`` (>= 0) in ``direction`` (+1 or -1)."""
        check_player(player)
        amount = check_amount(amount, field="amount")
        check_text(source, field="source")
        return await self.change_stat(player, player.player_uuid, field, direction * amount, source)

    async def change_stat(
        self, player: Player | None, player_id: uuid.UUID | str, field: str, delta: int, reason: str
    ) -> int:
        """Add ``delta`` to stat column ``field``, clamped to its range; return the new value."""
        if not isinstance(field, str) or field not in STAT_COLUMNS:
            raise ValidationError(
                f"{field!r} is not a stat that can be changed this way; "
                f"stats: current_dp, {', '.join(STAT_COLUMNS)}",
                field="field_name",
                value=field,
            )
        delta = check_delta(delta, field="delta")
        check_text(reason, field="reason")
        player_id = as_uuid(player_id, field="player_id")
        _, after, _ = await change_counters(
            "stat",
            player_id,
            CHANGE_STAT[field],
            {"delta": delta},
            {"field": field, "reason": reason},
        )
        if player is not None:
            refresh(player, after)
        return int(after[field])
