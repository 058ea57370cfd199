"""The professions table: the careers a new character can pick."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from mud_persistence.models.player import Player


class Profession(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50, unique=True)
    description = fields.TextField(db_default="")
    flavor_text = fields.TextField(db_default="")
    stat_requirements: fields.JSONField[dict[str, Any]] = fields.JSONField(db_default={})
    stat_modifiers: fields.JSONField[list[Any]] = fields.JSONField(db_default=[])
    skill_modifiers: fields.JSONField[list[Any]] = fields.JSONField(db_default=[])
    mechanical_effects: fields.JSONField[dict[str, Any]] = fields.JSONField(db_default={})
    is_available = fields.BooleanField(db_default=True, db_index=True)

    players: fields.ReverseRelation[Player]

    class Meta:
        table = "professions"

    def __str__(self) -> str:
        return f"Profession({self.id}, {self.name})"
