"""The professions table: the careers a new character can pick."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from tortoise import fields
from tortoise.models import Model

from mud_persistence.errors import ValidationError
from mud_persistence.models.json_values import json_copy

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

    def __repr__(self) -> str:
        return f"<Profession(id={self.id}, name='{self.name}', is_available={self.is_available})>"

    # The old model's helpers. Getters return copies, as the old ones (which parsed JSON text)
    # did: change a profession through its setters.

    def get_stat_requirements(self) -> dict[str, Any]:
        """Minimum stats, e.g. ``{"intelligence": 60}``."""
        return _stored(self.stat_requirements, dict)

    def set_stat_requirements(self, requirements: Mapping[str, Any]) -> None:
        self.stat_requirements = _copy(dict(requirements), dict, "stat_requirements")

    def get_mechanical_effects(self) -> dict[str, Any]:
        return _stored(self.mechanical_effects, dict)

    def set_mechanical_effects(self, effects: Mapping[str, Any]) -> None:
        self.mechanical_effects = _copy(dict(effects), dict, "mechanical_effects")

    def get_stat_modifiers(self) -> list[Any]:
        """A list of ``{"stat": ..., "value": ...}``."""
        return _stored(self.stat_modifiers, list)

    def set_stat_modifiers(self, modifiers: Sequence[Any]) -> None:
        self.stat_modifiers = _copy(list(modifiers), list, "stat_modifiers")

    def get_skill_modifiers(self) -> list[Any]:
        """A list of ``{"skill": ..., "value": ...}``."""
        return _stored(self.skill_modifiers, list)

    def set_skill_modifiers(self, modifiers: Sequence[Any]) -> None:
        self.skill_modifiers = _copy(list(modifiers), list, "skill_modifiers")

    def meets_stat_requirements(self, stats: Mapping[str, Any]) -> bool:
        """Whether every required stat in ``stats`` is at least its minimum (missing is 0)."""
        return all(
            stats.get(stat, 0) >= minimum for stat, minimum in self.get_stat_requirements().items()
        )

    def is_available_for_selection(self) -> bool:
        return bool(self.is_available)

    def get_requirement_display_text(self) -> str:
        """``"Minimum: Intelligence 60, Education 65"``, or ``"No requirements"``."""
        requirements = self.get_stat_requirements()
        if not requirements:
            return "No requirements"
        parts = (f"{stat.capitalize()} {minimum}" for stat, minimum in requirements.items())
        return f"Minimum: {', '.join(parts)}"


J = TypeVar("J", dict[str, Any], list[Any])


def _stored(value: Any, kind: type[J]) -> J:
    # like the old getters, a stored value of the wrong shape reads as empty
    return json_copy(value, field="profession") if isinstance(value, kind) else kind()


def _copy(value: Any, kind: type[J], field: str) -> J:
    if not isinstance(value, kind):
        raise ValidationError(
            f"{field} must be a {kind.__name__}, got {value!r}", field=field, value=value
        )
    copied: J = json_copy(value, field=field)
    return copied
