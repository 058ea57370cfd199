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


async def test_a_listing_reads_and_aggregates_items_once_not_per_container(
    persistence: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    """The items of a listing's containers are read and aggregated in one pass, whatever plan
    PostgreSQL picks. A subquery per container scanned the whole item_instances table once for
    each (on a small table a scan beats the index, and a bloated one stays small in the
    planner's eyes); a join the planner inlined aggregated every item once per container."""
    await persistence.seed_item_prototypes()
    for _ in range(8):
        await persistence.create_container_data(
            "environment", room_id="vault", items=[{"item_id": "misc.coin.silver"}] * 3
        )
    for analyzed in (False, True):  # without statistics, as just after a bulk load, and with
        if analyzed:
            await raw.execute("ANALYZE")
        plan = await raw.fetchval(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + IN_ROOM.sql.replace("$1", "'vault'")
        )
        nodes = list(plan_nodes(json.loads(plan)[0]["Plan"]))
        repeated = [node for node in nodes if node[0].startswith(WHOLE) and node[1] > 1]
        assert not repeated, nodes


# plan nodes that read a whole table or aggregate rows: a listing runs each at most once
WHOLE = ("Seq Scan", "Aggregate", "Sort", "Hash")


def plan_nodes(node: dict[str, Any]) -> Iterator[tuple[str, int]]:
    """Each node of an EXPLAIN (ANALYZE, FORMAT JSON) plan: its type and relation, and how
    many times it ran."""
    yield f"{node['Node Type']} {node.get('Relation Name', '')}", node["Actual Loops"]
    for child in node.get("Plans", []):
        yield from plan_nodes(child)
