"""Containers: validated input, and ContainerData, the shape every container method returns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from mud_persistence.models import DEFAULT_CAPACITY, MAX_CAPACITY, LockState, SourceType
from mud_persistence.models.limits import INT4_MAX
from mud_persistence.schemas.item import ItemInstanceId, PrototypeId
from mud_persistence.schemas.validation import JsonObject, Text, check_time

DEFAULT_SLOT_TYPE = "backpack"


class ContainerItemInput(BaseModel):
    """One item put into a container: an existing instance by id, or a new one from a prototype.

    Without ``item_instance_id`` a fresh instance id is generated (never the prototype id).
    """

    model_config = ConfigDict(extra="ignore")

    item_instance_id: ItemInstanceId | None = None
    item_id: PrototypeId = Field(validation_alias=AliasChoices("item_id", "prototype_id"))
    item_name: Text | None = None
    quantity: Annotated[int, Field(ge=1, le=INT4_MAX, strict=True)] = 1
    condition: Annotated[int, Field(ge=0, le=100, strict=True)] | None = None
    position: Annotated[int, Field(ge=0, lt=MAX_CAPACITY, strict=True)] | None = None
    metadata: JsonObject = Field(default_factory=dict)
    slot_type: Annotated[Text, StringConstraints(min_length=1, max_length=50)] | None = None


def check_item_list(items: list[ContainerItemInput]) -> list[ContainerItemInput]:
    """Items with distinct instance ids and positions; positions filled in where missing."""
    ids = [item.item_instance_id for item in items if item.item_instance_id]
    if len(ids) != len(set(ids)):
        raise ValueError("the same item_instance_id appears twice")
    taken = [item.position for item in items if item.position is not None]
    if len(taken) != len(set(taken)):
        raise ValueError("two items share a position")
    free = (p for p in range(len(items)) if p not in taken)
    return [
        item if item.position is not None else item.model_copy(update={"position": next(free)})
        for item in items
    ]


class ContainerCreateParams(BaseModel):
    """Everything create_container accepts besides its ``source_type`` argument.

    ``items_json``/``metadata_json`` are accepted as the old names of ``items``/``metadata``.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source_type: SourceType | None = None
    room_id: Annotated[Text, StringConstraints(min_length=1, max_length=255)] | None = None
    entity_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    lock_state: LockState = LockState.UNLOCKED
    capacity_slots: Annotated[int, Field(ge=1, le=MAX_CAPACITY, strict=True)] = DEFAULT_CAPACITY
    weight_limit: Annotated[int, Field(gt=0, le=INT4_MAX, strict=True)] | None = None
    decay_at: datetime | None = None
    allowed_roles: list[str] = Field(default_factory=list)
    metadata: JsonObject = Field(
        default_factory=dict, validation_alias=AliasChoices("metadata", "metadata_json")
    )
    container_item_instance_id: ItemInstanceId | None = None
    items: list[ContainerItemInput] = Field(
        default_factory=list, validation_alias=AliasChoices("items", "items_json")
    )

    @field_validator("decay_at")
    @classmethod
    def _decay_at_is_utc(cls, value: datetime | None) -> datetime | None:
        return check_time(value, field="decay_at")

    @field_validator("items")
    @classmethod
    def _items_are_distinct(cls, items: list[ContainerItemInput]) -> list[ContainerItemInput]:
        return check_item_list(items)

    @model_validator(mode="after")
    def _location_and_capacity(self) -> Self:
        if self.source_type == SourceType.EQUIPMENT and self.entity_id is None:
            raise ValueError("an equipment container needs entity_id (the player wearing it)")
        if self.source_type == SourceType.ENVIRONMENT and self.room_id is None:
            raise ValueError("an environment container needs room_id (the room it is in)")
        if len(self.items) > self.capacity_slots:
            raise ValueError(f"{len(self.items)} items do not fit in {self.capacity_slots} slots")
        return self


class ContainerItemsInput(BaseModel):
    items: list[ContainerItemInput]

    @field_validator("items")
    @classmethod
    def _items_are_distinct(cls, items: list[ContainerItemInput]) -> list[ContainerItemInput]:
        return check_item_list(items)


class ContainerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lock_state: LockState | None = None
    metadata: JsonObject | None = None


class ContainerItem(BaseModel):
    """One item in a container, as ContainerData lists it."""

    model_config = ConfigDict(frozen=True)

    item_instance_id: str
    item_id: str
    item_name: str
    quantity: int
    condition: int | None
    position: int
    metadata: dict[str, Any]
    slot_type: str


class ContainerData(BaseModel):
    """A container with its items, ordered by position."""

    model_config = ConfigDict(frozen=True)

    container_id: uuid.UUID
    source_type: SourceType
    owner_id: uuid.UUID | None
    room_id: str | None
    entity_id: uuid.UUID | None
    lock_state: LockState
    capacity_slots: int
    weight_limit: int | None
    decay_at: datetime | None
    allowed_roles: list[str]
    metadata: dict[str, Any]
    container_item_instance_id: str | None
    created_at: datetime
    updated_at: datetime
    items: list[ContainerItem]


TIMES = ("decay_at", "created_at", "updated_at")


def as_plain(data: ContainerData) -> dict[str, Any]:
    """``data`` as JSON values, as the listing statement renders them: ids and enums as
    strings, times as ``datetime.isoformat()`` in UTC."""
    plain = data.model_dump(mode="json")
    for name in TIMES:
        moment = check_time(getattr(data, name), field=name)
        plain[name] = None if moment is None else moment.isoformat()
    return plain
