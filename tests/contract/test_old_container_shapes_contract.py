"""The old layer's container and item call shapes and result shapes, on PostgreSQL and SQLite.

Game code written for the old layer passes its own params object, the old keyword names and the
dicts it read back, and validates what it gets with its own schema (extra keys forbidden).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pydantic
import pytest

from mud_persistence import AsyncPersistenceLayer, ValidationError

KNIFE, COIN, BANDAGE = "weapon.knife.rusted", "misc.coin.silver", "consumable.bandage"

OLD_KEYS = [
    "container_id",
    "source_type",
    "owner_id",
    "room_id",
    "entity_id",
    "lock_state",
    "capacity_slots",
    "weight_limit",
    "decay_at",
    "allowed_roles",
    "created_at",
    "updated_at",
    "items_json",
    "metadata_json",
]
OLD_ITEM_KEYS = [
    "item_instance_id",
    "item_id",
    "item_name",
    "quantity",
    "condition",
    "position",
    "metadata",
    "slot_type",
]


@dataclass
class OldCreateParams:
    """The old layer's ContainerCreateParams, as game code builds it."""

    owner_id: uuid.UUID | None = None
    room_id: str | None = None
    entity_id: uuid.UUID | None = None
    lock_state: str = "unlocked"
    capacity_slots: int = 20
    weight_limit: int | None = None
    decay_at: datetime | None = None
    allowed_roles: list[str] | None = None
    items_json: list[dict[str, Any]] | None = None
    metadata_json: dict[str, Any] | None = None
    container_item_instance_id: str | None = None


class GameContainer(pydantic.BaseModel):
    """The game's own container schema: it forbids keys it does not know."""

    model_config = pydantic.ConfigDict(extra="forbid")

    container_id: uuid.UUID
    source_type: str
    owner_id: uuid.UUID | None = None
    room_id: str | None = None
    entity_id: uuid.UUID | None = None
    lock_state: str = "unlocked"
    capacity_slots: int = pydantic.Field(ge=1, le=20)
    weight_limit: int | None = None
    decay_at: datetime | None = None
    allowed_roles: list[str] = []
    items: list[dict[str, Any]] = []
    metadata: dict[str, Any] = {}


def as_game_container(data: dict[str, Any]) -> GameContainer:
    """What the game does with a container dict: drop the times, rename the two JSON keys."""
    kept = {k: v for k, v in data.items() if k not in ("created_at", "updated_at")}
    kept["items"] = kept.pop("items_json")
    kept["metadata"] = kept.pop("metadata_json")
    return GameContainer.model_validate(kept)


def assert_old_shape(data: Any) -> None:
    assert type(data) is dict and list(data) == OLD_KEYS
    assert type(data["container_id"]) is str and uuid.UUID(data["container_id"])
    for key in ("owner_id", "entity_id"):
        assert data[key] is None or (type(data[key]) is str and uuid.UUID(data[key]))
    for key in ("decay_at", "created_at", "updated_at"):
        if key != "decay_at" or data[key] is not None:
            moment = datetime.fromisoformat(data[key])
            assert moment.utcoffset() == timedelta(0)
    assert type(data["source_type"]) is str and type(data["lock_state"]) is str
    assert type(data["capacity_slots"]) is int
    assert data["weight_limit"] is None or type(data["weight_limit"]) is int
    assert type(data["allowed_roles"]) is list and type(data["metadata_json"]) is dict
    for item in data["items_json"]:
        assert type(item) is dict and list(item) == OLD_ITEM_KEYS
        assert [type(item[k]) for k in OLD_ITEM_KEYS] == [str, str, str, int, str, int, dict, str]
        assert item["slot_type"] == "backpack"
    as_game_container(data)


@pytest.fixture
async def layer(contract_persistence: AsyncPersistenceLayer) -> AsyncPersistenceLayer:
    await contract_persistence.seed_item_prototypes()
    return contract_persistence


