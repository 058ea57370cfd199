"""The facade driven the way the game's own code drives it (MythosMUD's server/ at commit
5c3e31e9): each test repeats one call site's call shape (the same positional and keyword
arguments) and its use of the result (the keys, attributes and methods it reads), and asserts
what that code expects. The file and function named in each comment is the call site.
PostgreSQL and SQLite."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mud_persistence import AsyncPersistenceLayer, events
from mud_persistence.events import RecordingBus
from mud_persistence.models import DEFAULT_ROOM_ID, Player

HALLWAY = "earth_arkhamcity_sanitarium_room_hallway_001"
VOID = "earth_nowhere_room_void_001"


async def new_player(layer: AsyncPersistenceLayer, name: str, **columns: Any) -> Player:
    return await layer.create_player(name=name, user_id=uuid.uuid4(), **columns)


async def test_players_come_back_with_str_ids_the_game_keys_and_compares_by(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    await layer.seed_professions()
    user_id = uuid.uuid4()
    created = await layer.create_player(
        name="Armitage", user_id=user_id, profession_id=0, current_room_id=HALLWAY
    )
    id_text = str(created.player_id)

    # game/player_service.py and most commands: get_player_by_id(uuid.UUID(player_id))
    by_uuid = await layer.get_player_by_id(uuid.UUID(id_text))
    by_str = await layer.get_player_by_id(id_text)
    by_name = await layer.get_player_by_name("Armitage")
    # auth/endpoints.py, player_creation_service.py: get_active_players_by_user_id(str(user.id))
    listed = await layer.get_active_players_by_user_id(str(user_id))
    first = await layer.get_player_by_user_id(str(user_id))
    in_room = await layer.get_players_in_room(HALLWAY)
    found = [by_uuid, by_str, by_name, first, *listed, *in_room, *await layer.list_players()]
    for player in found:
        assert player is not None
        # realtime code keys sets and dicts by player.player_id and compares it with strings
        assert isinstance(player.player_id, str) and player.player_id == id_text
        assert player.player_id in {id_text}
        assert isinstance(player.user_id, str) and player.user_id == str(user_id)
    assert len(listed) < 3  # player_creation_service: the character limit check

    # auth/endpoints.py: the profession's name for the character list
    assert first is not None and first.profession_id == 0
    profession = await layer.get_profession_by_id(first.profession_id)
    assert profession is not None and isinstance(profession.name, str) and profession.name


async def test_get_players_batch_is_keyed_by_uuid_as_the_game_state_provider_reads_it(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    # realtime/integration/game_state_provider.py: get_players_batch(list of uuid.UUID), the
    # result cast to dict[uuid.UUID, Player] and read with the UUIDs it asked for, as the old
    # facade keyed it (uuid.UUID(player.player_id)).
    layer = contract_persistence
    one = await new_player(layer, "Wilmarth", current_room_id=HALLWAY)
    two = await new_player(layer, "Peaslee", current_room_id=HALLWAY)
    wanted = [uuid.UUID(one.player_id), uuid.UUID(two.player_id), uuid.uuid4()]

    players = await layer.get_players_batch(wanted)

    assert set(players) == set(wanted[:2])
    for key, player in players.items():
        assert isinstance(key, uuid.UUID) and key == uuid.UUID(player.player_id)
        assert isinstance(player.player_id, str)
    assert players[wanted[0]].name == "Wilmarth"
    assert await layer.get_players_batch([]) == {}


async def test_stats_edited_through_get_stats_are_saved_by_save_player(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    player = await new_player(layer, "Olmstead", current_room_id=HALLWAY)

    # commands/position_commands: the position written into the stats dict, then saved
    loaded = await layer.get_player_by_id(uuid.UUID(player.player_id))
    assert loaded is not None
    loaded.get_stats()["position"] = "lying"
    await layer.save_player(loaded)

    # the read, change, set_stats, save pattern of the combat and respawn services
    again = await layer.get_player_by_name("Olmstead")
    assert again is not None and again.get_stats()["position"] == "lying"
    stats = again.get_stats()
    stats["current_dp"] = -3  # mortally wounded
    stats["max_magic_points"] = stats["magic_points"]
    again.set_stats(stats)
    await layer.save_player(again)

    saved = await layer.get_player_by_id(player.player_id)
    assert saved is not None
    assert saved.get_stats()["current_dp"] == -3 and saved.is_mortally_wounded()
    assert saved.get_stats()["position"] == "lying"


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
async def test_health_and_mind_calls_take_the_game_arguments_and_publish_uuid_events(
    backend: str, pg_url: str, sqlite_url: str, cleanup: None
) -> None:
    bus = RecordingBus()
    url = pg_url if backend == "postgres" else sqlite_url
    layer = AsyncPersistenceLayer(url, None, bus)  # the old positional order: path, log, bus
    await layer.connect(migrate=backend == "sqlite")
    try:
        player = await new_player(layer, "Danforth", current_room_id=HALLWAY)
        player = await layer.get_player_by_id(uuid.UUID(player.player_id)) or player
        start = player.get_stats()

        # app/game_tick_status_effects.py and game/mechanics.py (results ignored)
        await layer.damage_player(player, 5, "status_effect")
        await layer.heal_player(player, 2)
        await layer.async_damage_player(player, 1)
        await layer.async_heal_player(player, 1)
        # game/magic/spell_effects.py, game/mechanics.py, game/player_state_service.py
        await layer.apply_lucidity_loss(player, abs(-4), "spell:mind_blast")
        await layer.apply_fear(player, 3, "unknown")
        await layer.apply_corruption(player, 2, source="ritual")
        await layer.gain_occult_knowledge(player, 6, "tome")
        await layer.gain_experience(player, 25, "combat")

        saved = await layer.get_player_by_id(player.player_id)
        assert saved is not None
        stats = saved.get_stats()
        assert stats["current_dp"] == start["current_dp"] - 3 == player.get_stats()["current_dp"]
        assert stats["lucidity"] == start["lucidity"] - 4
        assert stats["corruption"] == start["corruption"] + 2
        assert stats["occult_knowledge"] == start["occult_knowledge"] + 6
        assert saved.experience_points == 25 and saved.level == player.level  # XP only

        # the game's events carry the player's id as a UUID (server/events/event_types.py)
        dp_events = [e for e in bus.events if isinstance(e, events.PlayerDPUpdated)]
        assert len(dp_events) == 4
        assert {e.player_id for e in bus.events if hasattr(e, "player_id")} == {
            uuid.UUID(player.player_id)
        }
        xp = [e for e in bus.events if isinstance(e, events.PlayerXPAwarded)]
        assert [(e.xp_amount, e.new_xp) for e in xp] == [(25, 25)]
    finally:
        await layer.close()


async def test_login_ward_effects_as_login_grace_period_and_the_tick_use_them(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    player = await new_player(layer, "Tillinghast", current_room_id=HALLWAY)
    player_uuid = uuid.UUID(player.player_id)

    # realtime/login_grace_period.py: the player id positionally (a UUID), the rest by keyword
    await layer.add_player_effect(
        player_uuid,
        effect_type="login_warded",
        category="entry_ward",
        duration=3,
        applied_at_tick=100,
        options={"intensity": 1, "source": "game_entry", "visibility_level": "visible"},
    )
    assert await layer.has_player_effect(player_uuid, "login_warded", 102) is True
    assert await layer.get_player_effect_remaining_ticks(player.player_id, "login_warded", 101) == 2

    # app/game_tick_status_effects.py: expire, then uuid.UUID(player_id_str) per login ward
    assert await layer.expire_player_effects_for_tick(102) == []
    expired = await layer.expire_player_effects_for_tick(103)
    warded = [uuid.UUID(pid) for pid, effect_type in expired if effect_type == "login_warded"]
    assert warded == [player_uuid]
    assert await layer.has_player_effect(player_uuid, "login_warded", 103) is False


async def test_connection_and_account_calls_as_realtime_and_player_service_make_them(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    player = await new_player(layer, "Curwen", current_room_id=HALLWAY)

    # realtime/player_connection_setup.py: update_player_last_active(player_id), result unused;
    # an unknown player (a stale connection) raises nothing
    await layer.update_player_last_active(player.player_id)
    await layer.update_player_last_active(uuid.uuid4())
    touched = await layer.get_player_by_id(player.player_id)
    assert touched is not None and touched.last_active is not None

    # game/player_service.py: `if not success:` raises the game's DatabaseError
    assert await layer.soft_delete_player(uuid.UUID(player.player_id))
    assert await layer.soft_delete_player(player.player_id)  # deleted already: still True
    assert await layer.get_active_players_by_user_id(str(player.user_id)) == []
    assert [p.name for p in await layer.get_players_by_user_id(player.user_id)] == ["Curwen"]


async def test_corpse_and_lock_calls_as_the_container_services_make_them(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    layer = contract_persistence
    player = await new_player(layer, "Marsh", current_room_id=HALLWAY)
    decay_at = datetime.now(UTC) - timedelta(minutes=1)

    # services/corpse_lifecycle_service.py: everything by keyword, then the id read as a UUID
    container_data = await layer.create_container(
        source_type="corpse",
        owner_id=uuid.UUID(player.player_id),
        room_id=HALLWAY,
        capacity_slots=20,
        decay_at=decay_at,
        items_json=[],
        metadata_json={"player_name": "Marsh"},
    )
    container_id = uuid.UUID(container_data["container_id"])

    # services/container_service_lock.py: `if not updated:` is a failure
    updated = await layer.update_container(container_id, lock_state="locked")
    assert updated and updated["lock_state"] == "locked"
    assert await layer.update_container(uuid.uuid4(), lock_state="locked") is None

    # corpse_lifecycle_service.get_decayed_corpses: a list of dicts, read by key
    decayed = await layer.get_decayed_containers(datetime.now(UTC))
    assert [(c["container_id"], c["source_type"]) for c in decayed] == [
        (str(container_id), "corpse")
    ]
    assert await layer.get_container(container_id) == updated
    assert await layer.delete_container(container_id) is True


async def test_the_reads_by_user_and_batch_fix_an_unknown_room_as_the_old_repository_did(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    # The old repository checked the room of every player it loaded, moved one in an unknown
    # room to the default room and saved the move. Character selection (by user) and the game
    # state provider (the batch) rely on it. list_players and get_players_in_room leave rooms
    # alone here: a read replica may answer them, and it cannot write (docs/migrating.md).
    layer = contract_persistence
    user_id = uuid.uuid4()

    async def lost(name: str) -> Player:
        return await layer.create_player(name=name, user_id=user_id, current_room_id=VOID)

    reads = {
        "get_players_by_user_id": lambda p: layer.get_players_by_user_id(str(user_id)),
        "get_active_players_by_user_id": lambda p: layer.get_active_players_by_user_id(user_id),
        "get_player_by_user_id": lambda p: layer.get_player_by_user_id(user_id),
        "get_players_batch": lambda p: layer.get_players_batch([uuid.UUID(p.player_id)]),
    }
    for read_name, read in reads.items():
        player = await lost(read_name.replace("_", "")[:40])
        result = await read(player)
        if isinstance(result, dict):
            result = list(result.values())
        returned = result if isinstance(result, list) else [result]
        mine = [p for p in returned if p is not None and p.player_id == player.player_id]
        assert [p.current_room_id for p in mine] == [DEFAULT_ROOM_ID], read_name
        assert mine[0].changed_fields() == {}, read_name  # saved, not pending
        await layer.delete_player(player.player_id)

    left = await lost("Listed")
    assert [p.current_room_id for p in await layer.get_players_in_room(VOID)] == [VOID]
    assert [p.current_room_id for p in await layer.list_players()] == [VOID]
    assert layer.validate_and_fix_player_room(left) is True  # the game's own check still works


class GameRoom:
    """The game's Room (server/models/room.py): built from a dict, holds who is in it."""

    def __init__(self, room_data: dict[str, Any]) -> None:
        self.id = room_data["id"]
        self.name = room_data["name"]
        self._npcs: set[str] = set()

    def npc_entered(self, npc_id: str) -> None:
        self._npcs.add(npc_id)

    def get_npcs(self) -> list[str]:
        return sorted(self._npcs)


