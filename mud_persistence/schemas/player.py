"""Validated player input: creation, stats, inventory and equipped stacks."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
)

from mud_persistence.models import Position
from mud_persistence.schemas.validation import JsonList, JsonObject, Text

MAX_INVENTORY_STACKS = 20
SLOT_NAME = r"^[a-z_][a-z0-9_]*$"

PlayerName = Annotated[Text, StringConstraints(min_length=1, max_length=50, pattern=r"\S")]
RoomId = Annotated[Text, StringConstraints(min_length=1, max_length=255)]


class InventoryStack(BaseModel):
    """One stack in a player's inventory or equipment."""

    model_config = ConfigDict(extra="allow", strict=True)

    item_id: Annotated[Text, StringConstraints(min_length=1)]
    item_name: Annotated[Text, StringConstraints(min_length=1)]
    slot_type: Annotated[Text, StringConstraints(min_length=1)]
    quantity: Annotated[int, Field(ge=1)]
    metadata: JsonObject | None = None
    inner_container: JsonObject | None = None


class EquippedStack(InventoryStack):
    quantity: Annotated[int, Field(ge=1, le=1)]


Inventory = Annotated[list[InventoryStack], Field(max_length=MAX_INVENTORY_STACKS)]
Equipped = dict[Annotated[Text, StringConstraints(pattern=SLOT_NAME)], EquippedStack]


# The non-stat fields save_player may write, each checked when it changed.
SAVED_FIELD_TYPES: dict[str, Any] = {
    "name": PlayerName,
    "current_room_id": RoomId,
    "respawn_room_id": RoomId | None,
    "profession_id": Annotated[int, Field(ge=1)] | None,
    "experience_points": Annotated[int, Field(ge=0, strict=True)],
    "level": Annotated[int, Field(ge=1, strict=True)],
    "position": Position,
    "inventory": Inventory,
    "equipped": Equipped,
    "status_effects": JsonList,
    "is_admin": Annotated[bool, Field(strict=True)],
    "tutorial_instance_id": str | None,
    "last_active": AwareDatetime,
}
SAVED_FIELD_ADAPTERS = {name: TypeAdapter(kind) for name, kind in SAVED_FIELD_TYPES.items()}


class PlayerCreate(BaseModel):
    """Everything create_player accepts."""

    model_config = ConfigDict(extra="forbid")

    name: PlayerName
    user_id: uuid.UUID
    profession_id: Annotated[int, Field(ge=1)] | None = None
    current_room_id: RoomId | None = None
    stats: dict[str, Any] | None = None  # checked by Player.set_stats
    is_admin: Annotated[bool, Field(strict=True)] = False