async def new_player(layer: AsyncPersistenceLayer) -> uuid.UUID:
    player = await layer.create_player(name=f"p{uuid.uuid4().hex[:10]}", user_id=uuid.uuid4())
    return player.player_id


def inventory_stack(prototype: str, **extra: Any) -> dict[str, Any]:
    """A stack from a player's inventory, as the game passes it in items_json."""
    return {
        "item_instance_id": f"inst-{uuid.uuid4().hex[:12]}",
        "prototype_id": prototype,
        "item_id": prototype,
        "item_name": "whatever the player saw",
        "slot_type": "head",
        "quantity": 1,
        "metadata": {},
        "flags": [],
        "origin": {"source": "loot"},
        "created_at": "2025-01-01T00:00:00+00:00",
        **extra,
    }


async def test_every_old_named_container_method_returns_the_old_dict_shape(
    layer: AsyncPersistenceLayer,
) -> None:
    owner = await new_player(layer)
    past = datetime.now(UTC) - timedelta(minutes=1)
    corpse = await layer.create_container(
        source_type="corpse",
        owner_id=owner,
        room_id="crypt",
        capacity_slots=20,
        decay_at=past,
        items_json=[inventory_stack(KNIFE), inventory_stack(COIN, quantity=7)],
        metadata_json={"player_name": "Wilbur"},
    )
    gear = await layer.create_container(
        "equipment", entity_id=owner, items_json=[{"item_id": BANDAGE}]
    )
    assert_old_shape(corpse)
    assert_old_shape(gear)
    assert corpse["owner_id"] == str(owner) and gear["entity_id"] == str(owner)
    assert corpse["decay_at"] == past.isoformat()
    assert [i["item_id"] for i in corpse["items_json"]] == [KNIFE, COIN]
    assert [i["position"] for i in corpse["items_json"]] == [0, 1]

    reads = [
        [await layer.get_container(corpse["container_id"])],
        await layer.get_containers_by_room_id("crypt"),
        await layer.get_containers_by_entity_id(owner),
        await layer.get_containers_by_entity_id(str(owner)),
        await layer.get_decayed_containers(),
        [await layer.update_container(corpse["container_id"], lock_state="locked")],
    ]
    for read in reads:
        assert len(read) == 1
        assert_old_shape(read[0])
    assert reads[0][0] == corpse
    assert reads[2][0] == gear
    assert reads[5][0]["lock_state"] == "locked"


async def test_item_values_are_rendered_as_the_old_layer_rendered_them(
    layer: AsyncPersistenceLayer,
) -> None:
    chest = await layer.create_container_data(
        "environment",
        room_id="hall",
        items=[
            {"item_id": KNIFE, "condition": 80, "item_name": "Grandad's Knife"},
            {"item_id": KNIFE, "condition": 0},
            {"item_id": COIN, "quantity": 3, "slot_type": "pouch", "metadata": {"minted": 1920}},
        ],
    )
    old = await layer.get_container(chest.container_id)
    assert old is not None
    assert [(i["condition"], i["item_name"]) for i in old["items_json"]] == [
        ("80", "Grandad's Knife"),
        ("pristine", "Rusted Knife"),
        ("pristine", "Silver Dollar"),
    ]
    coins = old["items_json"][2]
    assert (coins["quantity"], coins["slot_type"]) == (3, "backpack")
    assert coins["metadata"] == {"minted": 1920, "slot_type": "pouch"}
    assert coins["item_instance_id"] == chest.items[2].item_instance_id


