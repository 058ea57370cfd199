"""Validated player input: creation, stats, inventory and equipped stacks."""

from __future__ import annotations

import unicodedata
import uuid
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
)

from mud_persistence.models.limits import INT4_MAX, MAX_EXPERIENCE
from mud_persistence.schemas.validation import JsonList, JsonObject, Text

MAX_INVENTORY_STACKS = 20
SLOT_NAME = r"^[a-z_][a-z0-9_]*$"


def visible_name(name: str) -> str:
    """``name`` in Unicode NFC form, if it shows at least one character.

    Names are compared after NFC normalisation, so "Zoë" typed with a combining diaeresis and
    with a precomposed one are the same name; a name of only spaces and invisible characters
    (zero-width spaces, joiners, direction marks) is refused.
    """
    name = unicodedata.normalize("NFC", name)
    if all(unicodedata.category(char)[0] in "ZC" for char in name):
        raise ValueError("a name needs at least one visible character")
    return name


PlayerName = Annotated[
    Text, StringConstraints(min_length=1, max_length=50), AfterValidator(visible_name)
]
UuidText = Annotated[uuid.UUID, AfterValidator(str)]  # a UUID, kept as its canonical string
ProfessionId = Annotated[int, Field(ge=0, le=INT4_MAX, strict=True)]
RoomId = Annotated[Text, StringConstraints(min_length=1, max_length=255)]


class InventoryStack(BaseModel):
    """One stack in a player's inventory or equipment."""

    model_config = ConfigDict(extra="allow", strict=True)

    item_id: Annotated[Text, StringConstraints(min_length=1)]
    item_name: Annotated[Text, StringConstraints(min_length=1)]
    slot_type: Annotated[Text, StringConstraints(min_length=1)]
    quantity: Annotated[int, Field(ge=1, le=INT4_MAX)]
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
    "user_id": UuidText,
    "profession_id": ProfessionId | None,
    "experience_points": Annotated[int, Field(ge=0, le=MAX_EXPERIENCE, strict=True)],
    "level": Annotated[int, Field(ge=1, le=INT4_MAX, strict=True)],
    "inventory": Inventory,
    "equipped": Equipped,
    "status_effects": JsonList,
    "is_admin": Annotated[bool, Field(strict=True)],
    "tutorial_instance_id": Annotated[Text, StringConstraints(max_length=255)] | None,
    "last_active": AwareDatetime,
}
SAVED_FIELD_ADAPTERS = {name: TypeAdapter(kind) for name, kind in SAVED_FIELD_TYPES.items()}


class PlayerCreate(BaseModel):
    """Everything create_player accepts."""

    model_config = ConfigDict(extra="forbid")

    name: PlayerName
    user_id: uuid.UUID
    profession_id: ProfessionId | None = None
    current_room_id: RoomId | None = None
    stats: dict[str, Any] | None = None  # checked by Player.set_stats
    is_admin: Annotated[bool, Field(strict=True)] = False
