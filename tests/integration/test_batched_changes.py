"""Counter changes that would wait for a pooled connection go together, as one statement,
once a connection is free: each call changes its player, writes its outbox row and publishes
its events as it would alone."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from mud_persistence import AsyncPersistenceLayer, DatabaseError, NotFoundError
from mud_persistence.events import PlayerDPUpdated, RecordingBus
from mud_persistence.models import Player
from mud_persistence.testing import empty_tables
from tests.integration.one_connection import (
    closable,
    created,
    one_connection,
    pooled,
    sent_while_busy,
    waiting,
)


@pytest.fixture
async def bus() -> RecordingBus:
    return RecordingBus()


@pytest.fixture(params=[True, False], ids=["outbox", "no_outbox"])
async def layer(
    request: pytest.FixtureRequest, pg_url: str, bus: RecordingBus
) -> AsyncIterator[AsyncPersistenceLayer]:
    """One pooled connection, with the outbox on or off (each has its batched statement)."""
    async with one_connection(pg_url, bus, outbox=request.param) as connected:
        yield connected


def changes_of_players(statements: list[str]) -> list[str]:
    """The statements that changed players (not those of the outbox's relay)."""
    return [sql for sql in statements if 'UPDATE "players"' in sql]


async def test_changes_waiting_for_a_connection_are_sent_as_one_statement(
    layer: AsyncPersistenceLayer, bus: RecordingBus
) -> None:
    ann, bob, cid = await created(layer, "Ann", "Bob", "Cid")

    results, statements = await sent_while_busy(
        layer,
        layer.damage_player(ann, 10),
        layer.heal_player(bob, 5),  # a shape of its own: a batch of its own
        layer.damage_player(cid, 3),
        layer.update_player_stat_field(bob.player_id, "magic_points", 4),
    )

    assert results == [10, 20, 17, 14]  # from 20 DP (the most) and 10 magic points
    changes = changes_of_players(statements)
    assert len(changes) == 3
    assert any("unnest" in sql and '"current_dp"-' in sql for sql in changes)
    assert all("unnest" in sql for sql in changes)
    assert (ann.current_dp, cid.current_dp) == (10, 17)  # each caller's object is refreshed
    dp_events = {event.player_id: event for event in bus.of(PlayerDPUpdated)}
    assert dp_events[ann.player_uuid].delta == -10
    assert dp_events[cid.player_uuid].new_dp == 17
    assert dp_events[bob.player_uuid].delta == 0  # already at max DP


async def test_a_second_change_of_a_player_in_the_batch_runs_alone_and_both_count(
    layer: AsyncPersistenceLayer,
) -> None:
    ann, bob = await created(layer, "Ann", "Bob")

    results, statements = await sent_while_busy(
        layer,
        layer.damage_player(ann, 2),
        layer.damage_player(ann, 3),
        layer.damage_player(bob, 1),
    )

    # in either order: the second saw the first's change
    assert min(results[:2]) == 15 and max(results[:2]) in (17, 18)
    assert results[2] == 19
    # one batch (Ann's first change and Bob's), and Ann's second alone, not in a second batch
    changes = changes_of_players(statements)
    assert len(changes) == 2
    assert ["unnest" in sql for sql in changes].count(True) == 1
    stored = await layer.get_player_by_id(ann.player_id)
    assert stored is not None and stored.current_dp == 15


async def test_a_change_of_a_missing_or_deleted_player_is_refused_as_alone(
    layer: AsyncPersistenceLayer,
) -> None:
    ann, gone = await created(layer, "Ann", "Gone")
    await layer.soft_delete_player(gone.player_id)

    results, _ = await sent_while_busy(
        layer,
        layer.update_player_stat_field(ann.player_id, "magic_points", 2),
        layer.update_player_stat_field(gone.player_id, "magic_points", 2),
        layer.update_player_stat_field(uuid.uuid4(), "magic_points", 2),
    )

    assert results[0] == 12  # from 10
    assert isinstance(results[1], NotFoundError)
    assert isinstance(results[2], NotFoundError)
    stored = await layer.get_player_by_id(gone.player_id)
    assert stored is not None and stored.magic_points == 10


async def test_a_player_locked_elsewhere_does_not_hold_up_the_rest_of_its_batch(
    layer: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    ann, bob = await created(layer, "Ann", "Bob")
    async with raw.transaction():
        await raw.execute("SELECT 1 FROM players WHERE player_id = $1 FOR UPDATE", ann.player_uuid)
        async with pooled(layer):
            held_up, free = await waiting(layer.damage_player(ann, 5), layer.damage_player(bob, 5))
        assert await asyncio.wait_for(free, 5) == 15
        await asyncio.sleep(0.1)
        assert not held_up.done()  # it runs alone, and waits for the lock
    assert await asyncio.wait_for(held_up, 5) == 15


async def test_a_key_share_lock_on_the_player_holds_up_no_change(
    layer: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    ann, bob = await created(layer, "Ann", "Bob")
    async with raw.transaction():
        # what an insert of a row referencing the players (an effect, a container) takes
        await raw.execute(
            "SELECT 1 FROM players WHERE player_id = ANY($1) FOR KEY SHARE",
            [ann.player_uuid, bob.player_uuid],
        )
        assert await asyncio.wait_for(layer.damage_player(ann, 5), 5) == 15  # alone
        results, statements = await asyncio.wait_for(
            sent_while_busy(layer, layer.damage_player(ann, 5), layer.damage_player(bob, 5)), 5
        )
    assert results == [10, 15]
    assert len(changes_of_players(statements)) == 1  # one batch, neither player skipped


async def test_a_batch_writes_the_outbox_rows_each_change_writes_alone(
    pg_url: str, raw: asyncpg.Connection
) -> None:
    async with one_connection(pg_url) as layer:
        alone = await created(layer, "Ann", "Bob")
        batched = await created(layer, "Cid", "Dee")
        for player in alone:
            await layer.damage_player(player, 7, "cold")
        _, statements = await sent_while_busy(
            layer, *(layer.damage_player(player, 7, "cold") for player in batched)
        )
        assert [sql for sql in changes_of_players(statements) if "unnest" in sql] == [
            changes_of_players(statements)[0]
        ]
        assert len(changes_of_players(statements)) == 1

        rows = await raw.fetch(
            "SELECT id, kind, player_id, payload, origin FROM outbox WHERE kind = 'dp' ORDER BY id"
        )

    def written(player: Player) -> dict[str, Any]:
        (row,) = [row for row in rows if row["player_id"] == player.player_uuid]
        payload = json.loads(row["payload"])
        assert payload["args"].pop("player_id") == str(player.player_id)
        return {"kind": row["kind"], "origin": row["origin"], "payload": payload}

    assert [written(player) for player in batched] == [written(player) for player in alone]
    # numbered in the order the batch's calls came
    assert [row["player_id"] for row in rows[2:]] == [player.player_uuid for player in batched]


async def test_a_change_cancelled_while_its_batch_waits_is_not_made(
    layer: AsyncPersistenceLayer, bus: RecordingBus
) -> None:
    ann, bob = await created(layer, "Ann", "Bob")
    async with pooled(layer):
        cancelled, kept = await waiting(layer.damage_player(ann, 5), layer.damage_player(bob, 5))
        cancelled.cancel()
    assert await kept == 15

    stored = await layer.get_player_by_id(ann.player_id)
    assert stored is not None and stored.current_dp == 20
    assert [event.player_id for event in bus.of(PlayerDPUpdated)] == [bob.player_uuid]


async def test_a_change_with_an_idempotency_key_runs_alone_in_its_transaction(
    layer: AsyncPersistenceLayer,
) -> None:
    ann, bob = await created(layer, "Ann", "Bob")

    results, statements = await sent_while_busy(
        layer,
        layer.damage_player(ann, 2, idempotency_key="ann-hit"),
        layer.damage_player(bob, 2),
    )

    assert results == [18, 18]
    changes = changes_of_players(statements)
    # Bob's change waited in a batch (of one); Ann's ran in its own transaction, alone
    assert sorted("unnest" in sql for sql in changes) == [False, True]


@pytest.fixture
async def unbatched(pg_url: str) -> AsyncIterator[AsyncPersistenceLayer]:
    async with one_connection(pg_url, batch_when_busy=False) as connected:
        yield connected


async def test_batching_can_be_turned_off(unbatched: AsyncPersistenceLayer) -> None:
    ann, bob = await created(unbatched, "Ann", "Bob")

    results, statements = await sent_while_busy(
        unbatched,
        unbatched.damage_player(ann, 2),
        unbatched.damage_player(bob, 2),
        unbatched.get_player_by_id(ann.player_id),
    )

    assert results[:2] == [18, 18]
    assert len(changes_of_players(statements)) == 2
    assert not any("unnest" in sql for sql in statements)


async def test_closing_the_layer_fails_the_calls_waiting_in_a_batch_and_leaves_no_task(
    pg_url: str,
) -> None:
    layer, batcher = await closable(pg_url)
    ann, bob = await created(layer, "Ann", "Bob")
    async with pooled(layer):
        calls = await waiting(layer.damage_player(ann, 5), layer.get_player_by_id(bob.player_id))
        closing = asyncio.create_task(layer.close())
        failures = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 5)
    await asyncio.wait_for(closing, 5)
    await empty_tables(pg_url)

    assert all(isinstance(failure, DatabaseError) for failure in failures), failures
    assert all("was closed" in str(failure) for failure in failures)
    assert not batcher._tasks and not batcher._waiting
