"""The benchmark compares like with like: every contender does what the facade does, operation
by operation, on the bench's own (small) world.

The raw-best contender, the limit the facade is measured against, must return exactly what the
facade returns. The older contenders return driver rows or ORM objects; for them the test checks
the same values and the same effect on the database.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from bench.contenders.facade import FacadeContender
from bench.contenders.legacy_psycopg2 import LegacyPsycopg2Contender
from bench.contenders.raw_asyncpg import RawAsyncpgContender
from bench.contenders.raw_best import ORIGIN, RawBestContender
from bench.contenders.sqlalchemy_orm import SqlAlchemyContender
from bench.world import ROOM, ROOMS, World, create_world, drop_world
from mud_persistence.errors import ConflictError

OTHERS = [RawBestContender, RawAsyncpgContender, SqlAlchemyContender, LegacyPsycopg2Contender]
PLAYER_VALUES = (
    "player_id",
    "name",
    "current_room_id",
    "current_dp",
    "experience_points",
    "level",
)


@pytest.fixture(scope="module")
async def world(mud_persistence_server_url: str) -> AsyncIterator[World]:
    created = await create_world(mud_persistence_server_url, 1)
    yield created
    await drop_world(mud_persistence_server_url, created)


@pytest.fixture
async def facade(world: World) -> AsyncIterator[FacadeContender]:
    contender = FacadeContender(world.url, 2)
    await contender.start()
    yield contender
    await contender.stop()


@pytest.fixture(params=OTHERS, ids=lambda kind: kind.name)
async def contender(request: pytest.FixtureRequest, world: World) -> AsyncIterator[Any]:
    started = request.param(world.url, 2)
    await started.start()
    yield started
    await started.stop()


def value(found: Any, name: str) -> Any:
    """A column of a driver row, a dict or an ORM object; ids as strings."""
    try:
        got = found[name]
    except (TypeError, KeyError):
        got = getattr(found, name)
    return str(got) if name.endswith("_id") and got is not None else got


def player_values(found: Any) -> tuple[Any, ...]:
    return tuple(value(found, name) for name in PLAYER_VALUES)


def new_value(result: Any, column: str) -> int:
    """The new value of a counter change: an int, an (old, new) pair, or a row's ``column``."""
    if isinstance(result, int):
        return result
    if isinstance(result, tuple):
        return int(result[1])
    return int(value(result, column))


def listing(result: Any) -> list[tuple[str, list[str]]]:
    """(container id, its item ids by position) for each container, in order."""
    if isinstance(result, dict):  # raw asyncpg: joined rows by container
        return [
            (str(cid), [row["item_instance_id"] for row in rows]) for cid, rows in result.items()
        ]
    shaped = []
    for entry in result:
        if isinstance(entry, tuple):  # legacy: (container row, item rows)
            container, items = entry
            shaped.append((str(container["container_id"]), [i["item_instance_id"] for i in items]))
        elif isinstance(entry, dict):  # the old container dict
            shaped.append(
                (entry["container_id"], [i["item_instance_id"] for i in entry["items_json"]])
            )
        else:  # SQLAlchemy
            shaped.append((str(entry.container_id), [c.item_instance_id for c in entry.contents]))
    return shaped


async def test_player_reads_return_the_facades_player(
    world: World, facade: FacadeContender, contender: Any
) -> None:
    player_id, name = world.player_ids[0], world.names[0]
    expected = await facade.get_player_by_id(player_id)
    for found in (
        await contender.get_player_by_id(player_id),
        await contender.get_player_by_name(name.upper()),
    ):
        assert player_values(found) == player_values(expected)
        if contender.name == "raw_best":  # every column, with the facade's values
            assert found == {column: getattr(expected, column) for column in found}
            assert set(found) >= set(expected._meta.db_fields)


async def test_counters_change_as_the_facades_do(
    world: World, facade: FacadeContender, contender: Any
) -> None:
    player_id = world.player_ids[0]
    after_facade = await facade.damage_player(player_id)
    assert new_value(await contender.damage_player(player_id), "new_dp") == after_facade - 1
    after_facade = await facade.heal_player(player_id)  # one below the max DP: room for one
    assert new_value(await contender.heal_player(player_id), "new_dp") == after_facade + 1
    after_facade = await facade.update_player_stat_field(player_id)
    assert (
        new_value(await contender.update_player_stat_field(player_id), "new_value")
        == after_facade + 1
    )

    award = await facade.gain_experience(player_id)
    result = await contender.gain_experience(player_id)
    if contender.name == "raw_best":
        assert result == award.model_copy(
            update={"old_xp": award.new_xp, "new_xp": award.new_xp + 1}
        )
    else:
        new = result[1] if isinstance(result, tuple) else result
        new_xp = new[0] if isinstance(result, tuple) else value(new, "new_xp")
        new_level = new[1] if isinstance(result, tuple) else value(new, "new_level")
        assert (new_xp, new_level) == (award.new_xp + 1, award.new_level)  # the level stays


