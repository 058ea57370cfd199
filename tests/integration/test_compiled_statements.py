"""Counter changes compiled once per shape and connection (repositories/counters.py), on
PostgreSQL: each shape keeps its own statement, a shape whose SQL or parameters differ from
Tortoise's own UPDATE is refused, and a CTE added to a compiled statement runs in the same
statement. Also the plans of the compiled player reads."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
from tortoise.expressions import Connector, F

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.models import Player
from mud_persistence.repositories.counters import (
    CHANGED,
    PLAYER_ID,
    Changes,
    CounterShape,
    Values,
    compile_counter,
)
from mud_persistence.repositories.experience import CHANGE_STAT, GAIN_XP
from mud_persistence.repositories.health import GAIN_DP, LOSE_DP, LOSE_RESISTED_DP
from mud_persistence.repositories.sql import Placeholder, clamp, combine
from tests.query_counter import counting_queries

DP_VALUES = {"amount": 3, "dp_floor": -10, PLAYER_ID: uuid.uuid4()}


@pytest.fixture
def layer(pg_layer: AsyncPersistenceLayer) -> AsyncPersistenceLayer:
    return pg_layer


@pytest.fixture
def connection(layer: AsyncPersistenceLayer) -> Iterator[Any]:
    with layer._database.bound():
        yield Player._meta.db


def test_each_shape_keeps_its_own_statement(connection: Any) -> None:
    damage = LOSE_DP.compiled(connection, DP_VALUES)
    heal = GAIN_DP.compiled(connection, DP_VALUES)
    cold = LOSE_RESISTED_DP.compiled(connection, DP_VALUES)
    luck = CHANGE_STAT["luck"].compiled(connection, {"delta": 1, PLAYER_ID: uuid.uuid4()})
    fear = CHANGE_STAT["fear"].compiled(connection, {"delta": 1, PLAYER_ID: uuid.uuid4()})

    assert len({damage.sql, heal.sql, cold.sql, luck.sql, fear.sql}) == 5
    assert '"current_dp"-' in damage.sql and '"current_dp"+' in heal.sql
    assert '"luck"=' in luck.sql and '"fear"=' in fear.sql
    assert LOSE_DP.compiled(connection, DP_VALUES) is damage  # compiled once


def test_a_compiled_statement_takes_its_values_by_name(connection: Any) -> None:
    player_id = uuid.uuid4()
    compiled = LOSE_DP.compiled(connection, DP_VALUES)

    bound = compiled.binding.bind({"amount": 7, "dp_floor": -5, PLAYER_ID: player_id})

    assert 7 in bound and -5 in bound
    assert bound[-1] == player_id  # the row's id comes last, after the SET clause's values
    assert 3 not in bound  # nothing of the values it was compiled with stays


def test_a_shape_whose_sql_depends_on_a_value_is_refused(connection: Any) -> None:
    def build(values: Values) -> Changes:
        # the clamp exists only for real values: the placeholders' SQL would lack it
        high = None if isinstance(values["delta"], Placeholder) else 100
        return {"luck": clamp(combine(F("luck"), Connector.add, values["delta"]), 1, high)}

    with pytest.raises(AssertionError, match="Tortoise builds"):
        compile_counter(CounterShape("bad", ("luck",), build), connection, DP_VALUES | {"delta": 1})


def test_a_shape_whose_parameters_differ_from_tortoise_is_refused(connection: Any) -> None:
    def build(values: Values) -> Changes:
        delta = 1 if isinstance(values["delta"], Placeholder) else values["delta"]
        return {"luck": combine(F("luck"), Connector.add, delta)}

    with pytest.raises(AssertionError, match="Tortoise builds"):
        compile_counter(CounterShape("bad", ("luck",), build), connection, DP_VALUES | {"delta": 5})


def test_no_cte_of_a_counter_statement_holds_a_with_of_its_own(connection: Any) -> None:
    compiled = GAIN_XP.compiled(
        connection, {"delta": 1, "xp_per_level": None, PLAYER_ID: uuid.uuid4()}
    )

    assert len(compiled.statement.ctes) == 2
    assert not any("WITH" in cte.upper() for cte in compiled.statement.ctes)
    assert compiled.statement.final == f"SELECT * FROM {CHANGED}"


async def test_a_cte_added_to_a_counter_statement_reads_the_change_in_one_statement(
    layer: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    player = await layer.create_player(name="Counted", user_id=uuid.uuid4())
    with layer._database.bound():
        connection = Player._meta.db
        compiled = GAIN_DP.compiled(connection, DP_VALUES)
        # what the outbox adds: an INSERT reading the change's rows
        statement = compiled.statement.with_cte(
            "noted AS (INSERT INTO player_effects (id, player_id, effect_type, category,"
            " duration, applied_at_tick, intensity, source, visibility_level)"
            " SELECT gen_random_uuid(), old_id, 'noted', 'test', new_current_dp, 0, 1, 'test',"
            f" 'visible' FROM {CHANGED} JOIN old ON true)"
        )
        values = {"amount": -5, "dp_floor": -10, PLAYER_ID: player.player_uuid}
        with counting_queries() as counter:
            _, rows = await connection.execute_query(statement.sql, compiled.binding.bind(values))

    assert counter.count == 1
    assert rows[0]["old_current_dp"] == 20 and rows[0]["new_current_dp"] == 15
    effects = await raw.fetch(
        "SELECT effect_type, duration FROM player_effects WHERE player_id = $1", player.player_uuid
    )
    assert [tuple(effect) for effect in effects] == [("noted", 15)]


async def test_the_name_lookup_can_use_the_index_of_active_names_in_a_generic_plan(
    layer: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    """A prepared statement runs on a generic plan once PostgreSQL finds it no worse: the
    partial unique index of active names is usable there only if the statement itself says
    the player is active (a bound FALSE would leave a table scan, or a new plan per call)."""
    with counting_queries() as queries:
        await layer.get_player_by_name("nobody")
    (lookup,) = queries.statements

    assert "uidx_players_name_active" in await generic_plan(raw, lookup)


async def generic_plan(raw: asyncpg.Connection, statement: str) -> str:
    """The plan PostgreSQL gives ``statement`` as a prepared statement's generic plan, where
    an index is used whenever it can be (sequential scans are priced out)."""
    async with raw.transaction():
        await raw.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        await raw.execute("SET LOCAL enable_seqscan = off")
        await raw.execute(f"PREPARE planned AS {statement}")
        # a generic plan is the same whatever the values: NULL for each parameter
        values = ", ".join(["NULL"] * max(int(n) for n in re.findall(r"\$(\d+)", statement)))
        rows = await raw.fetch(f"EXPLAIN EXECUTE planned({values})")
        await raw.execute("DEALLOCATE planned")
    return "\n".join(row[0] for row in rows)


async def test_the_room_occupancy_read_uses_the_index_of_rooms(
    layer: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    """get_players_in_room is called for every look in a room: an index scan, not a read of
    every player (migration 8)."""
    with counting_queries() as queries:
        await layer.get_players_in_room("nowhere")
    (occupants,) = queries.statements

    assert "idx_players_current_7af152" in await generic_plan(raw, occupants)
