"""Placing items in containers: free slots, capacity and weight, and whole-content replacement.
Every helper runs inside the calling operation's transaction, after the containers are locked."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pydantic
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
from mud_persistence.repositories.locking import lock_items
from mud_persistence.repositories.weights import check_load, load_of
from mud_persistence.schemas.container import ContainerItemInput

logger = logging.getLogger(__name__)


# Slots --------------------------------------------------------------------------------------


async def free_slot(container: Container, incoming: list[str], wanted: int | None) -> int:
    """A free position for the ``incoming`` item ids (the lowest, or ``wanted``); CapacityError
    if the slots or the weight limit would be exceeded."""
    held = ContainerContent.filter(container_id=container.container_id)
    taken: set[int] = set(await held.values_list("position", flat=True))  # type: ignore[arg-type]
    if len(taken) + len(incoming) > container.capacity_slots:
        raise full(container.container_id, container.capacity_slots)
    if container.weight_limit is not None:
        items = ItemInstance.filter(
            Q(container_slot__container_id=container.container_id)
            | Q(item_instance_id__in=incoming)
        )
        rows = await items.values_list("quantity", "prototype__weight")
        load = load_of(rows)
        check_load(load, container.weight_limit, f"container {container.container_id}")
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


def full(container_id: uuid.UUID, capacity: int) -> CapacityError:
    return CapacityError(f"container {container_id} is full ({capacity} slots)")


def not_held(item_instance_id: str, container_id: uuid.UUID) -> ConflictError:
    return ConflictError(f"item {item_instance_id!r} is not in container {container_id}")


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


# Item entries -------------------------------------------------------------------------------


def usable_entries(entries: Iterable[Any]) -> list[ContainerItemInput]:
    """The entries that are valid items, each checked alone; the others are skipped with a
    warning naming them (the old layer's leniency for items_json)."""
    usable: list[ContainerItemInput] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        try:
            item = ContainerItemInput.model_validate(entry)
        except pydantic.ValidationError as exc:
            skip(index, entry, exc.errors(include_url=False)[0]["msg"])
            continue
        if item.item_instance_id in seen:
            skip(index, entry, "the same item_instance_id is listed earlier")
            continue
        if item.item_instance_id:
            seen.add(item.item_instance_id)
        usable.append(item)
    return usable


def skip(index: int, entry: Any, reason: str) -> None:
    logger.warning("skipping item entry %d %.200r: %s", index, entry, reason)


async def known_prototypes(
    items: list[ContainerItemInput], *, lenient: bool
) -> tuple[list[ContainerItemInput], dict[str, ItemPrototype]]:
    """The items whose prototype exists, and those prototypes. An unknown prototype is a
    ValidationError, or (``lenient``) skips its item with a warning."""
    wanted = {item.item_id for item in items}
    found = {p.prototype_id: p for p in await ItemPrototype.filter(prototype_id__in=wanted)}
    known = []
    for index, item in enumerate(items):
        if item.item_id in found:
            known.append(item)
            continue
        message = f"items.{index}.item_id {item.item_id!r} names no item prototype"
        if not lenient:
            raise ValidationError(message, field=f"items.{index}.item_id", value=item.item_id)
        skip(index, item.model_dump(exclude_unset=True), message)
    return known, found


@dataclass(frozen=True)
class Placement:
    """One item about to be placed: its instance id, and the columns to write."""

    item_instance_id: str
    item: ContainerItemInput
    weight: float
    quantity: int
    columns: dict[str, Any]
    exists: bool


async def placements(
    items: list[ContainerItemInput], prototypes: dict[str, ItemPrototype], *, lenient: bool
) -> list[Placement]:
    """What placing ``items`` writes. An entry naming an existing instance changes only the
    fields it gives: an id alone keeps the instance's quantity, condition, name and metadata.
    The existing instances are locked (after the container, as everywhere)."""
    ids = [item.item_instance_id or new_instance_id() for item in items]
    existing = {i.item_instance_id: i for i in await lock_items(ids)}
    placed = []
    for index, (item_id, item) in enumerate(zip(ids, items, strict=True)):
        prototype = prototypes[item.item_id]
        current = existing.get(item_id)
        if current is not None and current.prototype_id != item.item_id:  # type: ignore[attr-defined]
            message = (
                f"item instance {item_id!r} is a {current.prototype_id!r}, "  # type: ignore[attr-defined]
                f"not a {item.item_id!r}"
            )
            if not lenient:
                raise ValidationError(message, field=f"items.{index}.item_id", value=item.item_id)
            skip(index, item.model_dump(exclude_unset=True), message)
            continue
        columns = instance_columns(item, prototype, current)
        quantity = columns.get("quantity", current.quantity if current else item.quantity)
        placed.append(
            Placement(item_id, item, prototype.weight, quantity, columns, current is not None)
        )
    return placed


def instance_columns(
    item: ContainerItemInput, prototype: ItemPrototype, current: ItemInstance | None
) -> dict[str, Any]:
    """The columns the entry sets: all of them for a new instance, the given ones otherwise."""
    given = item.model_fields_set if current is not None else set(ContainerItemInput.model_fields)
    columns: dict[str, Any] = {}
    if "quantity" in given:
        columns["quantity"] = item.quantity
    if "condition" in given:
        columns["condition"] = item.condition
    if "item_name" in given:
        columns["custom_name"] = None if item.item_name == prototype.name else item.item_name
    if "metadata" in given or (item.slot_type is not None and "slot_type" in given):
        metadata = dict(item.metadata) if "metadata" in given else dict(current.metadata)  # type: ignore[union-attr]
        if item.slot_type is not None:
            metadata["slot_type"] = item.slot_type
        columns["metadata"] = metadata
    return columns


def check_placements_weight(placed: list[Placement], limit: int | None, what: str) -> None:
    check_load(load_of((p.quantity, p.weight) for p in placed), limit, what)


# Writing ------------------------------------------------------------------------------------


async def replace_items(container: Container, placed: list[Placement]) -> None:
    """Make ``placed`` the container's whole contents; instances dropped from it are deleted."""
    held = ContainerContent.filter(container_id=container.container_id)
    kept = {p.item_instance_id for p in placed}
    current: list[str] = await held.values_list("item_instance_id", flat=True)  # type: ignore[assignment]
    dropped = [item_id for item_id in current if item_id not in kept]
    await ItemInstance.filter(item_instance_id__in=dropped).delete()
    await held.delete()
    await put_items(container, placed)


async def put_items(container: Container, placed: list[Placement]) -> None:
    """Insert or adopt the placed instances and give them their positions in ``container``."""
    owner = {"owner_type": OwnerType.CONTAINER, "owner_id": str(container.container_id)}
    fresh = []
    for p in placed:
        if p.exists:
            await ItemInstance.filter(item_instance_id=p.item_instance_id).update(
                **p.columns, **owner, updated_at=datetime.now(UTC)
            )
        else:
            fresh.append(
                ItemInstance(
                    item_instance_id=p.item_instance_id,
                    prototype_id=p.item.item_id,
                    **p.columns,
                    **owner,
                )
            )
    if fresh:
        await ItemInstance.bulk_create(fresh)
    await ContainerContent.bulk_create(
        [
            ContainerContent(
                container_id=container.container_id,
                item_instance_id=p.item_instance_id,
                position=p.item.position,
            )
            for p in placed
        ]
    )
