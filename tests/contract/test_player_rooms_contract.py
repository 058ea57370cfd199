"""The old layer's room checks on players: validate_and_fix_player_room changes the object only;
the reads by id, name, user and batch fix an unknown room on load and save the fix
(tests/contract/test_game_call_sites_contract.py checks the reads by user and batch)."""

from __future__ import annotations

import uuid

import pytest

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.models import DEFAULT_ROOM_ID
from mud_persistence.schemas.room import TUTORIAL_BEDROOM_ID

pytestmark = pytest.mark.contract

VOID = "earth_nowhere_room_void_001"
HALLWAY = "earth_arkhamcity_sanitarium_room_hallway_001"


async def stored_room(layer: AsyncPersistenceLayer, player_id: uuid.UUID | str) -> str:
    # Every read fixes rooms, except with an empty room cache: read through a layer that has
    # no rooms, on the same database.
    async with AsyncPersistenceLayer(layer.settings.database_url, room_loader=list) as reader:
        player = await reader.get_player_by_id(player_id)
    assert player is not None
    return player.current_room_id


async def test_validate_and_fix_changes_the_object_only(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    lost = await layer.create_player(name="Lost", user_id=uuid.uuid4(), current_room_id=VOID)
    assert layer.validate_and_fix_player_room(lost) is True
    assert lost.current_room_id == DEFAULT_ROOM_ID
    assert lost.changed_fields() == {"current_room_id": DEFAULT_ROOM_ID}
    assert await stored_room(layer, lost.player_id) == VOID
    await layer.save_player(lost)
    assert await stored_room(layer, lost.player_id) == DEFAULT_ROOM_ID
    assert layer.validate_and_fix_player_room(player=lost) is False


async def test_loading_by_id_or_name_fixes_and_saves_an_unknown_room(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    by_id = await layer.create_player(name="Wanderer", user_id=uuid.uuid4(), current_room_id=VOID)
    by_name = await layer.create_player(name="Roamer", user_id=uuid.uuid4(), current_room_id=VOID)

    loaded = await layer.get_player_by_id(by_id.player_id)
    assert loaded is not None and loaded.current_room_id == DEFAULT_ROOM_ID
    assert loaded.changed_fields() == {}  # the fix is saved, not pending
    assert await stored_room(layer, by_id.player_id) == DEFAULT_ROOM_ID

    loaded = await layer.get_player_by_name("roamer")
    assert loaded is not None and loaded.current_room_id == DEFAULT_ROOM_ID
    assert await stored_room(layer, by_name.player_id) == DEFAULT_ROOM_ID


async def test_loading_leaves_known_instanced_and_tutorial_rooms_alone(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    home = await layer.create_player(name="Home", user_id=uuid.uuid4(), current_room_id=HALLWAY)
    dreamer = await layer.create_player(
        name="Dreamer", user_id=uuid.uuid4(), current_room_id="instance_dreamlands_42"
    )
    pupil = await layer.create_player(
        name="Pupil", user_id=uuid.uuid4(), current_room_id=TUTORIAL_BEDROOM_ID
    )
    pupil.tutorial_instance_id = "tutorial-7"
    await layer.save_player(pupil)

    for player, room in [
        (home, HALLWAY),
        (dreamer, "instance_dreamlands_42"),
        (pupil, TUTORIAL_BEDROOM_ID),
    ]:
        loaded = await layer.get_player_by_id(str(player.player_id))
        assert loaded is not None and loaded.current_room_id == room
        assert layer.validate_and_fix_player_room(loaded) is False
        assert await stored_room(layer, player.player_id) == room


async def test_the_tutorial_bedroom_without_a_tutorial_instance_is_fixed(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    assert layer.get_room_by_id(TUTORIAL_BEDROOM_ID) is None  # not in the sample world
    leftover = await layer.create_player(
        name="Leftover", user_id=uuid.uuid4(), current_room_id=TUTORIAL_BEDROOM_ID
    )
    loaded = await layer.get_player_by_name(name="Leftover")
    assert loaded is not None and loaded.current_room_id == DEFAULT_ROOM_ID
    assert await stored_room(layer, leftover.player_id) == DEFAULT_ROOM_ID


async def test_the_player_methods_take_the_old_keyword_names(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    user = uuid.uuid4()
    player = await layer.create_player(name="Keyword", user_id=user)
    assert (await layer.get_player_by_id(player_id=player.player_id)) is not None
    assert (await layer.get_player_by_name(name="keyword")) is not None
    assert (await layer.get_player_by_user_id(user_id=str(user))) is not None
    assert len(await layer.get_active_players_by_user_id(user_id=user)) == 1
    assert len(await layer.get_players_in_room(room_id=player.current_room_id)) == 1
    # keyed by UUID, as the old layer keyed it
    assert list(await layer.get_players_batch(player_ids=[player.player_id])) == [
        player.player_uuid
    ]
    await layer.update_player_last_active(player_id=player.player_id, last_active=None)
    player.current_room_id = HALLWAY
    await layer.save_players(players=[player])
    await layer.save_player(player=player)
    assert await layer.soft_delete_player(player_id=player.player_id)
    assert await layer.delete_player(player_id=player.player_id)


async def test_reads_leave_a_deleted_players_room_alone(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    # issue 13, "also looked at": counters and save_player refuse a deleted player, so a read
    # that returns one (by id, by user with deleted ones, in a batch) must not write to it
    layer = contract_persistence
    user = uuid.uuid4()
    ghost = await layer.create_player(name="Ghost", user_id=user, current_room_id=VOID)
    assert await layer.soft_delete_player(ghost.player_id)

    loaded = await layer.get_player_by_id(ghost.player_id)
    assert loaded is not None and loaded.current_room_id == VOID
    assert [p.current_room_id for p in await layer.get_players_by_user_id(user)] == [VOID]
    assert [
        p.current_room_id for p in (await layer.get_players_batch([ghost.player_id])).values()
    ] == [VOID]
    assert await stored_room(layer, ghost.player_id) == VOID
