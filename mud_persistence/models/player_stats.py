"""A player's stats: their columns, their ranges, and the old stats dict that writes through."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from mud_persistence.errors import ValidationError
from mud_persistence.models.limits import COUNTER_MAX, LOWEST_DP

if TYPE_CHECKING:
    from mud_persistence.models.player import Player


class Position(StrEnum):
    STANDING = "standing"
    SITTING = "sitting"
    LYING = "lying"


# column -> (database default, lowest allowed, highest allowed)
STAT_COLUMNS: dict[str, tuple[int, int, int]] = {
    **{
        name: (50, 1, 999)
        for name in (
            "strength",
            "dexterity",
            "constitution",
            "size",
            "intelligence",
            "power",
            "education",
            "charisma",
            "luck",
            "wisdom",
        )
    },
    "magic_points": (10, 0, COUNTER_MAX),
    "lucidity": (100, -100, 100),
    **{
        name: (0, 0, 100)
        for name in (
            "occult",
            "occult_knowledge",
            "corruption",
            "fear",
            "cult_affiliation",
            "cold_resistance",
        )
    },
}

# Stats the old dict carried only once the game had set them; null columns here, left out of
# get_stats() while null. Key in the stats dict -> column.
OPTIONAL_STATS: dict[str, str] = {
    "max_magic_points": "max_magic_points",
    "max_lucidity": "max_lucidity",
    "_mp_fractional": "mp_fractional",  # the MP regeneration's carried fraction, 0 <= x < 1
}

# Every integer stat set_stats accepts -> (lowest, highest). current_dp is checked against
# dp_floor and the effective max DP when the player is saved.
STAT_RANGES: dict[str, tuple[int, int]] = {
    **{column: (low, high) for column, (_, low, high) in STAT_COLUMNS.items()},
    "current_dp": (LOWEST_DP, COUNTER_MAX),
    "max_dp": (1, COUNTER_MAX),
    "max_magic_points": (0, COUNTER_MAX),
    "max_lucidity": (0, COUNTER_MAX),
}
NULLABLE_STATS = frozenset({"max_dp", *OPTIONAL_STATS})
# Every key of the old stats dict -> the column that stores it.
STAT_KEYS: dict[str, str] = {
    **{name: name for name in STAT_RANGES},
    "position": "position",
    **OPTIONAL_STATS,
}


def derived_max_dp(constitution: int, size: int) -> int:
    """The max DP of a player whose max_dp column is null."""
    return max(20, (constitution + size) // 5)


def check_stat(name: str, value: Any) -> Any:
    """``value`` as stat ``name`` stores it, if valid; ValidationError otherwise."""
    if name not in STAT_KEYS:
        known = ", ".join(STAT_KEYS)
        raise ValidationError(f"unknown stat {name!r}; known: {known}", field=name, value=value)
    if value is None and name in NULLABLE_STATS:
        return None
    if name == "position":
        return _check_position(value)
    if name == "_mp_fractional":
        return _check_fraction(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(
            f"stat {name} must be an integer, got {value!r}", field=name, value=value
        )
    low, high = STAT_RANGES[name]
    if not low <= value <= high:
        raise ValidationError(
            f"stat {name} must be {low}..{high}, got {value}", field=name, value=value
        )
    return value


def _check_position(value: Any) -> Position:
    try:
        return Position(value)
    except ValueError:
        choices = ", ".join(Position)
        raise ValidationError(
            f"stat position must be one of {choices}, got {value!r}", field="position", value=value
        ) from None


def _check_fraction(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise ValidationError(
            f"stat _mp_fractional must be a number from 0 up to (not including) 1, got {value!r}",
            field="_mp_fractional",
            value=value,
        )
    return float(value)


def checked_stats(stats: Mapping[str, Any]) -> dict[str, Any]:
    """Every stat of ``stats`` checked; ValidationError for the first bad one."""
    if not isinstance(stats, Mapping):
        raise ValidationError(f"stats must be a dict, got {stats!r}", field="stats", value=stats)
    return {name: check_stat(name, value) for name, value in stats.items()}


def stats_of(player: Player) -> dict[str, Any]:
    """The old stats dict of ``player``: every stat, position, max_dp derived when null, and the
    optional stats that are set."""
    stats: dict[str, Any] = {name: getattr(player, name) for name in STAT_COLUMNS}
    stats["current_dp"] = player.current_dp
    stats["max_dp"] = player.effective_max_dp
    stats["position"] = str(Position(player.position))
    for key, column in OPTIONAL_STATS.items():
        if (value := getattr(player, column)) is not None:
            stats[key] = value
    return stats


class PlayerStats(dict[str, Any]):
    """The dict ``Player.get_stats()`` returns. Like the old tracked dict, every change made to it
    is made to the player too (checked first), so ``save_player`` persists it.

    It is a snapshot: a change made to the player directly shows in the next ``get_stats()``.
    """

    def __init__(self, player: Player) -> None:
        super().__init__(stats_of(player))
        self._player = player

    def __setitem__(self, key: str, value: Any) -> None:
        self._player.set_stats({key: value})
        super().__setitem__(key, value)

    def update(self, *args: Any, **kwargs: Any) -> None:
        changes = dict(*args, **kwargs)
        self._player.set_stats(changes)
        super().update(changes)

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def __ior__(self, other: Any) -> PlayerStats:  # type: ignore[override,misc]
        self.update(other)
        return self

    def __delitem__(self, key: str) -> None:
        self._forget(key)
        super().__delitem__(key)

    def pop(self, key: str, *default: Any) -> Any:
        if key not in self:
            return super().pop(key, *default)
        self._forget(key)
        return super().pop(key)

    def popitem(self) -> tuple[str, Any]:
        raise ValidationError(
            "stats cannot lose arbitrary entries; set them instead", field="stats"
        )

    def clear(self) -> None:
        raise ValidationError("stats cannot be cleared; set them instead", field="stats")

    # A copy is a plain dict: it is the caller's, and changing it changes no player.
    def __copy__(self) -> dict[str, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return copy.deepcopy(dict(self), memo)

    def __reduce__(self) -> tuple[Any, ...]:
        return dict, (dict(self),)

    def _forget(self, key: str) -> None:
        # Only stats the old dict could lack can be removed: they become null again.
        if key not in NULLABLE_STATS:
            raise ValidationError(
                f"stat {key} cannot be removed, only changed", field=key, value=self.get(key)
            )
        self._player.set_stats({key: None})
