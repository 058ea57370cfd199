"""Player methods of the facade, on PostgreSQL and SQLite."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from mud_persistence import (
    AsyncPersistenceLayer,
    ConflictError,
    NotFoundError,
    StaleDataError,
    ValidationError,
)
from mud_persistence.models import DEFAULT_ROOM_ID

HALLWAY = "earth_arkhamcity_sanitarium_room_hallway_001"


def stack(item_id: str = "lamp", quantity: int = 1) -> dict[str, object]:
    return {
        "item_id": item_id,
        "item_name": item_id.title(),
        "slot_type": "bag",
        "quantity": quantity,
    }


async def test_create_player_fills_database_defaults(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    user_id = uuid.uuid4()
    player = await contract_persistence.create_player(
        name="Armitage", user_id=str(user_id), stats={"strength": 70, "max_dp": 30}
    )
    assert player.user_id == str(user_id) and player.user_uuid == user_id
    assert player.current_room_id == DEFAULT_ROOM_ID
    assert (player.strength, player.dexterity, player.current_dp, player.max_dp) == (70, 50, 20, 30)
    assert (player.level, player.experience_points, player.inventory) == (1, 0, [])
    assert player.created_at is not None
    assert player.changed_fields() == {}


async def test_create_player_with_a_profession_and_room(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    await contract_persistence.seed_professions()
    scholar = next(p for p in await contract_persistence.get_professions() if p.name == "Scholar")
    player = await contract_persistence.create_player(
        name="Wilmarth", user_id=uuid.uuid4(), profession_id=scholar.id, current_room_id=HALLWAY
    )
    loaded = await contract_persistence.get_player_by_id(player.player_id)
    assert loaded is not None
    assert (loaded.profession_id, loaded.current_room_id) == (scholar.id, HALLWAY)


async def test_duplicate_active_name_in_any_case_is_a_conflict(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    first = await contract_persistence.create_player(name="Keziah", user_id=uuid.uuid4())
    with pytest.raises(ConflictError, match="KEZIAH"):
        await contract_persistence.create_player(name="KEZIAH", user_id=uuid.uuid4())
    assert await contract_persistence.soft_delete_player(first.player_id)
    await contract_persistence.create_player(name="keziah", user_id=uuid.uuid4())


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 51}, "name"),
        ({"name": None}, "name"),
        ({"name": "   "}, "name"),
        ({"user_id": "not-a-uuid"}, "user_id"),
        ({"stats": {"strength": 1000}}, "strength"),
        ({"stats": {"fear": -1}}, "fear"),
        ({"stats": {"charm": 10}}, "charm"),
        ({"stats": {"luck": "7"}}, "luck"),
        ({"profession_id": 999}, "profession_id"),
    ],
    ids=repr,
)
async def test_bad_player_input_is_refused_and_nothing_is_written(
    contract_persistence: AsyncPersistenceLayer, fields: dict[str, object], bad_field: str
) -> None:
    arguments: dict[str, object] = {"name": "Valid", "user_id": uuid.uuid4(), **fields}
    with pytest.raises(ValidationError) as caught:
        await contract_persistence.create_player(**arguments)  # type: ignore[arg-type]
    assert caught.value.field == bad_field
    assert bad_field in str(caught.value)
    assert await contract_persistence.list_players(include_deleted=True) == []


@pytest.mark.parametrize(
    "name", ["O'Brien", 'Robert "Bob" Olmstead', "x; DROP TABLE players; --", "Ñyarlathotep ☥"]
)
async def test_names_with_quotes_and_sql_are_stored_verbatim(
    contract_persistence: AsyncPersistenceLayer, name: str
) -> None:
    await contract_persistence.create_player(name=name, user_id=uuid.uuid4())
    found = await contract_persistence.get_player_by_name(name)
    assert found is not None and found.name == name


async def test_name_lookup_folds_case_beyond_ascii_on_postgres(
    persistence: AsyncPersistenceLayer,
) -> None:
    await persistence.create_player(name="Ñyarlathotep", user_id=uuid.uuid4())
    found = await persistence.get_player_by_name("ñYARLATHOTEP")
    assert found is not None and found.name == "Ñyarlathotep"


async def test_lookups_by_name_and_user(contract_persistence: AsyncPersistenceLayer) -> None:
    user = uuid.uuid4()
    older = await contract_persistence.create_player(name="Elder", user_id=user)
    newer = await contract_persistence.create_player(name="Younger", user_id=user)
    await contract_persistence.create_player(name="Stranger", user_id=uuid.uuid4())

    found = await contract_persistence.get_player_by_name("eLdEr")
    assert found is not None and found.player_id == older.player_id
    assert await contract_persistence.get_player_by_name("nobody") is None
    oldest = await contract_persistence.get_player_by_user_id(user)
    assert oldest is not None and oldest.player_id == older.player_id
    ids = [p.player_id for p in await contract_persistence.get_players_by_user_id(user)]
    assert ids == [older.player_id, newer.player_id]

    await contract_persistence.soft_delete_player(older.player_id)
    oldest = await contract_persistence.get_player_by_user_id(user)
    assert oldest is not None and oldest.player_id == newer.player_id
    active = await contract_persistence.get_active_players_by_user_id(user)
    assert [p.player_id for p in active] == [newer.player_id]
    # the old contract: get_players_by_user_id includes soft-deleted characters
    everyone = await contract_persistence.get_players_by_user_id(user)
    assert [p.player_id for p in everyone] == [older.player_id, newer.player_id]
    assert everyone[0].is_deleted and not everyone[1].is_deleted
    assert await contract_persistence.get_players_by_user_id(user_id=str(user)) == everyone
    only_active = await contract_persistence.get_players_by_user_id(user, include_deleted=False)
    assert [p.player_id for p in only_active] == [newer.player_id]
    assert await contract_persistence.get_player_by_name("Elder") is None
    deleted = await contract_persistence.get_player_by_id(older.player_id)
    assert deleted is not None and deleted.is_deleted and deleted.deleted_at is not None


async def test_lists_leave_out_soft_deleted_players(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    here = await contract_persistence.create_player(
        name="Here", user_id=uuid.uuid4(), current_room_id=HALLWAY
    )
    gone = await contract_persistence.create_player(
        name="Gone", user_id=uuid.uuid4(), current_room_id=HALLWAY
    )
    await contract_persistence.soft_delete_player(gone.player_id)

    in_room = await contract_persistence.get_players_in_room(HALLWAY)
    assert [p.player_id for p in in_room] == [here.player_id]
    assert [p.player_id for p in await contract_persistence.list_players()] == [here.player_id]
    assert len(await contract_persistence.list_players(include_deleted=True)) == 2


async def test_get_players_batch(contract_persistence: AsyncPersistenceLayer) -> None:
    one = await contract_persistence.create_player(name="One", user_id=uuid.uuid4())
    two = await contract_persistence.create_player(name="Two", user_id=uuid.uuid4())
    batch = await contract_persistence.get_players_batch([one.player_id, str(two.player_id)])
    assert set(batch) == {one.player_uuid, two.player_uuid}  # keyed by UUID, as before
    assert batch[two.player_uuid].name == "Two"
    assert await contract_persistence.get_players_batch([]) == {}
    assert await contract_persistence.get_players_batch([uuid.uuid4()]) == {}
    with pytest.raises(ValidationError, match="player_ids"):
        await contract_persistence.get_players_batch(["nope"])


async def test_save_player_writes_changed_fields(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    created = await contract_persistence.create_player(name="Saver", user_id=uuid.uuid4())
    player = await contract_persistence.get_player_by_id(created.player_id)
    assert player is not None
    player.current_room_id = HALLWAY
    player.inventory = [stack("lamp"), stack("coin", 12)]
    player.equipped = {"main_hand": stack("knife")}
    player.set_stats({"luck": 77, "max_dp": 40})
    await contract_persistence.save_player(player)
    assert player.changed_fields() == {}

    loaded = await contract_persistence.get_player_by_id(created.player_id)
    assert loaded is not None
    assert loaded.current_room_id == HALLWAY
    assert loaded.inventory == player.inventory and loaded.equipped == player.equipped
    assert loaded.get_stats()["luck"] == 77 and loaded.get_stats()["max_dp"] == 40


@pytest.mark.parametrize(
    ("change", "bad_field"),
    [
        ({"inventory": [stack(f"i{n}") for n in range(21)]}, "inventory"),
        ({"inventory": [stack("coin", 0)]}, "inventory.0.quantity"),
        ({"inventory": [{"item_id": "x"}]}, "inventory.0.item_name"),
        ({"equipped": {"main_hand": stack("knife", 2)}}, "equipped.main_hand.quantity"),
        ({"equipped": {"Main Hand": stack("knife")}}, "equipped.Main Hand.[key]"),
        ({"name": ""}, "name"),
        ({"current_room_id": None}, "current_room_id"),
        ({"position": "flying"}, "position"),
        ({"fear": 101}, "fear"),
    ],
    ids=repr,
)
async def test_bad_saves_are_refused_and_nothing_is_written(
    contract_persistence: AsyncPersistenceLayer, change: dict[str, object], bad_field: str
) -> None:
    created = await contract_persistence.create_player(name="Careful", user_id=uuid.uuid4())
    player = await contract_persistence.get_player_by_id(created.player_id)
    assert player is not None
    player.current_room_id = HALLWAY  # a valid change beside the bad one
    for name, value in change.items():
        setattr(player, name, value)
    with pytest.raises(ValidationError) as caught:
        await contract_persistence.save_player(player)
    assert caught.value.field is not None and caught.value.field.startswith(bad_field.split(".")[0])
    reloaded = await contract_persistence.get_player_by_id(created.player_id)
    assert reloaded is not None and reloaded.current_room_id == DEFAULT_ROOM_ID


async def test_saving_a_deleted_player_is_not_found(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    player = await contract_persistence.create_player(name="Ghost", user_id=uuid.uuid4())
    await contract_persistence.soft_delete_player(player.player_id)
    player.current_room_id = HALLWAY
    with pytest.raises(NotFoundError):
        await contract_persistence.save_player(player)
    # the old contract: True whenever the row exists, deleted already or not
    assert await contract_persistence.soft_delete_player(player.player_id)
    assert await contract_persistence.soft_delete_player(player_id=str(player.player_id))
    assert await contract_persistence.delete_player(player.player_id)
    assert not await contract_persistence.delete_player(player.player_id)
    assert not await contract_persistence.soft_delete_player(player.player_id)


async def test_update_player_last_active_leaves_a_deleted_player_alone(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    # issue 13, "also looked at": counters and save_player refuse a deleted player, so a
    # connection event must not make a deleted character look active either
    player = await contract_persistence.create_player(name="Gone", user_id=uuid.uuid4())
    await contract_persistence.soft_delete_player(player.player_id)
    before = await contract_persistence.get_player_by_id(player.player_id)
    assert before is not None
    await contract_persistence.update_player_last_active(
        player.player_id, datetime(2030, 1, 1, tzinfo=UTC)
    )
    after = await contract_persistence.get_player_by_id(player.player_id)
    assert after is not None and after.last_active == before.last_active


async def test_stale_copy_of_a_changed_field_is_refused(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    created = await contract_persistence.create_player(name="Twin", user_id=uuid.uuid4())
    first = await contract_persistence.get_player_by_id(created.player_id)
    second = await contract_persistence.get_player_by_id(created.player_id)
    assert first is not None and second is not None
    first.current_room_id = HALLWAY
    second.current_room_id = "earth_arkhamcity_sanitarium_room_basement_001"
    await contract_persistence.save_player(first)
    with pytest.raises(StaleDataError, match="current_room_id"):
        await contract_persistence.save_player(second)
    reloaded = await contract_persistence.get_player_by_id(created.player_id)
    assert reloaded is not None and reloaded.current_room_id == HALLWAY


async def test_save_players_is_all_or_nothing(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    good = await contract_persistence.create_player(name="Good", user_id=uuid.uuid4())
    bad = await contract_persistence.create_player(name="Bad", user_id=uuid.uuid4())
    good.current_room_id = HALLWAY
    bad.equipped = {"head": stack("hat", 3)}
    with pytest.raises(ValidationError):
        await contract_persistence.save_players([good, bad])
    reloaded = await contract_persistence.get_player_by_id(good.player_id)
    assert reloaded is not None and reloaded.current_room_id == DEFAULT_ROOM_ID

    bad.equipped = {"head": stack("hat")}
    await contract_persistence.save_players([good, bad])
    batch = await contract_persistence.get_players_batch([good.player_id, bad.player_id])
    assert batch[good.player_uuid].current_room_id == HALLWAY
    assert batch[bad.player_uuid].equipped == {"head": stack("hat")}


async def test_update_last_active(contract_persistence: AsyncPersistenceLayer) -> None:
    player = await contract_persistence.create_player(name="Clock", user_id=uuid.uuid4())
    naive = datetime(2030, 1, 2, 3, 4, 5)
    await contract_persistence.update_player_last_active(player.player_id, naive)
    loaded = await contract_persistence.get_player_by_id(player.player_id)
    assert loaded is not None and loaded.last_active == naive.replace(tzinfo=UTC)

    before = datetime.now(UTC) - timedelta(seconds=5)
    await contract_persistence.update_player_last_active(player.player_id)
    loaded = await contract_persistence.get_player_by_id(player.player_id)
    assert loaded is not None and loaded.last_active >= before
    # the old contract: an unknown player is a no-op, not an error
    assert await contract_persistence.update_player_last_active(uuid.uuid4()) is None
    assert await contract_persistence.update_player_last_active(str(uuid.uuid4()), naive) is None
    with pytest.raises(ValidationError, match="player_id"):
        await contract_persistence.update_player_last_active("nobody")


async def test_professions(contract_persistence: AsyncPersistenceLayer) -> None:
    assert await contract_persistence.seed_professions() == 5
    assert await contract_persistence.seed_professions() == 5  # upsert: still five
    available = await contract_persistence.get_professions()
    every = await contract_persistence.get_all_professions()
    assert len(every) == 5 and len(available) == 4
    assert [p.id for p in every] == sorted(p.id for p in every)
    assert all(p.is_available for p in available)
    assert await contract_persistence.get_profession_by_id(every[0].id) == every[0]
    assert await contract_persistence.get_profession_by_id(9999) is None

    changed = [{"name": "Tramp", "description": "Changed.", "is_available": False}]
    assert await contract_persistence.seed_professions(changed) == 1
    tramp = next(p for p in await contract_persistence.get_all_professions() if p.name == "Tramp")
    assert (tramp.description, tramp.is_available) == ("Changed.", False)
    with pytest.raises(ValidationError, match="name"):
        await contract_persistence.seed_professions([{"name": ""}])
