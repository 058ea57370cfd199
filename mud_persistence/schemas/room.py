"""Rooms of the game world, as the room cache holds them."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from mud_persistence.schemas.validation import Text

INSTANCED_ROOM_PREFIX = "instance_"
# Where a new character wakes up; its own copy of the tutorial lives in tutorial_instance_id.
TUTORIAL_BEDROOM_ID = "earth_arkhamcity_sanitarium_room_tutorial_bedroom_001"


class Room(BaseModel):
    """One room: where it is, what it looks like, and where its exits lead."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[Text, StringConstraints(min_length=1, max_length=255)]
    name: Text
    description: Text = ""
    zone: str = ""
    sub_zone: str = ""
    environment: str = ""
    exits: dict[str, str | None] = Field(default_factory=dict)
    attributes: dict[str, Any] = Field(default_factory=dict)
