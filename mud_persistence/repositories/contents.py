"""Placing items in containers: free slots, capacity and weight, and whole-content replacement.
Every helper runs inside the calling operation's transaction, after the containers are locked."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q

from mud_persistence.errors import CapacityError, ConflictError, ValidationError
from mud_persistence.models import (
    Container,
    ContainerContent,
    ItemInstance,
    ItemPrototype,
    OwnerType,
)
from mud_persistence.repositories.item import new_instance_id
from mud_persistence.schemas.container import ContainerItemInput


async def free_slot(container: Container, incoming: list[str], wanted: int | None) -> int:
    """A free position for the ``incoming`` item ids (the lowest, or ``wanted``); CapacityError
    if the slots or the weight limit would be exceeded."""
    held = ContainerContent.filter(container_id=container.container_id)
    taken: set[int] = set(await held.values_list("position", flat=True))  # type: ignore[arg-type]
    if len(taken) + len(incoming) > container.capacity_slots:
        raise CapacityError(
            f"container {container.container_id} is full ({container.capacity_slots} slots)"
        )
    if container.weight_limit is not None:
        items = ItemInstance.filter(
            Q(container_slot__container_id=container.container_id)
            | Q(item_instance_id__in=incoming)
        )
        load = sum(
            row["quantity"] * row["prototype__weight"]
            for row in await items.values("quantity", "prototype__weight")
        )
        if load > container.weight_limit:
            raise CapacityError(
                f"container {container.container_id} would hold {load:g} of its "
                f"{container.weight_limit} weight limit"
            )
    if wanted is None:
        return min(set(range(container.capacity_slots)) - taken)
    if wanted >= container.capacity_slots:
        raise ValidationError(
            f"position {wanted} is outside the {container.capacity_slots} slots of "
            f"container {container.container_id}",
            field="position",
            value=wanted,
        )
    if wanted in taken:
        raise ConflictError(f"position {wanted} of container {container.container_id} is taken")
    return wanted


async def prototypes_of(items: list[ContainerItemInput]) -> dict[str, ItemPrototype]:
    """The prototypes the items name; ValidationError naming the first unknown one."""
    wanted = {item.item_id for item in items}
    found = {p.prototype_id: p for p in await ItemPrototype.filter(prototype_id__in=wanted)}
    for index, item in enumerate(items):
        if item.item_id not in found:
            raise ValidationError(
                f"items.{index}.item_id {item.item_id!r} names no item prototype",
                field=f"items.{index}.item_id",
                value=item.item_id,
            )
    return found


def check_weight(
    items: list[ContainerItemInput], prototypes: dict[str, ItemPrototype], limit: int | None
) -> None:
    load = sum(prototypes[item.item_id].weight * item.quantity for item in items)
    if limit is not None and load > limit:
        raise CapacityError(f"the items weigh {load:g}, over the weight limit of {limit}")


def check_positions(items: list[ContainerItemInput], capacity: int) -> None:
    if len(items) > capacity:
        raise CapacityError(f"{len(items)} items do not fit in {capacity} slots")
    for index, item in enumerate(items):
        if item.position is not None and item.position >= capacity:
            raise ValidationError(
                f"items.{index}.position {item.position} is outside the {capacity} slots",
                field=f"items.{index}.position",
                value=item.position,
            )


async def replace_items(
    container: Container, items: list[ContainerItemInput], prototypes: dict[str, ItemPrototype]
) -> None:
    """Make ``items`` the container's whole contents; instances dropped from it are deleted."""
    held = ContainerContent.filter(container_id=container.container_id)
    kept = {item.item_instance_id for item in items if item.item_instance_id}
    current: list[str] = await held.values_list("item_instance_id", flat=True)  # type: ignore[assignment]
    dropped = [item_id for item_id in current if item_id not in kept]
    await ItemInstance.filter(item_instance_id__in=dropped).delete()
    await held.delete()
    await put_items(container, items, prototypes)


async def put_items(
    container: Container, items: list[ContainerItemInput], prototypes: dict[str, ItemPrototype]
) -> None:
    """Insert or adopt the instances ``items`` describe and place them in ``container``."""
    owner = {"owner_type": OwnerType.CONTAINER, "owner_id": str(container.container_id)}
    ids = [item.item_instance_id or new_instance_id() for item in items]
    existing = {i.item_instance_id: i for i in await ItemInstance.filter(item_instance_id__in=ids)}
    fresh = []
    for item_id, item in zip(ids, items, strict=True):
        columns = instance_columns(item, prototypes[item.item_id]) | owner
        if item_id in existing:
            if existing[item_id].prototype_id != item.item_id:  # type: ignore[attr-defined]
                raise ValidationError(
                    f"item instance {item_id!r} is a {existing[item_id].prototype_id!r}, "  # type: ignore[attr-defined]
                    f"not a {item.item_id!r}",
                    field="item_id",
                    value=item.item_id,
                )
            await ItemInstance.filter(item_instance_id=item_id).update(**columns)
        else:
            fresh.append(
                ItemInstance(item_instance_id=item_id, prototype_id=item.item_id, **columns)
            )
    if fresh:
        await ItemInstance.bulk_create(fresh)
    await ContainerContent.bulk_create(
        [
            ContainerContent(
                container_id=container.container_id,
                item_instance_id=item_id,
                position=item.position,
            )
            for item_id, item in zip(ids, items, strict=True)
        ]
    )


def instance_columns(item: ContainerItemInput, prototype: ItemPrototype) -> dict[str, Any]:
    metadata = dict(item.metadata)
    if item.slot_type is not None:
        metadata["slot_type"] = item.slot_type
    custom_name = None if item.item_name == prototype.name else item.item_name
    return {
        "quantity": item.quantity,
        "condition": item.condition,
        "metadata": metadata,
        "custom_name": custom_name,
    }
