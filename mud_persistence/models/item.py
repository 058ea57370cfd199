"""The item_prototypes and item_instances tables: what an item is, and each copy of it."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.fields.db_defaults import Now
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from mud_persistence.models.limits import INT4_MAX

if TYPE_CHECKING:
    from mud_persistence.models.container import Container, ContainerContent


MAX_WEIGHT = 1_000_000  # a prototype's weight, in the game's own unit


class OwnerType(StrEnum):
    ROOM = "room"
    CONTAINER = "container"
    PLAYER = "player"


class ItemPrototype(Model):
    prototype_id = fields.CharField(max_length=120, primary_key=True)
    name = fields.CharField(max_length=255)
    short_description = fields.TextField(db_default="")
    long_description = fields.TextField(db_default="")
    item_type = fields.CharField(max_length=50)
    weight = fields.FloatField(db_default=0.0)
    base_value = fields.IntField(db_default=0)
    durability = fields.IntField(null=True)
    flags: fields.JSONField[list[Any]] = fields.JSONField(db_default=[])
    wear_slots: fields.JSONField[list[Any]] = fields.JSONField(db_default=[])
    stacking_rules: fields.JSONField[dict[str, Any]] = fields.JSONField(db_default={})
    usage_restrictions: fields.JSONField[dict[str, Any]] = fields.JSONField(db_default={})
    effect_components: fields.JSONField[list[Any]] = fields.JSONField(db_default=[])
    metadata: fields.JSONField[dict[str, Any]] = fields.JSONField(db_default={})
    tags: fields.JSONField[list[Any]] = fields.JSONField(db_default=[])
    created_at = fields.DatetimeField(db_default=Now())

    instances: fields.ReverseRelation[ItemInstance]

    class Meta:
        table = "item_prototypes"
        constraints = (
            CheckConstraint(
                check=f"weight BETWEEN 0 AND {MAX_WEIGHT}", name="ck_item_prototypes_weight"
            ),
            CheckConstraint(check="base_value >= 0", name="ck_item_prototypes_base_value"),
            # SQLite has no 32-bit columns; this makes it refuse what PostgreSQL refuses
            CheckConstraint(
                check=f"base_value <= {INT4_MAX}", name="ck_item_prototypes_base_value_max"
            ),
        )

    def __str__(self) -> str:
        return f"ItemPrototype({self.prototype_id})"


class ItemInstance(Model):
    item_instance_id = fields.CharField(max_length=64, primary_key=True)
    prototype: fields.ForeignKeyRelation[ItemPrototype] = fields.ForeignKeyField(
        "models.ItemPrototype", related_name="instances", on_delete=fields.RESTRICT
    )
    owner_type = fields.CharEnumField(OwnerType, max_length=16)
    owner_id = fields.CharField(max_length=255, null=True)
    location_context = fields.CharField(max_length=255, null=True)
    quantity = fields.IntField(db_default=1)
    condition = fields.IntField(null=True)
    flags_override: fields.JSONField[list[Any]] = fields.JSONField(db_default=[])
    binding_state = fields.CharField(max_length=50, null=True)
    attunement_state: fields.JSONField[dict[str, Any]] = fields.JSONField(db_default={})
    custom_name = fields.CharField(max_length=255, null=True)
    metadata: fields.JSONField[dict[str, Any]] = fields.JSONField(db_default={})
    origin_source = fields.CharField(max_length=255, null=True)
    origin_metadata: fields.JSONField[dict[str, Any]] = fields.JSONField(db_default={})
    created_at = fields.DatetimeField(db_default=Now())
    updated_at = fields.DatetimeField(db_default=Now())

    container_slot: fields.BackwardOneToOneRelation[ContainerContent]
    as_container: fields.ReverseRelation[Container]

    class Meta:
        table = "item_instances"
        indexes = (("owner_type", "owner_id"),)
        constraints = (
            CheckConstraint(
                check="owner_type IN ('room', 'container', 'player')",
                name="ck_item_instances_owner_type",
            ),
            CheckConstraint(check="quantity >= 1", name="ck_item_instances_quantity"),
            CheckConstraint(
                check="condition BETWEEN 0 AND 100", name="ck_item_instances_condition"
            ),
            CheckConstraint(check=f"quantity <= {INT4_MAX}", name="ck_item_instances_quantity_max"),
        )

    def __str__(self) -> str:
        return f"ItemInstance({self.item_instance_id} of {self.prototype_id})"  # type: ignore[attr-defined]
