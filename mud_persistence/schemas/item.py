"""Validated input for item prototypes and item instances."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from mud_persistence.models import OwnerType
from mud_persistence.models.item import MAX_WEIGHT
from mud_persistence.models.limits import INT4_MAX
from mud_persistence.schemas.validation import JsonList, JsonObject, Text

ItemInstanceId = Annotated[Text, StringConstraints(min_length=1, max_length=64)]
PrototypeId = Annotated[Text, StringConstraints(min_length=1, max_length=120)]


class ItemPrototypeSeed(BaseModel):
    """One item prototype, as the bundled JSON (or a game's own) describes it."""

    model_config = ConfigDict(extra="forbid")

    prototype_id: PrototypeId
    name: Annotated[Text, StringConstraints(min_length=1, max_length=255)]
    item_type: Annotated[Text, StringConstraints(min_length=1, max_length=50)]
    short_description: Text = ""
    long_description: Text = ""
    weight: Annotated[float, Field(ge=0, le=MAX_WEIGHT, allow_inf_nan=False)] = 0.0
    base_value: Annotated[int, Field(ge=0, le=INT4_MAX)] = 0
    durability: Annotated[int, Field(ge=0)] | None = None
    flags: JsonList = Field(default_factory=list)
    wear_slots: list[str] = Field(default_factory=list)
    stacking_rules: JsonObject = Field(default_factory=dict)
    usage_restrictions: JsonObject = Field(default_factory=dict)
    effect_components: JsonList = Field(default_factory=list)
    metadata: JsonObject = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)


class ItemPrototypeSeeds(BaseModel):
    prototypes: list[ItemPrototypeSeed]


class ItemInstanceOptions(BaseModel):
    """Columns of an item instance besides its id and prototype; all optional."""

    model_config = ConfigDict(extra="forbid")

    owner_type: OwnerType = OwnerType.ROOM
    owner_id: Annotated[Text, StringConstraints(max_length=255)] | None = None
    location_context: Annotated[Text, StringConstraints(max_length=255)] | None = None
    quantity: Annotated[int, Field(ge=1, le=INT4_MAX, strict=True)] = 1
    condition: Annotated[int, Field(ge=0, le=100, strict=True)] | None = None
    flags_override: JsonList = Field(default_factory=list)
    binding_state: Annotated[Text, StringConstraints(max_length=50)] | None = None
    attunement_state: JsonObject = Field(default_factory=dict)
    custom_name: Annotated[Text, StringConstraints(max_length=255)] | None = None
    metadata: JsonObject = Field(default_factory=dict)
    origin_source: Annotated[Text, StringConstraints(max_length=255)] | None = None
    origin_metadata: JsonObject = Field(default_factory=dict)

    @field_validator("owner_type")
    @classmethod
    def _not_into_a_container(cls, owner_type: OwnerType) -> OwnerType:
        # An item owned by a container must also have its slot there, or it is an orphan that
        # no container lists; only the container methods place items.
        if owner_type == OwnerType.CONTAINER:
            raise ValueError(
                "items are put into containers with add_item_to_container or "
                "create_container(items=...), not by owner_type 'container'"
            )
        return owner_type


class ItemInstanceCreate(ItemInstanceOptions):
    item_instance_id: ItemInstanceId
    prototype_id: PrototypeId
