"""Validated profession input for seeding."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from mud_persistence.models.limits import INT4_MAX
from mud_persistence.schemas.validation import Text


class ProfessionSeed(BaseModel):
    """One profession as the bundled JSON (or a game's own) describes it."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[int, Field(ge=0, le=INT4_MAX, strict=True)] | None = None
    name: Annotated[Text, StringConstraints(min_length=1, max_length=50)]
    description: Text = ""
    flavor_text: Text = ""
    stat_requirements: dict[str, Any] = Field(default_factory=dict)
    stat_modifiers: list[Any] = Field(default_factory=list)
    skill_modifiers: list[Any] = Field(default_factory=list)
    mechanical_effects: dict[str, Any] = Field(default_factory=dict)
    is_available: bool = True


class ProfessionSeeds(BaseModel):
    professions: list[ProfessionSeed]
