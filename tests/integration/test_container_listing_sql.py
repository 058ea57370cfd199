"""The PostgreSQL listing (one statement, JSON built by the database) returns exactly what the
portable two-query path returns, on containers that use every column and item field."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.old_shapes import container_dict, old_container
from mud_persistence.repositories.container_views import (
    BY_ID,
    DECAYED,
    IN_ROOM,
    OF_ENTITY,
    Selection,
    select_containers,
    select_plain,
    with_items,
)


async def both_paths(
    layer: AsyncPersistenceLayer, selection: Selection, key: object
) -> tuple[list[object], list[object]]:
    with layer._database.bound():
        return (
            await select_containers(selection, key),  # type: ignore[arg-type]
            await with_items(selection.queryset(key)),
        )


@pytest.fixture
async def furnished(
    persistence: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> dict[str, object]:
    await persistence.seed_item_prototypes()
    owner = await persistence.create_player(name="Lister", user_id=uuid.uuid4())
    decay = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)  # no microseconds
    chest = await persistence.create_container_data(
        "environment",
        room_id="hall",
        owner_id=owner.player_id,
        lock_state="locked",
        weight_limit=50,
        decay_at=decay,
        allowed_roles=["thief", "priest"],
        metadata={"label": "Chest ✓", "nested": {"a": [1, 2.5, None]}},
        items=[
            {"item_id": "misc.coin.silver", "quantity": 7, "condition": 80, "position": 3},
            {"item_id": "weapon.knife.rusted", "item_name": "Old Faithful", "slot_type": "belt"},
            {"item_id": "consumable.bandage", "metadata": {"slot_type": "pouch", "x": "é"}},
        ],
    )
    await persistence.create_container_data("equipment", entity_id=owner.player_id)
    await persistence.create_container_data(
        "corpse", room_id="hall", decay_at=decay + timedelta(microseconds=1)
    )
    await persistence.create_container_data("environment", room_id="hall")  # empty
    # a custom name stored as '' reads as the prototype's name
    await raw.execute(
        "UPDATE item_instances SET custom_name = '' WHERE item_instance_id = $1",
        chest.items[0].item_instance_id,
    )
    return {"owner": owner.player_id, "chest": chest.container_id}


@pytest.mark.parametrize("selection", ["by_id", "in_room", "of_entity", "decayed", "nothing"])
async def test_the_single_statement_listing_matches_the_portable_one(
    persistence: AsyncPersistenceLayer, furnished: dict[str, object], selection: str
) -> None:
    chosen, key = {
        "by_id": (BY_ID, furnished["chest"]),
        "in_room": (IN_ROOM, "hall"),
        "of_entity": (OF_ENTITY, furnished["owner"]),
        "decayed": (DECAYED, datetime.now(UTC)),
        "nothing": (IN_ROOM, "no_such_room"),
    }[selection]
    single, portable = await both_paths(persistence, chosen, key)
    assert single == portable
    assert [c.model_dump() for c in single] == [c.model_dump() for c in portable]  # type: ignore[attr-defined]
    if selection == "in_room":
        assert len(single) == 3 and sum(len(c.items) for c in single) == 3  # type: ignore[attr-defined]


async def test_the_old_dicts_of_both_paths_are_identical(
    persistence: AsyncPersistenceLayer, furnished: dict[str, object]
) -> None:
    single, portable = await both_paths(persistence, IN_ROOM, "hall")
    expected = [container_dict(c) for c in portable]  # type: ignore[arg-type]
    assert [container_dict(c) for c in single] == expected  # type: ignore[arg-type]
    with persistence._database.bound():
        plain = await select_plain(IN_ROOM, "hall")
    assert [old_container(c) for c in plain] == expected
    assert [c["decay_at"] for c in expected][:2] == [
        "2020-01-02T03:04:05+00:00",  # as datetime.isoformat() writes it: no microseconds
        "2020-01-02T03:04:05.000001+00:00",
    ]


@pytest.mark.parametrize("selection", [IN_ROOM, OF_ENTITY, DECAYED], ids=lambda s: s.where)
@pytest.mark.parametrize("plan", ["force_custom_plan", "force_generic_plan"])
async def test_a_listing_reads_and_aggregates_items_once_not_per_container(
    persistence: AsyncPersistenceLayer, raw: asyncpg.Connection, selection: Selection, plan: str
) -> None:
    """The items of a listing's containers are read and aggregated in one pass, whatever plan
    PostgreSQL picks for the prepared statement. A subquery per container aggregated each
    container's items apart, scanning the whole item_instances table for each (on a small
    table a scan beats the index, and a cached plan goes on scanning it as updates bloat it);
    the join, had the planner inlined it, aggregated every item once per container."""
    await persistence.seed_item_prototypes()
    owner = await persistence.create_player(name="Hoarder", user_id=uuid.uuid4())
    for _ in range(8):  # each found by all three selections
        await persistence.create_container_data(
            "corpse",
            room_id="vault",
            entity_id=owner.player_id,
            decay_at=datetime(2020, 1, 1, tzinfo=UTC),
            items=[{"item_id": "misc.coin.silver"}] * 3,
        )
    key = {IN_ROOM: "vault", OF_ENTITY: owner.player_id, DECAYED: "2030-01-01"}[selection]

    for analyzed in (False, True):  # with whatever statistics earlier tests left, and fresh
        if analyzed:
            await raw.execute("ANALYZE")
        async with raw.transaction():
            await raw.execute(f"SET LOCAL plan_cache_mode = {plan}")
            await raw.execute(f"PREPARE listing AS {selection.sql}")
            found = await raw.fetchval(f"EXECUTE listing('{key}')")
            explained = await raw.fetchval(
                f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE listing('{key}')"
            )
            await raw.execute("DEALLOCATE listing")
        assert len(json.loads(found)) == 8
        nodes = list(plan_nodes(json.loads(explained)[0]["Plan"]))
        repeated = [node for node in nodes if node[0].startswith(PER_LISTING) and node[1] > 1]
        assert not repeated, nodes


# plan nodes that aggregate items or read an items table whole: at most once per listing
PER_LISTING = ("Aggregate", "Seq Scan item_instances", "Seq Scan container_contents")


def plan_nodes(node: dict[str, Any]) -> Iterator[tuple[str, int]]:
    """Each node of an EXPLAIN (ANALYZE, FORMAT JSON) plan: its type and relation, and how
    many times it ran."""
    yield f"{node['Node Type']} {node.get('Relation Name', '')}".strip(), node["Actual Loops"]
    for child in node.get("Plans", []):
        yield from plan_nodes(child)
