"""The containers and container_contents tables: chests, packs, corpses and their contents."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.fields.db_defaults import Now
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from mud_persistence.models.limits import INT4_MAX

if TYPE_CHECKING:
    from mud_persistence.models.item import ItemInstance
    from mud_persistence.models.player import Player


class SourceType(StrEnum):
    ENVIRONMENT = "environment"
    EQUIPMENT = "equipment"
    CORPSE = "corpse"


class LockState(StrEnum):
    UNLOCKED = "unlocked"
    LOCKED = "locked"
    SEALED = "sealed"


DEFAULT_CAPACITY = 20  # the old layer's default for every source
MAX_CAPACITY = 20


class Container(Model):
    container_id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    source_type = fields.CharEnumField(SourceType, max_length=16)
    owner: fields.ForeignKeyNullableRelation[Player] = fields.ForeignKeyField(
        "models.Player", related_name="owned_containers", null=True, on_delete=fields.SET_NULL
    )
    room_id = fields.CharField(max_length=255, null=True, db_index=True)
    entity: fields.ForeignKeyNullableRelation[Player] = fields.ForeignKeyField(
        "models.Player", related_name="equipment_containers", null=True, on_delete=fields.CASCADE
    )
    lock_state = fields.CharEnumField(LockState, max_length=16, db_default=LockState.UNLOCKED)
    capacity_slots = fields.IntField()
    weight_limit = fields.IntField(null=True)
    decay_at = fields.DatetimeField(null=True, db_index=True)
    allowed_roles: fields.JSONField[list[Any]] = fields.JSONField(db_default=[])
    metadata: fields.JSONField[dict[str, Any]] = fields.JSONField(db_default={})
    container_item_instance: fields.ForeignKeyNullableRelation[ItemInstance] = (
        fields.ForeignKeyField(
            "models.ItemInstance", related_name="as_container", null=True, on_delete=fields.SET_NULL
        )
    )
    created_at = fields.DatetimeField(db_default=Now())
    updated_at = fields.DatetimeField(db_default=Now())

    contents: fields.ReverseRelation[ContainerContent]

    class Meta:
        table = "containers"
        constraints = (
            CheckConstraint(
                check="source_type IN ('environment', 'equipment', 'corpse')",
                name="ck_containers_source_type",
            ),
            CheckConstraint(
                check="lock_state IN ('unlocked', 'locked', 'sealed')",
                name="ck_containers_lock_state",
            ),
            CheckConstraint(
                check=f"capacity_slots BETWEEN 1 AND {MAX_CAPACITY}",
                name="ck_containers_capacity_slots",
            ),
            CheckConstraint(check="weight_limit > 0", name="ck_containers_weight_limit"),
            CheckConstraint(
                check=f"weight_limit <= {INT4_MAX}", name="ck_containers_weight_limit_max"
            ),
            CheckConstraint(
                # a corpse may lie nowhere (the old contract): only chests and gear are placed
                check="(source_type = 'equipment' AND entity_id IS NOT NULL)"
                " OR (source_type = 'environment' AND room_id IS NOT NULL)"
                " OR source_type = 'corpse'",
                name="ck_containers_location",
            ),
        )

    def __str__(self) -> str:
        return f"Container({self.source_type}, {self.container_id})"


class ContainerContent(Model):
    id = fields.IntField(primary_key=True)
    container: fields.ForeignKeyRelation[Container] = fields.ForeignKeyField(
        "models.Container", related_name="contents", on_delete=fields.CASCADE
    )
    item_instance: fields.OneToOneRelation[ItemInstance] = fields.OneToOneField(
        "models.ItemInstance", related_name="container_slot", on_delete=fields.CASCADE
    )
    position = fields.IntField()

    class Meta:
        table = "container_contents"
        unique_together = (("container", "position"),)
        constraints = (
            CheckConstraint(check="position >= 0", name="ck_container_contents_position"),
        )

    def __str__(self) -> str:
        return f"ContainerContent({self.container_id}[{self.position}])"  # type: ignore[attr-defined]
