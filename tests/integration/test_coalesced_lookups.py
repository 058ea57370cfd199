"""Lookups of players by id and by name that wait for a pooled connection are sent together,
as one statement, once a connection is free; each caller gets what a lookup alone gives it."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest

from mud_persistence import AsyncPersistenceLayer, DatabaseError
from mud_persistence.models import Player
from mud_persistence.repositories.player import ACTIVE_PLAYERS_BY_NAMES, PLAYERS_BY_IDS
from tests.integration.one_connection import (
    created,
    one_connection,
    pooled,
    sent_while_busy,
    waiting,
)


@pytest.fixture
async def ann_bob_and_deleted_cid(one_connection_layer: AsyncPersistenceLayer) -> list[Player]:
    players = await created(one_connection_layer, "Ann", "Bob", "Cid")
    await one_connection_layer.soft_delete_player(players[2].player_id)
    return players


async def test_lookups_by_id_waiting_for_a_connection_are_sent_as_one_statement(
    one_connection_layer: AsyncPersistenceLayer, ann_bob_and_deleted_cid: list[Player]
) -> None:
    layer = one_connection_layer
    ann, bob, cid = ann_bob_and_deleted_cid

    found, statements = await sent_while_busy(
        layer,
        layer.get_player_by_id(ann.player_id),
        layer.get_player_by_id(str(bob.player_id)),
        layer.get_player_by_id(cid.player_id),
        layer.get_player_by_id(uuid.uuid4()),
        layer.get_player_by_id(ann.player_id),
    )

    assert statements == [PLAYERS_BY_IDS]
    assert [player and player.name for player in found] == ["Ann", "Bob", "Cid", None, "Ann"]
    assert found[2] is not None and found[2].is_deleted  # by id, deleted or not, as alone
    assert found[0] is not found[4]  # each caller gets its own object
    assert [player.player_id for player in found if player] == [
        ann.player_id,
        bob.player_id,
        cid.player_id,
        ann.player_id,
    ]


async def test_lookups_by_name_waiting_for_a_connection_are_sent_as_one_statement(
    one_connection_layer: AsyncPersistenceLayer, ann_bob_and_deleted_cid: list[Player]
) -> None:
    layer = one_connection_layer
    ann, bob, _ = ann_bob_and_deleted_cid

    found, statements = await sent_while_busy(
        layer,
        layer.get_player_by_name("ann"),
        layer.get_player_by_name("BOB"),
        layer.get_player_by_name("Cid"),
        layer.get_player_by_name("nobody"),
    )

    assert statements == [ACTIVE_PLAYERS_BY_NAMES]
    # the name lookup's rules: any letter case, active players only
    assert [player and player.player_id for player in found] == [
        ann.player_id,
        bob.player_id,
        None,
        None,
    ]


async def test_a_player_read_in_a_batch_saves_as_one_read_alone(
    one_connection_layer: AsyncPersistenceLayer,
) -> None:
    layer = one_connection_layer
    (ann,) = await created(layer, "Ann")
    alone = await layer.get_player_by_id(ann.player_id)
    async with pooled(layer):
        (task,) = await waiting(layer.get_player_by_id(ann.player_id))
    batched = await task
    assert alone is not None and batched is not None

    assert batched.changed_fields() == {}
    for field in ("stats", "inventory", "status_effects", "created_at", "profession_id"):
        assert getattr(batched, field) == getattr(alone, field), field
    batched.level = 7
    await layer.save_player(batched)
    stored = await layer.get_player_by_id(ann.player_id)
    assert stored is not None and stored.level == 7


async def test_a_lookup_cancelled_in_a_batch_leaves_the_others_their_answers(
    one_connection_layer: AsyncPersistenceLayer,
) -> None:
    layer = one_connection_layer
    ann, bob = await created(layer, "Ann", "Bob")
    async with pooled(layer):
        first, second, third = await waiting(
            layer.get_player_by_id(ann.player_id),
            layer.get_player_by_id(ann.player_id),
            layer.get_player_by_id(bob.player_id),
        )
        first.cancel()
    found = await asyncio.gather(second, third)

    assert first.cancelled()
    assert [player and player.name for player in found] == ["Ann", "Bob"]


@pytest.fixture
async def layer_without_retries(pg_url: str) -> Any:
    async with one_connection(pg_url, outbox=False, retry_attempts=1) as connected:
        yield connected


async def test_a_batch_whose_connection_dies_fails_each_of_its_lookups(
    layer_without_retries: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    layer = layer_without_retries
    ann, bob = await created(layer, "Ann", "Bob")
    async with raw.transaction():
        await raw.execute("LOCK TABLE players IN ACCESS EXCLUSIVE MODE")  # the batch waits
        async with pooled(layer):
            tasks = await waiting(
                layer.get_player_by_id(ann.player_id), layer.get_player_by_id(bob.player_id)
            )
        await asyncio.sleep(0.2)  # the batch is sent, and waits for the lock
        terminated = await raw.fetchval(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1",
            PLAYERS_BY_IDS,
        )
        assert terminated
        failures = await asyncio.gather(*tasks, return_exceptions=True)

    for failure in failures:
        assert isinstance(failure, DatabaseError)
        assert "get_player_by_id failed" in str(failure)
    # the next lookups get a new connection
    found = await layer.get_player_by_id(ann.player_id)
    assert found is not None and found.name == "Ann"
