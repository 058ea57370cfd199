"""The player_effects table: timed status effects, counted in game ticks."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.fields.db_defaults import Now
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

if TYPE_CHECKING:
    from mud_persistence.models.player import Player

DEFAULT_VISIBILITY = "visible"


class PlayerEffect(Model):
    """One effect on one player, active while ``duration - (tick - applied_at_tick) > 0``."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    player: fields.ForeignKeyRelation[Player] = fields.ForeignKeyField(
        "models.Player", related_name="effects", on_delete=fields.CASCADE, db_index=True
    )
    player_id: uuid.UUID
    effect_type = fields.CharField(max_length=64)
    category = fields.CharField(max_length=64)
    duration = fields.IntField()
    applied_at_tick = fields.IntField()
    intensity = fields.IntField(db_default=1)
    source = fields.CharField(max_length=128, null=True)
    visibility_level = fields.CharField(max_length=32, db_default=DEFAULT_VISIBILITY)
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "player_effects"
        constraints = (
            CheckConstraint(check="duration >= 0", name="ck_player_effects_duration"),
            CheckConstraint(check="applied_at_tick >= 0", name="ck_player_effects_applied_at_tick"),
        )

    def __str__(self) -> str:
        return f"PlayerEffect({self.effect_type}, {self.id})"