async def test_create_container_takes_the_old_params_object_a_dict_or_any_such_object(
    layer: AsyncPersistenceLayer,
) -> None:
    decay = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    params = OldCreateParams(
        room_id="vault",
        capacity_slots=5,
        decay_at=decay,
        items_json=[{"item_id": COIN, "quantity": 2}],
        metadata_json={"from": "dataclass"},
    )
    from_dataclass = await layer.create_container("corpse", params)
    assert_old_shape(from_dataclass)
    assert (from_dataclass["capacity_slots"], from_dataclass["decay_at"]) == (5, decay.isoformat())
    assert from_dataclass["metadata_json"] == {"from": "dataclass"}
    assert [i["quantity"] for i in from_dataclass["items_json"]] == [2]

    from_dict = await layer.create_container(
        "environment", {"room_id": "vault", "lock_state": "sealed", "allowed_roles": ["warden"]}
    )
    assert (from_dict["lock_state"], from_dict["allowed_roles"]) == ("sealed", ["warden"])

    duck = SimpleNamespace(room_id="vault", weight_limit=9, items_json=None)
    from_object = await layer.create_container("environment", duck)
    assert (from_object["weight_limit"], from_object["capacity_slots"]) == (9, 20)

    keywords_win = await layer.create_container("environment", params, capacity_slots=2)
    assert keywords_win["capacity_slots"] == 2 and keywords_win["source_type"] == "environment"


async def test_default_capacity_is_20_and_a_corpse_needs_no_room(
    layer: AsyncPersistenceLayer,
) -> None:
    owner = await new_player(layer)
    for created in [
        await layer.create_container("environment", room_id="r"),
        await layer.create_container("equipment", entity_id=owner),
        await layer.create_container("corpse"),
    ]:
        assert created["capacity_slots"] == 20
    nowhere = await layer.create_container("corpse", OldCreateParams(room_id=None))
    assert nowhere["room_id"] is None
    with pytest.raises(ValidationError, match="room_id"):
        await layer.create_container("environment")


async def test_invalid_item_entries_are_skipped_with_a_warning_naming_each(
    layer: AsyncPersistenceLayer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="mud_persistence")
    created = await layer.create_container(
        "corpse",
        room_id="crypt",
        items_json=[
            {"item_id": KNIFE},
            {"item_id": "no.such.thing"},
            {"item_id": COIN, "quantity": 0},
            "not an item",
            {"quantity": 2},
            {"item_id": COIN, "item_instance_id": "dup-1"},
            {"item_id": COIN, "item_instance_id": "dup-1"},
        ],
    )
    assert [i["item_id"] for i in created["items_json"]] == [KNIFE, COIN]
    warnings = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    for named in ("no.such.thing", "'quantity': 0", "not an item", "{'quantity': 2}", "dup-1"):
        assert named in warnings
    assert await layer.get_container(created["container_id"]) == created


async def test_update_container_takes_positional_arguments_and_gives_none_when_missing(
    layer: AsyncPersistenceLayer,
) -> None:
    chest = await layer.create_container("environment", room_id="hall")
    updated = await layer.update_container(
        uuid.UUID(chest["container_id"]), [{"item_id": KNIFE}], "locked", {"trap": "needle"}
    )
    assert updated is not None
    assert_old_shape(updated)
    assert (updated["lock_state"], updated["metadata_json"]) == ("locked", {"trap": "needle"})
    assert [i["item_id"] for i in updated["items_json"]] == [KNIFE]
    assert await layer.update_container(uuid.uuid4(), [{"item_id": KNIFE}]) is None
    assert await layer.update_container(str(uuid.uuid4()), None, "sealed") is None


