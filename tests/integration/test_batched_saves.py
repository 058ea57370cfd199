"""Saves that would wait for a pooled connection go together, as one statement: the batched
form of their kept shape (repositories/save_updates.py). Each save writes, or fails with the
error it gets alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from pydantic import TypeAdapter

from mud_persistence import (
    AsyncPersistenceLayer,
    ConflictError,
    DatabaseError,
    NotFoundError,
    StaleDataError,
)
from mud_persistence.models import Player
from mud_persistence.models.player_stats import Position
from mud_persistence.schemas.player import SAVED_FIELD_ADAPTERS
from mud_persistence.testing import empty_tables
from tests.conftest import stored_player
from tests.integration.one_connection import (
    closable,
    created,
    one_connection,
    pooled,
    sent_while_busy,
)
from tests.integration.one_connection import waiting as waiting_tasks

HALL = "earth_arkhamcity_sanitarium_room_hallway_001"
OFFICE = "earth_arkhamcity_sanitarium_room_doctors_office_001"  # players start in the foyer


@pytest.fixture
async def layer(pg_url: str) -> AsyncIterator[AsyncPersistenceLayer]:
    async with one_connection(pg_url, outbox=False) as connected:
        yield connected


def saves(statements: list[str]) -> list[str]:
    return [sql for sql in statements if sql.lstrip().startswith(("UPDATE", "WITH"))]


def batches(statements: list[str]) -> list[str]:
    return [sql for sql in saves(statements) if "unnest" in sql]


async def changed(
    layer: AsyncPersistenceLayer, players: list[Player], **values: Any
) -> list[Player]:
    """``players`` with ``values`` set on each, but the first: it is saved alone, so that the
    shape of the change is kept (a shape is batched from its second save on)."""
    for player in players:
        for name, value in values.items():
            setattr(player, name, value)
    await layer.save_player(players[0])
    return players[1:]


async def test_saves_waiting_for_a_connection_are_sent_as_one_statement(
    layer: AsyncPersistenceLayer,
) -> None:
    players = await changed(
        layer, await created(layer, "Ann", "Bob", "Cid", "Dee"), current_room_id=HALL
    )

    results, statements = await sent_while_busy(layer, *map(layer.save_player, players))

    assert results == [None, None, None]
    assert len(saves(statements)) == 1 and len(batches(statements)) == 1
    for player in players:
        assert (await stored_player(layer, player)).current_room_id == HALL
        assert player.saved_value("current_room_id") == HALL  # each object marked saved


async def test_json_and_time_columns_go_in_the_batch_as_their_own_types(
    layer: AsyncPersistenceLayer,
) -> None:
    seen = datetime(2026, 12, 7, 12, 30, tzinfo=UTC)
    inventory = [{"item_id": "lamp", "item_name": "Lamp", "slot_type": "backpack", "quantity": 1}]
    players = await changed(
        layer, await created(layer, "Ann", "Bob", "Cid"), inventory=inventory, last_active=seen
    )

    results, statements = await sent_while_busy(layer, *map(layer.save_player, players))

    assert results == [None, None]
    (batch,) = batches(statements)
    assert len(saves(statements)) == 1 and "JSONB[]" in batch and "TIMESTAMPTZ[]" in batch
    for player in players:
        found = await stored_player(layer, player)
        assert (found.inventory, found.last_active) == (inventory, seen)


async def test_a_stale_or_deleted_players_save_fails_as_alone_and_the_rest_are_written(
    layer: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    ann, bob, cid = await changed(
        layer, await created(layer, "Zed", "Ann", "Bob", "Cid"), current_room_id=HALL
    )
    await raw.execute(
        "UPDATE players SET current_room_id = $1 WHERE player_id = $2", OFFICE, bob.player_uuid
    )
    await layer.soft_delete_player(cid.player_id)

    results, statements = await sent_while_busy(layer, *map(layer.save_player, (ann, bob, cid)))

    assert results[0] is None
    assert isinstance(results[1], StaleDataError)
    assert isinstance(results[2], NotFoundError)
    # one batch, then each save the batch did not write alone
    assert len(batches(statements)) == 1 and len(saves(statements)) == 3
    assert (await stored_player(layer, ann)).current_room_id == HALL
    assert (await stored_player(layer, bob)).current_room_id == OFFICE


async def test_a_save_breaking_a_constraint_fails_alone_and_the_rest_of_its_batch_is_written(
    layer: AsyncPersistenceLayer,
) -> None:
    zed, ann, bob = await created(layer, "Zed", "Ann", "Bob")
    zed.name = "Zedd"
    await layer.save_player(zed)  # the shape is kept
    ann.name, bob.name = "Zedd", "Bobby"  # Ann takes a name in use

    results, statements = await sent_while_busy(
        layer, layer.save_player(ann), layer.save_player(bob)
    )

    assert isinstance(results[0], ConflictError) and "taken" in str(results[0])
    assert results[1] is None
    # failed as a whole: then each save ran alone
    assert len(batches(statements)) == 1 and len(saves(statements)) == 3
    assert (await stored_player(layer, ann)).name == "Ann"
    assert (await stored_player(layer, bob)).name == "Bobby"


async def test_a_player_locked_elsewhere_does_not_hold_up_the_rest_of_the_batch(
    layer: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    ann, bob = await changed(layer, await created(layer, "Zed", "Ann", "Bob"), current_room_id=HALL)
    async with raw.transaction():
        await raw.execute("SELECT 1 FROM players WHERE player_id = $1 FOR UPDATE", ann.player_uuid)
        async with pooled(layer):
            held_up, free = await waiting_tasks(layer.save_player(ann), layer.save_player(bob))
        await asyncio.wait_for(free, 5)
        await asyncio.sleep(0.1)
        assert not held_up.done()  # it runs alone, and waits for the lock
    await asyncio.wait_for(held_up, 5)
    assert (await stored_player(layer, ann)).current_room_id == HALL
    assert (await stored_player(layer, bob)).current_room_id == HALL


async def test_a_second_save_of_a_player_in_the_batch_runs_alone(
    layer: AsyncPersistenceLayer,
) -> None:
    (ann,) = await changed(layer, await created(layer, "Zed", "Ann"), current_room_id=HALL)
    again = await stored_player(layer, ann)  # a second object for the same player
    again.current_room_id = OFFICE

    results, statements = await sent_while_busy(
        layer, layer.save_player(ann), layer.save_player(again)
    )

    # in either order: the one written first wins; the other expected the room it loaded,
    # which is gone now
    winner = HALL if results[0] is None else OFFICE
    assert sum(result is None for result in results) == 1
    assert sum(isinstance(result, StaleDataError) for result in results) == 1
    assert len(batches(statements)) == 1  # the second ran alone, not in a batch of its own
    assert (await stored_player(layer, ann)).current_room_id == winner


async def test_a_value_the_database_refuses_fails_only_its_own_save(
    layer: AsyncPersistenceLayer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # validation refuses a NUL; this stands for any value it lets through and the server not
    monkeypatch.setitem(SAVED_FIELD_ADAPTERS, "tutorial_instance_id", TypeAdapter(str | None))
    ann, bob = await changed(
        layer, await created(layer, "Zed", "Ann", "Bob"), tutorial_instance_id="tutorial-1"
    )
    ann.tutorial_instance_id = "nul\x00byte"

    results, statements = await sent_while_busy(
        layer, layer.save_player(ann), layer.save_player(bob)
    )

    assert isinstance(results[0], DatabaseError) and results[1] is None
    assert len(batches(statements)) == 1 and len(saves(statements)) == 3
    assert (await stored_player(layer, bob)).tutorial_instance_id == "tutorial-1"


async def test_null_values_and_every_column_type_keep_their_places_in_the_batch(
    layer: AsyncPersistenceLayer,
) -> None:
    # equal values in columns of different types (INT, BIGINT): the types follow the columns
    values = {
        "level": 7,
        "experience_points": 7,
        "position": Position.SITTING,
        "mp_fractional": 0.5,
        "tutorial_instance_id": "tutorial-7",  # from NULL: compared with IS NULL
    }
    zed, *players = await created(layer, "Zed", "Ann", "Bob")
    await changed(layer, [zed, *players], **values)

    results, statements = await sent_while_busy(layer, *map(layer.save_player, players))
    assert results == [None, None] and len(saves(statements)) == len(batches(statements)) == 1
    for player in players:
        found = await stored_player(layer, player)
        assert {name: getattr(found, name) for name in values} == values

    await changed(layer, [zed, *players], tutorial_instance_id=None)  # to NULL
    results, statements = await sent_while_busy(layer, *map(layer.save_player, players))
    assert results == [None, None] and len(saves(statements)) == len(batches(statements)) == 1
    for player in players:
        assert (await stored_player(layer, player)).tutorial_instance_id is None


async def test_a_save_cancelled_while_its_batch_waits_is_not_written(
    layer: AsyncPersistenceLayer,
) -> None:
    ann, bob = await changed(layer, await created(layer, "Zed", "Ann", "Bob"), current_room_id=HALL)
    async with pooled(layer):
        cancelled, kept = await waiting_tasks(layer.save_player(ann), layer.save_player(bob))
        cancelled.cancel()
    await asyncio.wait_for(kept, 5)

    assert (await stored_player(layer, ann)).current_room_id != HALL
    assert (await stored_player(layer, bob)).current_room_id == HALL


async def test_a_save_with_an_idempotency_key_runs_alone_in_its_transaction(
    layer: AsyncPersistenceLayer,
) -> None:
    ann, bob = await changed(layer, await created(layer, "Zed", "Ann", "Bob"), current_room_id=HALL)

    results, statements = await sent_while_busy(
        layer, layer.save_player(ann, idempotency_key="ann-moves"), layer.save_player(bob)
    )

    assert results == [None, None]
    # Bob's save waited in a batch (of one); Ann's ran in its own transaction, alone
    assert len(batches(statements)) == 1
    assert sum(sql.startswith('UPDATE "players"') for sql in saves(statements)) == 1
    for player in (ann, bob):
        assert (await stored_player(layer, player)).current_room_id == HALL


async def test_closing_the_layer_fails_the_saves_waiting_in_a_batch_and_writes_none(
    pg_url: str,
) -> None:
    layer, batcher = await closable(pg_url)
    ann, bob = await changed(layer, await created(layer, "Zed", "Ann", "Bob"), current_room_id=HALL)
    try:
        async with pooled(layer):
            saving = await waiting_tasks(layer.save_player(ann), layer.save_player(bob))
            in_batch = [len(batch.values) for batch in batcher._waiting.values()]
            closing = asyncio.create_task(layer.close())
            failures = await asyncio.wait_for(asyncio.gather(*saving, return_exceptions=True), 5)
        await asyncio.wait_for(closing, 5)
        raw = await asyncpg.connect(pg_url)
        try:
            rooms = await raw.fetch(
                "SELECT current_room_id FROM players WHERE name = ANY($1)", ["Ann", "Bob"]
            )
        finally:
            await raw.close()
    finally:
        await layer.close()  # again, if a check above failed first: it must not leak the pool
        await empty_tables(pg_url)

    assert in_batch == [2]  # both saves waited in one batch when close() ran
    assert all(isinstance(failure, DatabaseError) for failure in failures), failures
    assert all("was closed" in str(failure) for failure in failures)
    assert len(rooms) == 2 and all(row["current_room_id"] != HALL for row in rooms)
    assert not batcher._tasks and not batcher._waiting