async def test_repeated_warmups_keep_the_game_room_objects_and_what_they_hold(
    sqlite_url: str,
) -> None:
    # The game warms the cache at start-up (app/lifespan_startup.py, container/bundles/core.py)
    # and again in services/npc_startup_service.py after NPCs have entered rooms; the old layer
    # loaded once, so the rooms kept their occupants. The cache must not be reloaded under it.
    loads: list[int] = []

    def world() -> list[GameRoom]:
        loads.append(1)
        return [GameRoom({"id": "arena", "name": "Arena"})]

    layer = AsyncPersistenceLayer(sqlite_url, room_loader=world)
    try:
        await layer.warmup_room_cache()
        arena = layer.get_room_by_id("arena")
        arena.npc_entered("ghoul-1")
        layer.save_room(GameRoom({"id": "pit", "name": "Pit"}))

        await layer.warmup_room_cache()  # the arena pass of npc_startup_service

        assert layer.get_room_by_id("arena") is arena
        assert layer.get_room_by_id("arena").get_npcs() == ["ghoul-1"]
        assert layer.get_room_by_id("pit") is not None
        assert len(loads) == 1
    finally:
        await layer.close()


async def test_the_room_cache_attributes_the_game_reads_at_start_up(sqlite_url: str) -> None:
    # container/bundles/game.py hands `_room_cache` to the game's InstanceManager as the shared
    # room cache; app/lifespan_startup.py and services/npc_startup_service.py check
    # len(_room_cache) and `_room_cache_loaded` after warming. Private names, but the game
    # reads them at every start.
    layer = AsyncPersistenceLayer(
        sqlite_url, room_loader=lambda: [GameRoom({"id": "arena", "name": "Arena"})]
    )
    try:
        shared = layer._room_cache  # the game may take it before the cache is loaded
        assert len(shared) == 0 and layer._room_cache_loaded is False
        await layer.warmup_room_cache()
        assert len(layer._room_cache) == 1 and layer._room_cache_loaded is True
        assert shared is layer._room_cache and shared["arena"] is layer.get_room_by_id("arena")
    finally:
        await layer.close()
