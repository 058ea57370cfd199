"""Item instances and prototypes outside containers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mud_persistence.facade.base import LayerBase
from mud_persistence.facade.operation import _read, _write
from mud_persistence.models import ItemInstance
from mud_persistence.old_shapes import item_options


class ItemsMixin(LayerBase):
    """Creating, reading and seeding item instances and prototypes."""

    # ``data`` is the old layer's positional options dict; keyword options override it. A None
    # option means "not given", as in the old layer.

    @_write
    async def create_item_instance(
        self,
        item_instance_id: str,
        prototype_id: str,
        data: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> ItemInstance:
        """Insert an item instance. Options: owner_type (room or player), owner_id, quantity,
        condition, custom_name, metadata, ... (the item_instances columns).

        Raises:
            ConflictError: the id is taken (never overwritten: use upsert_item_instance).
            ValidationError: bad options, an unknown prototype, or owner_type "container"
                (put items in containers with add_item_to_container or create_container).
        """
        options = item_options(data, kwargs)
        return await self._items.create(item_instance_id, prototype_id, **options)

    @_write
    async def ensure_item_instance(
        self,
        item_instance_id: str,
        prototype_id: str,
        data: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> ItemInstance:
        """The instance with this id, inserted only if absent; an existing one is never changed."""
        options = item_options(data, kwargs)
        return await self._items.ensure(item_instance_id, prototype_id, **options)

    @_write
    async def upsert_item_instance(
        self,
        item_instance_id: str,
        prototype_id: str,
        data: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> ItemInstance:
        """Insert the instance, or overwrite the given columns of the existing one.

        Raises:
            ConflictError: the item is in a container and the owner would change (move it
                with remove_item_from_container or transfer_item instead).
            CapacityError: the item is in a container and the new quantity or prototype
                would put the container over its weight limit.
        """
        options = item_options(data, kwargs)
        return await self._items.upsert(item_instance_id, prototype_id, **options)

    @_read
    async def item_instance_exists(self, item_instance_id: str) -> bool:
        """Whether an item instance with this id exists."""
        return await self._items.exists(item_instance_id)

    @_read
    async def get_item_instance(self, item_instance_id: str) -> ItemInstance | None:
        """The item instance with this id, or None."""
        return await self._items.get(item_instance_id)

    @_write
    async def seed_item_prototypes(
        self,
        source: Path | list[dict[str, Any]] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> int:
        """Insert or update item prototypes by id (the bundled ones by default); return how many."""
        return await self._items.seed_prototypes(source)
