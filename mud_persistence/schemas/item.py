"""Validated input for item prototypes and item instances."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints

from mud_persistence.models import OwnerType

ItemInstanceId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
PrototypeId = Annotated[str, StringConstraints(min_length=1, max_length=120)]


class ItemPrototypeSeed(BaseModel):
    """One item prototype, as the bundled JSON (or a game's own) describes it."""

    model_config = ConfigDict(extra="forbid")

    prototype_id: PrototypeId
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    item_type: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    short_description: str = ""
    long_description: str = ""
    weight: Annotated[float, Field(ge=0)] = 0.0
    base_value: Annotated[int, Field(ge=0)] = 0
    durability: Annotated[int, Field(ge=0)] | None = None
    flags: list[JsonValue] = Field(default_factory=list)
    wear_slots: list[str] = Field(default_factory=list)
    stacking_rules: dict[str, JsonValue] = Field(default_factory=dict)
    usage_restrictions: dict[str, JsonValue] = Field(default_factory=dict)
    effect_components: list[JsonValue] = Field(default_factory=list)
    metadata: dict[str, JsonValue] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)


class ItemPrototypeSeeds(BaseModel):
    prototypes: list[ItemPrototypeSeed]


class ItemInstanceOptions(BaseModel):
    """Columns of an item instance besides its id and prototype; all optional."""

    model_config = ConfigDict(extra="forbid")

    owner_type: OwnerType = OwnerType.ROOM
    owner_id: Annotated[str, StringConstraints(max_length=255)] | None = None
    location_context: Annotated[str, StringConstraints(max_length=255)] | None = None
    quantity: Annotated[int, Field(ge=1, strict=True)] = 1
    condition: Annotated[int, Field(ge=0, le=100, strict=True)] | None = None
    flags_override: list[JsonValue] = Field(default_factory=list)
    binding_state: Annotated[str, StringConstraints(max_length=50)] | None = None
    attunement_state: dict[str, JsonValue] = Field(default_factory=dict)
    custom_name: Annotated[str, StringConstraints(max_length=255)] | None = None
    metadata: dict[str, JsonValue] = Field(default_factory=dict)
    origin_source: Annotated[str, StringConstraints(max_length=255)] | None = None
    origin_metadata: dict[str, JsonValue] = Field(default_factory=dict)


class ItemInstanceCreate(ItemInstanceOptions):
    item_instance_id: ItemInstanceId
    prototype_id: PrototypeId