async def test_save_player_writes_the_room(
    world: World, facade: FacadeContender, contender: Any
) -> None:
    player_id = world.player_ids[0]
    await facade.save_player(player_id, *world.flip_room(0))
    old_room, new_room = world.flip_room(0)
    await contender.save_player(player_id, old_room, new_room)
    stored = await facade.layer.get_player_by_id(player_id)
    assert stored is not None and stored.current_room_id == new_room
    assert set(ROOMS) == {old_room, new_room}


async def test_room_listing_lists_the_same_containers_and_items(
    facade: FacadeContender, contender: Any
) -> None:
    expected = await facade.get_containers_by_room_id(ROOM)
    found = await contender.get_containers_by_room_id(ROOM)
    assert listing(found) == listing(expected)
    assert len(expected) == 20 and all(len(c["items_json"]) == 5 for c in expected)
    if contender.name == "raw_best":
        assert found == expected  # the old dicts, key for key


async def test_transfer_moves_the_item_as_the_facade_does(
    world: World, facade: FacadeContender, contender: Any
) -> None:
    item, here, there = world.flip_shuttle(0)
    moved = await facade.transfer_item(item, here, there)
    assert moved == await facade.layer.get_container_data(there)

    item, here, there = world.flip_shuttle(0)
    result = await contender.transfer_item(item, here, there)
    destination = await facade.layer.get_container_data(there)
    source = await facade.layer.get_container_data(here)
    assert destination is not None and source is not None
    assert [(i.item_instance_id, i.position) for i in destination.items] == [(item, 0)]
    assert source.items == []
    instance = await facade.layer.get_item_instance(item)
    assert instance is not None and instance.owner_id == str(there)
    if contender.name == "raw_best":  # the destination, as the facade returns it
        assert result == destination


async def test_raw_best_refuses_what_the_facade_refuses(
    world: World, facade: FacadeContender
) -> None:
    best = RawBestContender(world.url, 1)
    await best.start()
    try:
        item, here, there = world.shuttles[0]
        for contender in (facade, best):  # the item is in ``here``, not in ``there``
            with pytest.raises(ConflictError):
                await contender.transfer_item(item, there, here)
        assert await best.get_player_by_name("nobody at all") is None
        in_room = await facade.layer.get_players_in_room(world.rooms[0])
        assert await best.get_players_in_room(world.rooms[0]) == [
            {column: getattr(player, column) for column in found}
            for player, found in zip(
                in_room, await best.get_players_in_room(world.rooms[0]), strict=True
            )
        ]
    finally:
        await best.stop()


async def test_raw_best_writes_each_changes_event_as_the_facade_does(
    world: World, facade: FacadeContender
) -> None:
    """Each change of raw best writes one outbox row, as the facade's does: the same kind,
    player and arguments, and the changed values (issue 18 made the row part of a change)."""
    best = RawBestContender(world.url, 1)
    await best.start()
    connection = await asyncpg.connect(world.url)
    try:
        player_id = world.player_ids[0]
        item, here, there = world.flip_shuttle(0)
        back = world.flip_shuttle(0)
        changes = [
            ("damage_player", (player_id,), (player_id,)),
            ("heal_player", (player_id,), (player_id,)),
            ("update_player_stat_field", (player_id,), (player_id,)),
            ("gain_experience", (player_id,), (player_id,)),
            ("transfer_item", (item, here, there), back),
        ]
        for operation, facade_args, best_args in changes:
            rows = {}
            for contender, args in ((facade, facade_args), (best, best_args)):
                last = await connection.fetchval("SELECT coalesce(max(id), 0) FROM outbox")
                await getattr(contender, operation)(*args)
                rows[contender.name] = await connection.fetch(
                    "SELECT kind, player_id, payload, origin FROM outbox WHERE id > $1", last
                )
            (mine,), (theirs,) = rows["raw_best"], rows["facade"]
            assert mine["origin"] == ORIGIN != theirs["origin"]
            assert (mine["kind"], mine["player_id"]) == (theirs["kind"], theirs["player_id"])
            mine_payload, their_payload = json.loads(mine["payload"]), json.loads(theirs["payload"])
            if operation == "transfer_item":  # the same item, moved back
                assert mine_payload == {
                    **their_payload,
                    "from_container_id": str(there),
                    "to_container_id": str(here),
                    "to_owner_id": str(here),
                }
            else:
                assert mine_payload["args"] == their_payload["args"]
                assert mine_payload["row"] and their_payload["row"]
    finally:
        await connection.close()
        await best.stop()
