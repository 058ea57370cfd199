"""The players table: one row per character, with every stat as a real integer column."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.fields.db_defaults import Now
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

if TYPE_CHECKING:
    from mud_persistence.models.container import Container
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
