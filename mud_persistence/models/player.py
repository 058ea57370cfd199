"""The players table: one row per character, with every stat as a real integer column."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.fields.db_defaults import Now
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from mud_persistence.errors import ValidationError

if TYPE_CHECKING:
    from mud_persistence.models.container import Container
    from mud_persistence.models.effect import PlayerEffect
    from mud_persistence.models.profession import Profession

DEFAULT_ROOM_ID = "earth_arkhamcity_sanitarium_room_foyer_001"


class Position(StrEnum):
    STANDING = "standing"
    SITTING = "sitting"
    LYING = "lying"


# column -> (database default, lowest allowed, highest allowed or None)
STAT_COLUMNS: dict[str, tuple[int, int, int | None]] = {
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
    "magic_points": (10, 0, None),
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


# Every stat set_stats accepts -> (lowest, highest); current_dp is clamped by the health code.
STAT_RANGES: dict[str, tuple[int | None, int | None]] = {
    **{column: (low, high) for column, (_, low, high) in STAT_COLUMNS.items()},
    "current_dp": (None, None),
    "max_dp": (1, None),
}
# Columns game code may change on a loaded Player and write back with save_player.
SAVED_FIELDS = (
    "name",
    "current_room_id",
    "respawn_room_id",
    "profession_id",
    "experience_points",
    "level",
    *STAT_RANGES,
    "position",
    "inventory",
    "equipped",
    "status_effects",
    "is_admin",
    "tutorial_instance_id",
    "last_active",
)


def derived_max_dp(constitution: int, size: int) -> int:
    """The max DP of a player whose max_dp column is null."""
    return max(20, (constitution + size) // 5)


def _range_check(table: str, column: str, low: int, high: int | None) -> CheckConstraint:
    condition = f"{column} >= {low}" if high is None else f"{column} BETWEEN {low} AND {high}"
    return CheckConstraint(check=condition, name=f"ck_{table}_{column}")


class Player(Model):
    player_id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    user_id = fields.UUIDField(db_index=True)
    name = fields.CharField(max_length=50)
    current_room_id = fields.CharField(max_length=255, db_default=DEFAULT_ROOM_ID)
    respawn_room_id = fields.CharField(max_length=255, null=True)
    profession: fields.ForeignKeyNullableRelation[Profession] = fields.ForeignKeyField(
        "models.Profession", related_name="players", null=True, on_delete=fields.SET_NULL
    )
    experience_points = fields.IntField(db_default=0)
    level = fields.IntField(db_default=1)

    strength = fields.IntField(db_default=50)
    dexterity = fields.IntField(db_default=50)
    constitution = fields.IntField(db_default=50)
    size = fields.IntField(db_default=50)
    intelligence = fields.IntField(db_default=50)
    power = fields.IntField(db_default=50)
    education = fields.IntField(db_default=50)
    charisma = fields.IntField(db_default=50)
    luck = fields.IntField(db_default=50)
    wisdom = fields.IntField(db_default=50)
    current_dp = fields.IntField(db_default=20)
    max_dp = fields.IntField(null=True)
    magic_points = fields.IntField(db_default=10)
    lucidity = fields.IntField(db_default=100)
    occult = fields.IntField(db_default=0)
    occult_knowledge = fields.IntField(db_default=0)
    corruption = fields.IntField(db_default=0)
    fear = fields.IntField(db_default=0)
    cult_affiliation = fields.IntField(db_default=0)
    cold_resistance = fields.IntField(db_default=0)

    position = fields.CharEnumField(Position, max_length=16, db_default=Position.STANDING)
    inventory: fields.JSONField[list[Any]] = fields.JSONField(db_default=[])
    equipped: fields.JSONField[dict[str, Any]] = fields.JSONField(db_default={})
    status_effects: fields.JSONField[list[Any]] = fields.JSONField(db_default=[])
    is_admin = fields.BooleanField(db_default=False)
    is_deleted = fields.BooleanField(db_default=False)
    deleted_at = fields.DatetimeField(null=True)
    tutorial_instance_id = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField(db_default=Now())
    last_active = fields.DatetimeField(db_default=Now())

    owned_containers: fields.ReverseRelation[Container]
    equipment_containers: fields.ReverseRelation[Container]
    effects: fields.ReverseRelation[PlayerEffect]

    class Meta:
        table = "players"
        constraints = (
            CheckConstraint(check="name <> ''", name="ck_players_name_not_empty"),
            CheckConstraint(check="experience_points >= 0", name="ck_players_experience_points"),
            CheckConstraint(check="level >= 1", name="ck_players_level"),
            CheckConstraint(check="max_dp >= 1", name="ck_players_max_dp"),
            CheckConstraint(
                check="position IN ('standing', 'sitting', 'lying')",
                name="ck_players_position",
            ),
            *(
                _range_check("players", col, low, high)
                for col, (_, low, high) in STAT_COLUMNS.items()
            ),
        )

    def __str__(self) -> str:
        return f"Player({self.name}, {self.player_id})"

    @classmethod
    def _init_from_db(cls, **kwargs: Any) -> Player:
        player = super()._init_from_db(**kwargs)
        if not player._partial:  # an .only() read cannot be saved, so it needs no baseline
            player.mark_saved()
        return player

    def mark_saved(self, fields: tuple[str, ...] = SAVED_FIELDS) -> None:
        """Record ``fields`` as matching the database, the base changed_fields() compares to."""
        saved = self.__dict__.setdefault("_saved_values", {})
        for name in fields:
            value = getattr(self, name)
            # JSON columns are edited in place, so keep a copy; other values are immutable.
            saved[name] = copy.deepcopy(value) if isinstance(value, list | dict) else value

    def saved_value(self, field: str) -> Any:
        """The value ``field`` had in the database when this object last read or wrote it."""
        return self.__dict__.get("_saved_values", {}).get(field)

    def changed_fields(self) -> dict[str, Any]:
        """Fields changed on this object since it was loaded or saved, with their new values."""
        saved = self.__dict__.get("_saved_values")
        if saved is None:
            raise ValidationError(
                f"{self} was never loaded from the database; load it through the persistence "
                "layer before saving it",
                field="player",
            )
        current = {name: getattr(self, name) for name in SAVED_FIELDS}
        return {name: value for name, value in current.items() if value != saved[name]}

    @property
    def effective_max_dp(self) -> int:
        """max_dp, or the value derived from constitution and size when it is null."""
        if self.max_dp is not None:
            return self.max_dp
        return derived_max_dp(self.constitution, self.size)

    def get_stats(self) -> dict[str, int]:
        """The stat columns as one dict, the old JSON shape; max_dp derived when null."""
        stats = {name: getattr(self, name) for name in STAT_COLUMNS}
        stats["current_dp"] = self.current_dp
        stats["max_dp"] = self.effective_max_dp
        return stats

    def set_stats(self, stats: Mapping[str, Any]) -> None:
        """Check every stat in ``stats`` and assign them all, or raise and assign none.

        Raises:
            ValidationError: an unknown stat name, a non-integer, or a value out of range.
        """
        checked = {name: check_stat(name, value) for name, value in stats.items()}
        for name, value in checked.items():
            setattr(self, name, value)


def check_stat(name: str, value: Any) -> int | None:
    """``value`` if it is a valid value of stat column ``name``; ValidationError otherwise."""
    if name not in STAT_RANGES:
        known = ", ".join(STAT_RANGES)
        raise ValidationError(f"unknown stat {name!r}; known: {known}", field=name, value=value)
    if name == "max_dp" and value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(
            f"stat {name} must be an integer, got {value!r}", field=name, value=value
        )
    low, high = STAT_RANGES[name]
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f">= {low}" if high is None else f"{low}..{high}"
        raise ValidationError(f"stat {name} must be {bounds}, got {value}", field=name, value=value)
    return value
