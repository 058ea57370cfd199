"""Containers and the items in them: old plain-dict methods and typed twins."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from mud_persistence.errors import NotFoundError
from mud_persistence.facade.base import LayerBase
from mud_persistence.facade.operation import _read, _write
from mud_persistence.old_shapes import container_dict, create_fields, item_entries, old_container
from mud_persistence.schemas.container import ContainerData


class ContainersMixin(LayerBase):
    """Containers, their contents, and moving items between them."""

    # The old-named methods return the old layer's plain dicts; each has a typed twin, named
    # ``..._data``, that returns ContainerData for new code. Both run the same repository code.

    @_write
    async def create_container(
        self,
        source_type: str,
        params: object = None,
        *,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Create a container with its initial items, in one transaction (old layer's shape).

        Args:
            source_type: ``environment`` (needs ``room_id``), ``equipment`` (needs
                ``entity_id``, the player wearing it) or ``corpse`` (a room is optional).
            params: a ContainerCreateParams, the old layer's params object (or any object
                with its attribute names), or a dict; keyword arguments override it.
            **kwargs: the columns: ``room_id``, ``entity_id``, ``owner_id``,
                ``capacity_slots`` (default 20), ``lock_state``, ``weight_limit``,
                ``decay_at``, ``allowed_roles``, ``metadata_json``, ``items_json``, ... An
                ``items_json`` entry that is invalid or names an unknown prototype is skipped
                with a logged warning; the container is still created.

        Returns:
            The old container dict (see ``get_container``).

        Raises:
            ValidationError: a bad container column; nothing is written.
            CapacityError: the valid items do not fit (slots or weight limit).
        """
        fields = create_fields(params, kwargs)
        if "items" in fields:
            fields["items"] = item_entries(fields["items"])
        created = await self._containers.create(
            {**fields, "source_type": source_type}, lenient=True
        )
        return container_dict(created)

    @_write
    async def create_container_data(
        self,
        source_type: str,
        params: object = None,
        *,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> ContainerData:
        """create_container for new code: returns ContainerData, and refuses a bad item.

        ``items`` (or ``items_json``) entries: dicts with ``item_id`` (the prototype) and
        optionally ``item_instance_id``, ``quantity``, ``condition``, ``position``,
        ``metadata``, ``slot_type``, ``item_name``.

        Raises:
            ValidationError: bad input, an invalid item or an unknown prototype; nothing is
                written.
            CapacityError: the items do not fit.
        """
        fields = create_fields(params, kwargs)
        return await self._containers.create({**fields, "source_type": source_type})

    @_read
    async def get_container(self, container_id: uuid.UUID | str) -> dict[str, Any] | None:
        """The container as the old layer's dict, or None.

        Keys: ``container_id``, ``source_type``, ``owner_id``, ``room_id``, ``entity_id``,
        ``lock_state``, ``capacity_slots``, ``weight_limit``, ``decay_at``, ``allowed_roles``,
        ``created_at``, ``updated_at``, ``items_json`` (by position) and ``metadata_json``;
        ids as strings, times as ISO strings.
        """
        found = await self._containers.get_plain(container_id)
        return None if found is None else old_container(found)

    @_read
    async def get_container_data(self, container_id: uuid.UUID | str) -> ContainerData | None:
        """The container with its items (by position), or None."""
        return await self._containers.get(container_id)

    @_read
    async def get_containers_by_room_id(self, room_id: str) -> list[dict[str, Any]]:
        """The room's containers as old dicts, oldest first, in one statement."""
        return [old_container(found) for found in await self._containers.in_room_plain(room_id)]

    @_read
    async def get_container_data_by_room_id(self, room_id: str) -> list[ContainerData]:
        """The room's containers with their items, oldest first, in one statement."""
        return await self._containers.in_room(room_id)

    @_read
    async def get_containers_by_entity_id(self, entity_id: uuid.UUID | str) -> list[dict[str, Any]]:
        """The player's equipment containers as old dicts, oldest first, in one statement."""
        return [old_container(found) for found in await self._containers.of_entity_plain(entity_id)]

    @_read
    async def get_container_data_by_entity_id(
        self, entity_id: uuid.UUID | str
    ) -> list[ContainerData]:
        """The player's equipment containers with their items, oldest first, in one statement."""
        return await self._containers.of_entity(entity_id)

    @_read
    async def get_decayed_containers(
        self, current_time: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Containers whose decay_at is before ``current_time`` (now by default; naive times
        are UTC), as old dicts, earliest first."""
        return [
            old_container(found) for found in await self._containers.decayed_plain(current_time)
        ]

    @_read
    async def get_decayed_container_data(
        self, current_time: datetime | None = None
    ) -> list[ContainerData]:
        """Containers whose decay_at is before ``current_time``, earliest first."""
        return await self._containers.decayed(current_time)

    @_write
    async def update_container(
        self,
        container_id: uuid.UUID | str,
        items_json: list[dict[str, Any]] | None = None,
        lock_state: str | None = None,
        metadata_json: dict[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> dict[str, Any] | None:
        """Change the lock state, the metadata, or the whole contents, in one transaction.

        ``items_json`` replaces the contents: listed instances are kept, new ones are created
        from their prototype, and instances no longer listed are deleted. An entry naming an
        existing instance changes only the fields it gives, so entries read from
        ``get_container`` and written back unchanged change nothing. Invalid entries are
        skipped with a logged warning, as by create_container.

        Returns:
            The old container dict, or None if there is no such container.
        """
        updated = await self._containers.update(
            container_id,
            None if items_json is None else item_entries(items_json),  # type: ignore[arg-type]
            lock_state,
            metadata_json,
            lenient=True,
        )
        return None if updated is None else container_dict(updated)

    @_write
    async def update_container_data(
        self,
        container_id: uuid.UUID | str,
        *,
        items_json: list[dict[str, Any]] | None = None,
        lock_state: str | None = None,
        metadata_json: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> ContainerData:
        """update_container for new code: returns ContainerData and refuses a bad item.

        Raises:
            NotFoundError: no container has this id.
            ValidationError: bad input; nothing is written.
            CapacityError: the items do not fit.
        """
        updated = await self._containers.update(container_id, items_json, lock_state, metadata_json)
        if updated is None:
            raise NotFoundError("Container", container_id)
        return updated

    @_write
    async def delete_container(
        self, container_id: uuid.UUID | str, *, idempotency_key: str | None = None
    ) -> bool:
        """Delete the container and the item instances in it; False if it did not exist."""
        return await self._containers.delete(container_id)

    @_write
    async def add_item_to_container(
        self,
        container_id: uuid.UUID | str,
        item_instance_id: str,
        *,
        position: int | None = None,
        idempotency_key: str | None = None,
    ) -> ContainerData:
        """Put an item that is in no container into this one (the lowest free slot by default).

        Publishes ``ItemTransferred`` after the commit.

        Raises:
            CapacityError: no free slot, or over the weight limit.
            ConflictError: the item is already in a container, or ``position`` is taken.
        """
        return await self._containers.add(container_id, item_instance_id, position)

    @_write
    async def remove_item_from_container(
        self,
        container_id: uuid.UUID | str,
        item_instance_id: str,
        *,
        to_owner_type: str = "room",
        to_owner_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> ContainerData:
        """Take an item out and give it to a room (the container's, by default) or a player.

        Publishes ``ItemTransferred`` after the commit.
        """
        return await self._containers.remove(
            container_id, item_instance_id, to_owner_type, to_owner_id
        )

    @_write
    async def transfer_item(
        self,
        item_instance_id: str,
        *,
        from_container_id: uuid.UUID | str,
        to_container_id: uuid.UUID | str,
        idempotency_key: str | None = None,
    ) -> ContainerData:
        """Move an item between containers atomically; return the destination.

        Publishes ``ItemTransferred`` after the commit.

        Raises:
            ConflictError: the item is not (or no longer) in the source container.
            CapacityError: the destination is full or over its weight limit.
        """
        return await self._containers.transfer(item_instance_id, from_container_id, to_container_id)
