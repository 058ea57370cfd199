"""Player effects: the validated input of add_player_effect and the rows the reads return."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from mud_persistence.schemas.validation import Text

# Ticks are 32-bit columns; keeping each below 2**30 keeps applied_at_tick + duration in range.
MAX_TICK = 2**30 - 1
Tick = Annotated[int, Field(ge=0, le=MAX_TICK, strict=True)]


class PlayerEffectCreate(BaseModel):
    """An effect to apply; intensity, source and visibility_level were the old options."""

    model_config = ConfigDict(extra="forbid")

    effect_type: Annotated[Text, StringConstraints(min_length=1, max_length=64)]
    category: Annotated[Text, StringConstraints(min_length=1, max_length=64)]
    duration: Tick
    applied_at_tick: Tick
    intensity: Annotated[int, Field(strict=True)] = 1
    source: Annotated[Text, StringConstraints(max_length=128)] | None = None
    visibility_level: Annotated[Text, StringConstraints(min_length=1, max_length=32)] = "visible"

    @field_validator("intensity", "visibility_level", mode="before")
    @classmethod
    def _none_means_default(cls, value: Any, info: ValidationInfo) -> Any:
        # The old layer stored its default for an explicit None (COALESCE in its procedure).
        if value is None and info.field_name is not None:
            return cls.model_fields[info.field_name].default
        return value


class PlayerEffectData(BaseModel):
    """One stored effect, with the old model's attribute names; ids are strings as they were."""

    model_config = ConfigDict(frozen=True)

    id: str
    player_id: str
    effect_type: str
    category: str
    duration: int
    applied_at_tick: int
    intensity: int
    source: str | None
    visibility_level: str
    created_at: datetime

    def remaining_ticks(self, current_tick: int) -> int:
        """Ticks left at ``current_tick``; the effect is active while this is above 0."""
        return self.duration - (current_tick - self.applied_at_tick)
