"""Item prototypes and item instances."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from mud_persistence.errors import ConflictError, ValidationError
from mud_persistence.events import ItemPrototypesSeeded, event_payload
from mud_persistence.models import Container, ContainerContent, ItemInstance, ItemPrototype
from mud_persistence.outbox import record
from mud_persistence.repositories.locking import lock_containers, lock_items
from mud_persistence.repositories.sql import is_foreign_key_error
from mud_persistence.repositories.weights import check_load, load_of
from mud_persistence.schemas.item import ItemInstanceCreate, ItemPrototypeSeed, ItemPrototypeSeeds
from mud_persistence.schemas.validation import check_text, read_json_file, validate
from mud_persistence.settings import DATA_DIR

BUNDLED_PROTOTYPES = DATA_DIR / "item_prototypes.json"


def new_instance_id() -> str:
    """A fresh item instance id; never a prototype id."""
    return f"inst_{uuid.uuid4().hex}"


class ItemRepository:
    async def seed_prototypes(self, source: Path | list[dict[str, Any]] | None = None) -> int:
        """Insert or update item prototypes by id, in one transaction; return how many."""
        if source is None or isinstance(source, Path):
            source = read_json_file(source or BUNDLED_PROTOTYPES, what="item prototypes")
        seeds = validate(ItemPrototypeSeeds, {"prototypes": source}, what="item prototype")
        fields = set(ItemPrototypeSeed.model_fields) - {"prototype_id"}
        async with in_transaction():
            for seed in seeds.prototypes:
                await ItemPrototype.update_or_create(
                    prototype_id=seed.prototype_id, defaults=seed.model_dump(include=fields)
                )
            seeded = ItemPrototypesSeeded(count=len(seeds.prototypes))
            await record(seeded.event_type, event_payload(seeded), [seeded])
        return len(seeds.prototypes)

    async def create(
        self, item_instance_id: str, prototype_id: str, **options: Any
    ) -> ItemInstance:
        """Insert a new instance; ConflictError if the id is taken."""
        data = validated(item_instance_id, prototype_id, options)
        try:
            return await ItemInstance.create(**data)
        except IntegrityError as exc:
            raise refusal(exc, data) from exc

    async def ensure(
        self, item_instance_id: str, prototype_id: str, **options: Any
    ) -> ItemInstance:
        """The instance with this id; inserted from the arguments only if it does not exist."""
        data = validated(item_instance_id, prototype_id, options)
        for _ in range(2):  # a concurrent ensure may insert between our read and our insert
            existing = await ItemInstance.get_or_none(item_instance_id=item_instance_id)
            if existing is not None:
                return existing
            try:
                return await ItemInstance.create(**data)
            except IntegrityError as exc:
                if is_foreign_key_error(exc):
                    raise refusal(exc, data) from exc
        raise ConflictError(f"item instance {item_instance_id!r} could not be read or inserted")

    async def upsert(
        self, item_instance_id: str, prototype_id: str, **options: Any
    ) -> ItemInstance:
        """Insert the instance, or overwrite the given columns of the existing one. An item in a
        container keeps its owner (ConflictError) and the container's weight limit."""
        data = validated(item_instance_id, prototype_id, options)
        given = {k: v for k, v in data.items() if k in options or k == "prototype_id"}
        for _ in range(UPSERT_ATTEMPTS):
            try:
                async with in_transaction():
                    return await upsert_locked(data, given)
            except HolderChanged:
                continue  # moved in or out of a container meanwhile: look again
            except IntegrityError as exc:
                if is_foreign_key_error(exc):
                    raise refusal(exc, data) from exc
                continue  # inserted concurrently: overwrite it
        raise ConflictError(
            f"item {item_instance_id!r} kept changing while it was being updated; try again"
        )

    async def exists(self, item_instance_id: str) -> bool:
        item_instance_id = check_text(item_instance_id, field="item_instance_id")
        return await ItemInstance.filter(item_instance_id=item_instance_id).exists()

    async def get(self, item_instance_id: str) -> ItemInstance | None:
        item_instance_id = check_text(item_instance_id, field="item_instance_id")
        return await ItemInstance.get_or_none(item_instance_id=item_instance_id)


UPSERT_ATTEMPTS = 3


class HolderChanged(Exception):
    """The item entered or left a container between the look and the lock."""


async def upsert_locked(data: dict[str, Any], given: dict[str, Any]) -> ItemInstance:
    """The upsert, inside its transaction: the item's container (if any) is locked before the
    item, in the global lock order, and the item must still be in it once both are locked."""
    item_instance_id = data["item_instance_id"]
    holder = await holder_of(item_instance_id)
    locked = await lock_containers([holder], missing_ok=True) if holder else []
    container = locked[0] if locked else None
    found = await lock_items([item_instance_id])
    if await holder_of(item_instance_id) != holder or (holder and container is None):
        raise HolderChanged
    if not found:
        return await ItemInstance.create(**data)
    if container is not None:
        await check_stays_in(container, found[0], given)
    changes = {**given, "updated_at": datetime.now(UTC)}
    await ItemInstance.filter(item_instance_id=item_instance_id).update(**changes)
    item = found[0]  # locked: the stored row is this one plus the changes
    for column, value in changes.items():
        setattr(item, column, value)
    return item


async def holder_of(item_instance_id: str) -> uuid.UUID | None:
    held = ContainerContent.filter(item_instance_id=item_instance_id)
    found: list[uuid.UUID] = await held.values_list("container_id", flat=True)  # type: ignore[assignment]
    return found[0] if found else None


async def check_stays_in(container: Container, item: ItemInstance, given: dict[str, Any]) -> None:
    """Refuse an upsert that would move an item out of its container by its owner columns, or
    put the container over its weight limit."""
    if given.keys() & {"owner_type", "owner_id"}:
        raise ConflictError(
            f"item {item.item_instance_id!r} is in a container; move it with "
            "remove_item_from_container or transfer_item, not by changing its owner"
        )
    same_prototype = given["prototype_id"] == item.prototype_id  # type: ignore[attr-defined]
    weighs_the_same = "quantity" not in given and same_prototype
    if container.weight_limit is None or weighs_the_same:
        return
    prototype = await ItemPrototype.get_or_none(prototype_id=given["prototype_id"])
    if prototype is None:
        raise ValidationError(
            f"prototype_id {given['prototype_id']!r} names no item prototype",
            field="prototype_id",
            value=given["prototype_id"],
        )
    others = (
        await ItemInstance.filter(container_slot__container_id=container.container_id)
        .exclude(item_instance_id=item.item_instance_id)
        .values_list("quantity", "prototype__weight")
    )
    quantity = given.get("quantity", item.quantity)
    load = load_of([*others, (quantity, prototype.weight)])
    check_load(load, container.weight_limit, f"container {container.container_id}")


def validated(item_instance_id: str, prototype_id: str, options: dict[str, Any]) -> dict[str, Any]:
    data = validate(
        ItemInstanceCreate,
        {"item_instance_id": item_instance_id, "prototype_id": prototype_id, **options},
        what="item instance",
    )
    return data.model_dump()


def refusal(exc: IntegrityError, data: dict[str, Any]) -> Exception:
    if is_foreign_key_error(exc):
        return ValidationError(
            f"prototype_id {data['prototype_id']!r} names no item prototype",
            field="prototype_id",
            value=data["prototype_id"],
        )
    return ConflictError(f"item instance {data['item_instance_id']!r} already exists")
