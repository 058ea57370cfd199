"""Containers and their contents: each change is one transaction that locks the containers'
rows in a fixed order (by id) before touching any item, so opposite transfers cannot deadlock."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from mud_persistence.errors import (
    CapacityError,
    ConflictError,
    NotFoundError,
    PersistenceError,
    ValidationError,
)
from mud_persistence.events import EventBus, ItemTransferred, publish_safely
from mud_persistence.models import (
    Container,
    ContainerContent,
    ItemInstance,
    ItemPrototype,
    OwnerType,
)
from mud_persistence.repositories.item import new_instance_id
from mud_persistence.repositories.sql import is_foreign_key_error
from mud_persistence.schemas.container import (
    DEFAULT_SLOT_TYPE,
    ContainerCreateParams,
    ContainerData,
    ContainerItem,
    ContainerItemInput,
    ContainerItemsInput,
    ContainerUpdate,
)
from mud_persistence.schemas.validation import as_uuid, check_amount, check_time, validate


class ContainerRepository:
    def __init__(self, events: EventBus) -> None:
        self._events = events

    # Reads -----------------------------------------------------------------------------------

    async def get(self, container_id: uuid.UUID | str) -> ContainerData | None:
        found = await with_items(
            Container.filter(container_id=as_uuid(container_id, field="container_id"))
        )
        return found[0] if found else None

    async def in_room(self, room_id: str) -> list[ContainerData]:
        return await with_items(Container.filter(room_id=room_id).order_by("created_at"))

    async def of_entity(self, entity_id: uuid.UUID | str) -> list[ContainerData]:
        entity = as_uuid(entity_id, field="entity_id")
        return await with_items(Container.filter(entity_id=entity).order_by("created_at"))

    async def decayed(self, current_time: datetime | None) -> list[ContainerData]:
        now = check_time(current_time, field="current_time") or datetime.now(UTC)
        return await with_items(Container.filter(decay_at__lte=now).order_by("decay_at"))

    # Whole-container changes -----------------------------------------------------------------

    async def create(self, fields: dict[str, Any]) -> ContainerData:
        data = validate(ContainerCreateParams, fields, what="container")
        assert data.capacity_slots is not None  # filled in by the schema
        prototypes = await prototypes_of(data.items)
        check_weight(data.items, prototypes, data.weight_limit)
        check_positions(data.items, data.capacity_slots)
        now = datetime.now(UTC)
        try:
            async with in_transaction():
                container = await Container.create(
                    container_id=uuid.uuid4(),
                    created_at=now,
                    updated_at=now,
                    **data.model_dump(exclude={"items"}),
                )
                await put_items(container, data.items, prototypes)
                return await self._read(container.container_id)
        except IntegrityError as exc:
            raise refusal(exc) from exc

    async def update(
        self,
        container_id: uuid.UUID | str,
        items: list[dict[str, Any]] | None,
        lock_state: str | None,
        metadata: dict[str, Any] | None,
    ) -> ContainerData:
        changes = validate(
            ContainerUpdate, {"lock_state": lock_state, "metadata": metadata}, what="container"
        ).model_dump(exclude_none=True)
        new_items = None
        if items is not None:
            new_items = validate(ContainerItemsInput, {"items": items}, what="item").items
        prototypes = await prototypes_of(new_items or [])
        container_id = as_uuid(container_id, field="container_id")
        try:
            async with in_transaction():
                container = await lock_containers([container_id])
                if new_items is not None:
                    check_positions(new_items, container[0].capacity_slots)
                    check_weight(new_items, prototypes, container[0].weight_limit)
                    await replace_items(container[0], new_items, prototypes)
                await Container.filter(container_id=container_id).update(
                    **changes, updated_at=datetime.now(UTC)
                )
                return await self._read(container_id)
        except IntegrityError as exc:
            raise refusal(exc) from exc

    async def delete(self, container_id: uuid.UUID | str) -> bool:
        """Delete the container and every item instance in it."""
        container_id = as_uuid(container_id, field="container_id")
        async with in_transaction():
            try:
                await lock_containers([container_id])
            except NotFoundError:
                return False
            held = ContainerContent.filter(container_id=container_id)
            item_ids = await held.values_list("item_instance_id", flat=True)
            await ItemInstance.filter(item_instance_id__in=item_ids).delete()
            await Container.filter(container_id=container_id).delete()
        return True

    # Moving one item -------------------------------------------------------------------------

    async def add(
        self, container_id: uuid.UUID | str, item_instance_id: str, position: int | None
    ) -> ContainerData:
        container_id = as_uuid(container_id, field="container_id")
        if position is not None:
            check_amount(position, field="position")
        async with in_transaction():
            (container,) = await lock_containers([container_id])
            item = (
                await ItemInstance.filter(item_instance_id=item_instance_id)
                .select_for_update()
                .only("item_instance_id")
                .first()
            )
            if item is None:
                raise NotFoundError("ItemInstance", item_instance_id)
            holder = await ContainerContent.filter(item_instance_id=item_instance_id).first()
            if holder is not None:
                raise ConflictError(
                    f"item {item_instance_id!r} is already in container {holder.container_id}"  # type: ignore[attr-defined]
                )
            slot = await free_slot(container, [item_instance_id], position)
            await ContainerContent.create(
                container_id=container_id, item_instance_id=item_instance_id, position=slot
            )
            await hand_over(item_instance_id, OwnerType.CONTAINER, str(container_id))
            await touch([container_id])
            result = await self._read(container_id)
        await self._announce(item_instance_id, None, container_id, OwnerType.CONTAINER)
        return result

    async def remove(
        self,
        container_id: uuid.UUID | str,
        item_instance_id: str,
        to_owner_type: str,
        to_owner_id: str | None,
    ) -> ContainerData:
        container_id = as_uuid(container_id, field="container_id")
        owner_type = outside_owner(to_owner_type)
        async with in_transaction():
            (container,) = await lock_containers([container_id])
            owner_id = to_owner_id or (container.room_id if owner_type is OwnerType.ROOM else None)
            if owner_id is None:
                raise ValidationError(
                    f"to_owner_id is needed to hand an item to a {owner_type.value}",
                    field="to_owner_id",
                    value=to_owner_id,
                )
            removed = await ContainerContent.filter(
                container_id=container_id, item_instance_id=item_instance_id
            ).delete()
            if not removed:
                raise await not_in_container(item_instance_id, container_id)
            await hand_over(item_instance_id, owner_type, owner_id)
            await touch([container_id])
            result = await self._read(container_id)
        await self._announce(item_instance_id, container_id, None, owner_type, owner_id)
        return result

    async def transfer(
        self,
        item_instance_id: str,
        from_container_id: uuid.UUID | str,
        to_container_id: uuid.UUID | str,
    ) -> ContainerData:
        source = as_uuid(from_container_id, field="from_container_id")
        target = as_uuid(to_container_id, field="to_container_id")
        if source == target:
            raise ValidationError(
                "from_container_id and to_container_id are the same container",
                field="to_container_id",
                value=target,
            )
        async with in_transaction():
            locked = {c.container_id: c for c in await lock_containers([source, target])}
            position = await free_slot(locked[target], [item_instance_id], None)
            moved = await ContainerContent.filter(
                container_id=source, item_instance_id=item_instance_id
            ).update(container_id=target, position=position)
            if not moved:
                raise await not_in_container(item_instance_id, source)
            await hand_over(item_instance_id, OwnerType.CONTAINER, str(target))
            await touch([source, target])
            result = await self._read(target)
        await self._announce(item_instance_id, source, target, OwnerType.CONTAINER)
        return result

    async def _read(self, container_id: uuid.UUID) -> ContainerData:
        data = await self.get(container_id)
        if data is None:
            raise NotFoundError("Container", container_id)
        return data

    async def _announce(
        self,
        item_instance_id: str,
        source: uuid.UUID | None,
        target: uuid.UUID | None,
        owner_type: OwnerType,
        owner_id: str | None = None,
    ) -> None:
        await publish_safely(
            self._events,
            ItemTransferred(
                item_instance_id=item_instance_id,
                from_container_id=source,
                to_container_id=target,
                to_owner_type=owner_type.value,
                to_owner_id=owner_id if target is None else str(target),
            ),
        )


# Helpers below run inside the operation's transaction. -------------------------------------


async def lock_containers(container_ids: Iterable[uuid.UUID]) -> list[Container]:
    """Lock the containers' rows in one statement, always in id order (rows are locked as the
    sorted scan returns them); NotFoundError if one is missing."""
    wanted = sorted(set(container_ids))
    locked = (
        await Container.filter(container_id__in=wanted).order_by("container_id").select_for_update()
    )
    missing = set(wanted) - {container.container_id for container in locked}
    if missing:
        raise NotFoundError("Container", min(missing))
    return locked


async def touch(container_ids: list[uuid.UUID]) -> None:
    await Container.filter(container_id__in=container_ids).update(updated_at=datetime.now(UTC))


async def hand_over(item_instance_id: str, owner_type: OwnerType, owner_id: str) -> None:
    await ItemInstance.filter(item_instance_id=item_instance_id).update(
        owner_type=owner_type, owner_id=owner_id, updated_at=datetime.now(UTC)
    )


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


async def not_in_container(item_instance_id: str, container_id: uuid.UUID) -> PersistenceError:
    if not await ItemInstance.filter(item_instance_id=item_instance_id).exists():
        return NotFoundError("ItemInstance", item_instance_id)
    return ConflictError(f"item {item_instance_id!r} is not in container {container_id}")


def outside_owner(to_owner_type: str) -> OwnerType:
    if to_owner_type not in (OwnerType.ROOM, OwnerType.PLAYER):
        raise ValidationError(
            f"to_owner_type must be 'room' or 'player', got {to_owner_type!r} "
            "(use transfer_item to move an item between containers)",
            field="to_owner_type",
            value=to_owner_type,
        )
    return OwnerType(to_owner_type)


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


CONTAINER_COLUMNS = tuple(name for name in ContainerData.model_fields if name != "items")
ITEM_COLUMNS = {
    "item_instance_id": "item_instance__item_instance_id",
    "item_id": "item_instance__prototype__prototype_id",
    "prototype_name": "item_instance__prototype__name",
    "custom_name": "item_instance__custom_name",
    "quantity": "item_instance__quantity",
    "condition": "item_instance__condition",
    "metadata": "item_instance__metadata",
}


async def with_items(containers: QuerySet[Container]) -> list[ContainerData]:
    """ContainerData for each container the query finds, in its order, in two queries.

    Rows are read as plain values: building models for every item and its prototype cost ten
    times the query itself (measured with `make bench`, get_containers_by_room_id).
    """
    rows = await containers.values(*CONTAINER_COLUMNS)
    if not rows:
        return []
    ids = [row["container_id"] for row in rows]
    items: dict[uuid.UUID, list[ContainerItem]] = {container_id: [] for container_id in ids}
    contents = (
        ContainerContent.filter(container_id__in=ids)
        .order_by("position")
        .values("container_id", "position", **ITEM_COLUMNS)
    )
    for content in await contents:
        items[content["container_id"]].append(as_item(content))
    return [ContainerData(**row, items=items[row["container_id"]]) for row in rows]


def as_item(row: dict[str, Any]) -> ContainerItem:
    metadata = row["metadata"]
    return ContainerItem(
        item_instance_id=row["item_instance_id"],
        item_id=row["item_id"],
        item_name=row["custom_name"] or row["prototype_name"],
        quantity=row["quantity"],
        condition=row["condition"],
        position=row["position"],
        metadata=metadata,
        slot_type=metadata.get("slot_type", DEFAULT_SLOT_TYPE),
    )


def refusal(exc: IntegrityError) -> PersistenceError:
    """The layer's error for a rule the database enforced during a container change."""
    text = str(exc)
    if is_foreign_key_error(exc):
        return ValidationError(
            f"the container names a player or item instance that does not exist ({text})"
        )
    if "item_instance_id" in text or "unique" in text.lower():
        return ConflictError(f"an item is already in another container ({text})")
    return ValidationError(f"the database refused the container change: {text}")
