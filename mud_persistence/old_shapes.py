"""The old layer's shapes, at the facade edge: plain container dicts going out; the old params
object, keyword names and item entries coming in. Nothing below the facade sees these shapes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from mud_persistence.schemas.container import ContainerData, as_plain

# The attributes of the old ContainerCreateParams dataclass, read from any object that has them.
OLD_CREATE_PARAMS = (
    "owner_id",
    "room_id",
    "entity_id",
    "lock_state",
    "capacity_slots",
    "weight_limit",
    "decay_at",
    "allowed_roles",
    "items_json",
    "metadata_json",
    "container_item_instance_id",
)
OLD_NAMES = {"items_json": "items", "metadata_json": "metadata"}


def create_fields(params: object, keywords: Mapping[str, Any]) -> dict[str, Any]:
    """create_container's fields from ``params`` (a ContainerCreateParams, the old dataclass or
    any object with its attribute names, or a dict) and keyword arguments, which win.

    None means "not given", as in the old layer, whose params object defaulted every field to
    None; the old names ``items_json``/``metadata_json`` become ``items``/``metadata``.
    """
    if params is None:
        given: dict[str, Any] = {}
    elif isinstance(params, BaseModel):
        given = params.model_dump(exclude_unset=True)
    elif isinstance(params, Mapping):
        given = dict(params)
    else:
        given = {name: getattr(params, name) for name in OLD_CREATE_PARAMS if hasattr(params, name)}
    fields = {OLD_NAMES.get(k, k): v for k, v in {**given, **keywords}.items() if v is not None}
    fields.pop("source_type", None)  # create_container's own argument decides
    return fields


def item_entries(entries: object) -> object:
    """Old ``items_json`` entries as the repository reads them.

    The entries the old layer returned carry renderings it never read back: ``condition`` as
    ``"pristine"`` (none) or ``"80"``, and ``slot_type``/``position`` it did not store (items were
    placed in list order). Those are dropped, so an entry read from a container and written
    back unchanged changes nothing. Anything else is left for validation to judge.
    """
    if not isinstance(entries, list):
        return entries
    return [old_entry(entry) if isinstance(entry, Mapping) else entry for entry in entries]


def old_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    fields = {
        k: v for k, v in entry.items() if v is not None and k not in ("position", "slot_type")
    }
    condition = fields.get("condition")
    if condition == "pristine":
        del fields["condition"]
    elif isinstance(condition, str) and condition.isdecimal():
        fields["condition"] = int(condition)
    return fields


def item_options(data: Mapping[str, Any] | None, keywords: Mapping[str, Any]) -> dict[str, Any]:
    """Item instance options from the old positional dict and keyword arguments (which win).

    None means "not given", and the old alias ``metadata_payload`` means ``metadata``.
    """
    options = {k: v for k, v in {**(data or {}), **keywords}.items() if v is not None}
    payload = options.pop("metadata_payload", None)
    if payload is not None:
        options.setdefault("metadata", payload)
    return options


def container_dict(data: ContainerData) -> dict[str, Any]:
    """The old layer's container dict: its fourteen keys in its order, string ids, ISO times."""
    return old_container(as_plain(data))


def old_container(plain: dict[str, Any]) -> dict[str, Any]:
    """The old container dict from a container as JSON values (``as_plain``'s shape, which
    the listing statement returns as is)."""
    return {
        "container_id": plain["container_id"],
        "source_type": plain["source_type"],
        "owner_id": plain["owner_id"],
        "room_id": plain["room_id"],
        "entity_id": plain["entity_id"],
        "lock_state": plain["lock_state"],
        "capacity_slots": plain["capacity_slots"],
        "weight_limit": plain["weight_limit"],
        "decay_at": plain["decay_at"],
        "allowed_roles": plain["allowed_roles"],
        "created_at": plain["created_at"],
        "updated_at": plain["updated_at"],
        "items_json": [item_dict(item) for item in plain["items"]],
        "metadata_json": plain["metadata"],
    }


def item_dict(item: dict[str, Any]) -> dict[str, Any]:
    """One ``items_json`` entry as the old layer rendered it (its slot_type was constant)."""
    condition = item["condition"]
    return {
        "item_instance_id": item["item_instance_id"],
        "item_id": item["item_id"] or None,
        "item_name": item["item_name"] or "Unknown Item",
        "quantity": item["quantity"],
        "condition": str(condition) if condition else "pristine",
        "position": item["position"],
        "metadata": item["metadata"],
        "slot_type": "backpack",
    }
