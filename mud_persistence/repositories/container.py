"""Containers and their contents: each change is one transaction that locks the containers'
rows before touching any item, in the global order of repositories/locking.py, so opposite
transfers (or a transfer and a player's deletion) cannot deadlock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from mud_persistence.errors import (
    ConflictError,
    NotFoundError,
    PersistenceError,
    ValidationError,
)
from mud_persistence.events import ItemTransferred, event_payload
from mud_persistence.models import (
    Container,
    ContainerContent,
    ItemInstance,
    ItemPrototype,
    OwnerType,
)
from mud_persistence.outbox import current_unit, record
from mud_persistence.repositories.container_views import ContainerReads
from mud_persistence.repositories.contents import (
    check_placements_weight,
    check_positions,
    free_slot,
    known_prototypes,
    not_held,
    placements,
    put_items,
    replace_items,
    usable_entries,
)
from mud_persistence.repositories.locking import lock_containers, lock_items
from mud_persistence.repositories.sql import is_foreign_key_error
from mud_persistence.repositories.transfer import Move, in_database, transfer_in_database
from mud_persistence.schemas.container import (
    ContainerCreateParams,
    ContainerData,
    ContainerItemInput,
    ContainerItemsInput,
    ContainerUpdate,
)
from mud_persistence.schemas.validation import (
    as_uuid,
    check_amount,
    validate,
)


class ContainerRepository(ContainerReads):
    # Whole-container changes -----------------------------------------------------------------

    async def create(self, fields: dict[str, Any], *, lenient: bool = False) -> ContainerData:
        """Create a container and its items. ``lenient``: invalid item entries are skipped with
        a warning instead of refusing the whole container (the old layer's behaviour)."""
        if lenient:
            fields = {**fields, "items": usable_entries(fields.get("items", []))}
        data = validate(ContainerCreateParams, fields, what="container")
        items, prototypes = await known_prototypes(data.items, lenient=lenient)
        check_positions(items, data.capacity_slots)
        now = datetime.now(UTC)
        try:
            async with in_transaction():
                container = await Container.create(
                    container_id=uuid.uuid4(),
                    created_at=now,
                    updated_at=now,
                    **data.model_dump(exclude={"items"}),
                )
                placed = await placements(items, prototypes, lenient=lenient)
                check_placements_weight(placed, data.weight_limit, "the container")
                await put_items(container, placed)
                return await self._read(container.container_id)
        except IntegrityError as exc:
            raise refusal(exc) from exc

    async def update(
        self,
        container_id: uuid.UUID | str,
        items: list[Any] | None,
        lock_state: str | None,
        metadata: dict[str, Any] | None,
        *,
        lenient: bool = False,
    ) -> ContainerData | None:
        """Change the container; None if it does not exist. ``lenient`` as for create."""
        changes = validate(
            ContainerUpdate, {"lock_state": lock_state, "metadata": metadata}, what="container"
        ).model_dump(exclude_none=True)
        new_items: list[ContainerItemInput] | None = None
        prototypes: dict[str, ItemPrototype] = {}
        if items is not None:
            entries = usable_entries(items) if lenient else items
            new_items = validate(ContainerItemsInput, {"items": entries}, what="item").items
            new_items, prototypes = await known_prototypes(new_items, lenient=lenient)
        container_id = as_uuid(container_id, field="container_id")
        try:
            async with in_transaction():
                found = await lock_containers([container_id], missing_ok=True)
                if not found:
                    return None
                if new_items is not None:
                    check_positions(new_items, found[0].capacity_slots)
                    placed = await placements(new_items, prototypes, lenient=lenient)
                    check_placements_weight(
                        placed, found[0].weight_limit, f"container {container_id}"
                    )
                    await replace_items(found[0], placed)
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
            if not await lock_items([item_instance_id]):
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
            await self._announce(item_instance_id, None, container_id, OwnerType.CONTAINER)
            return await self._read(container_id)

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
            await self._announce(item_instance_id, container_id, None, owner_type, owner_id)
            return await self._read(container_id)

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
        if not in_database():
            return await self._transfer_here(item_instance_id, source, target)
        unit = current_unit()
        origin = unit.origin if unit.writes_rows else None
        result, row_id = await transfer_in_database(Move(item_instance_id, source, target), origin)
        event = transferred(item_instance_id, source, target, OwnerType.CONTAINER)
        unit.add(row_id, event.event_type, [event])
        return result

    async def _transfer_here(
        self, item_instance_id: str, source: uuid.UUID, target: uuid.UUID
    ) -> ContainerData:
        """The transfer in Python, for backends without the transfer function (SQLite)."""
        async with in_transaction():
            locked = {c.container_id: c for c in await lock_containers([source, target])}
            held = ContainerContent.filter(container_id=source, item_instance_id=item_instance_id)
            if not await held.exists():  # before the target's capacity: the truer refusal
                raise await not_in_container(item_instance_id, source)
            position = await free_slot(locked[target], [item_instance_id], None)
            await held.update(container_id=target, position=position)
            await hand_over(item_instance_id, OwnerType.CONTAINER, str(target))
            await touch([source, target])
            await self._announce(item_instance_id, source, target, OwnerType.CONTAINER)
            return await self._read(target)

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
        event = transferred(item_instance_id, source, target, owner_type, owner_id)
        await record(event.event_type, event_payload(event), [event])


def transferred(
    item_instance_id: str,
    source: uuid.UUID | None,
    target: uuid.UUID | None,
    owner_type: OwnerType,
    owner_id: str | None = None,
) -> ItemTransferred:
    return ItemTransferred(
        item_instance_id=item_instance_id,
        from_container_id=source,
        to_container_id=target,
        to_owner_type=owner_type.value,
        to_owner_id=owner_id if target is None else str(target),
    )


# Helpers below run inside the operation's transaction. -------------------------------------


async def delete_worn_items(player_id: uuid.UUID) -> None:
    """For delete_player, with the player's row locked: lock the containers the deletion changes
    (those worn are deleted, those owned lose their owner), then delete the items worn, so no
    concurrent move can slip an item in or out between the read and the delete."""
    mine = Container.filter(Q(entity_id=player_id) | Q(owner_id=player_id))
    await lock_containers(await mine.values_list("container_id", flat=True), missing_ok=True)  # type: ignore[arg-type]
    worn = ContainerContent.filter(container__entity_id=player_id)
    items: list[str] = await worn.values_list("item_instance_id", flat=True)  # type: ignore[assignment]
    await ItemInstance.filter(item_instance_id__in=items).delete()


async def touch(container_ids: list[uuid.UUID]) -> None:
    await Container.filter(container_id__in=container_ids).update(updated_at=datetime.now(UTC))


async def hand_over(item_instance_id: str, owner_type: OwnerType, owner_id: str) -> None:
    await ItemInstance.filter(item_instance_id=item_instance_id).update(
        owner_type=owner_type, owner_id=owner_id, updated_at=datetime.now(UTC)
    )


async def not_in_container(item_instance_id: str, container_id: uuid.UUID) -> PersistenceError:
    if not await ItemInstance.filter(item_instance_id=item_instance_id).exists():
        return NotFoundError("ItemInstance", item_instance_id)
    return not_held(item_instance_id, container_id)


def outside_owner(to_owner_type: str) -> OwnerType:
    if to_owner_type not in (OwnerType.ROOM, OwnerType.PLAYER):
        raise ValidationError(
            f"to_owner_type must be 'room' or 'player', got {to_owner_type!r} "
            "(use transfer_item to move an item between containers)",
            field="to_owner_type",
            value=to_owner_type,
        )
    return OwnerType(to_owner_type)


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