async def test_items_read_and_written_back_unchanged_stay_unchanged(
    layer: AsyncPersistenceLayer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="mud_persistence")
    chest = await layer.create_container_data(
        "environment",
        room_id="hall",
        items=[
            {"item_id": COIN, "quantity": 50, "condition": 80, "item_name": "Doubloons"},
            {"item_id": KNIFE, "metadata": {"engraved": "H.W."}},
        ],
    )
    before = await layer.get_container(chest.container_id)
    assert before is not None
    after = await layer.update_container(chest.container_id, items_json=before["items_json"])
    assert after is not None
    assert after["items_json"] == before["items_json"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]

    # the game's transfer: the same list minus one entry, plus a stack from an inventory
    moved_in = inventory_stack(BANDAGE, quantity=2)
    entries = [*before["items_json"][1:], moved_in]
    final = await layer.update_container(chest.container_id, items_json=entries)
    assert final is not None
    assert [(i["item_id"], i["quantity"], i["position"]) for i in final["items_json"]] == [
        (KNIFE, 1, 0),
        (BANDAGE, 2, 1),
    ]
    assert final["items_json"][0]["metadata"] == {"engraved": "H.W."}
    assert final["items_json"][1]["item_instance_id"] == moved_in["item_instance_id"]
    assert final["items_json"][1]["metadata"] == {}  # the stack's slot_type is not stored


async def test_create_item_instance_takes_the_old_options_dict(
    layer: AsyncPersistenceLayer,
) -> None:
    created = await layer.create_item_instance(
        "summoned-1",
        KNIFE,
        {
            "owner_type": "room",
            "owner_id": "altar",
            "quantity": 2,
            "metadata": None,
            "origin_source": "admin_summon",
            "origin_metadata": {"summoned_by": "Armitage"},
        },
    )
    assert (created.owner_id, created.quantity, created.metadata) == ("altar", 2, {})
    assert created.origin_metadata == {"summoned_by": "Armitage"}
    payload = await layer.create_item_instance(
        "summoned-2", COIN, {"metadata_payload": {"minted": 1920}}, quantity=3
    )
    assert (payload.metadata, payload.quantity) == ({"minted": 1920}, 3)

    # ensure_item_instance as the game's pickup and put commands call it
    ensured = await layer.ensure_item_instance(
        item_instance_id="picked-1",
        prototype_id=BANDAGE,
        owner_type="player",
        owner_id=str(uuid.uuid4()),
        quantity=1,
        metadata=None,
        origin_source="pickup",
        origin_metadata={"room_id": "hall"},
    )
    assert ensured.owner_type == "player" and ensured.metadata == {}
    again = await layer.ensure_item_instance("picked-1", BANDAGE, {"quantity": 5})
    assert again.quantity == 1  # never overwritten

    upserted = await layer.upsert_item_instance("picked-1", BANDAGE, {"quantity": 5})
    assert upserted.quantity == 5
    assert await layer.item_instance_exists("picked-1")
    fetched = await layer.get_item_instance("picked-1")
    assert fetched is not None and fetched.quantity == 5
    assert await layer.get_item_instance("nothing-here") is None


@pytest.mark.parametrize(
    "method", ["create_item_instance", "ensure_item_instance", "upsert_item_instance"]
)
async def test_an_item_cannot_be_put_in_a_container_by_its_owner_columns(
    layer: AsyncPersistenceLayer, method: str
) -> None:
    chest = await layer.create_container_data("environment", room_id="hall")
    with pytest.raises(ValidationError, match="add_item_to_container"):
        await getattr(layer, method)(
            "orphan-1", KNIFE, {"owner_type": "container", "owner_id": str(chest.container_id)}
        )
    assert not await layer.item_instance_exists("orphan-1")
    await layer.create_item_instance("orphan-1", KNIFE)
    placed = await layer.add_item_to_container(chest.container_id, "orphan-1")
    assert [i.item_instance_id for i in placed.items] == ["orphan-1"]


async def test_a_container_decays_only_once_its_decay_time_has_passed(
    layer: AsyncPersistenceLayer,
) -> None:
    moment = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
    corpse = await layer.create_container("corpse", room_id="moor", decay_at=moment)
    assert await layer.get_decayed_containers(moment) == []  # the old rule: strictly before
    naive_later = (moment + timedelta(seconds=1)).replace(tzinfo=None)  # naive: UTC
    assert [c["container_id"] for c in await layer.get_decayed_containers(naive_later)] == [
        corpse["container_id"]
    ]
