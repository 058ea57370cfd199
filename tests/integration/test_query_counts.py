"""Round trips per facade operation on PostgreSQL: a change that adds one fails here.

Each count is the number of statements sent (BEGIN and COMMIT not included).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from mud_persistence import AsyncPersistenceLayer
from tests.query_counter import counting_queries

Operation = Callable[[AsyncPersistenceLayer, dict[str, Any]], Awaitable[object]]


async def prepare(layer: AsyncPersistenceLayer) -> dict[str, Any]:
    await layer.seed_item_prototypes()
    await layer.seed_professions()
    player = await layer.create_player(name="Counted", user_id=uuid.uuid4())
    other = await layer.create_player(name="Other", user_id=uuid.uuid4())
    lost = await layer.create_player(
        name="Lost", user_id=uuid.uuid4(), current_room_id="earth_nowhere_room_void_001"
    )
    chest = await layer.create_container_data(
        "environment", room_id="hall", items=[{"item_id": "misc.coin.silver"}] * 2
    )
    pack = await layer.create_container_data("equipment", entity_id=player.player_id)
    await layer.create_item_instance("loose-1", "misc.coin.silver")
    return {"player": player, "other": other, "lost": lost, "chest": chest, "pack": pack}


OPERATIONS: dict[str, tuple[int, Operation]] = {
    "get_player_by_id": (1, lambda p, w: p.get_player_by_id(w["player"].player_id)),
    "get_player_by_name": (1, lambda p, w: p.get_player_by_name("counted")),
    "get_player_by_user_id": (1, lambda p, w: p.get_player_by_user_id(w["player"].user_id)),
    "get_players_by_user_id": (1, lambda p, w: p.get_players_by_user_id(w["player"].user_id)),
    "list_players": (1, lambda p, w: p.list_players()),
    "get_players_in_room": (1, lambda p, w: p.get_players_in_room("hall")),
    "get_players_batch": (1, lambda p, w: p.get_players_batch([w["player"].player_id])),
    "get_players_batch_empty": (0, lambda p, w: p.get_players_batch([])),
    "create_player": (1, lambda p, w: p.create_player(name="New", user_id=uuid.uuid4())),
    "save_player": (1, lambda p, w: save_room(p, [w["player"]])),
    "save_players": (2, lambda p, w: save_room(p, [w["player"], w["other"]])),
    "soft_delete_player": (1, lambda p, w: p.soft_delete_player(w["other"].player_id)),
    "delete_player": (5, lambda p, w: p.delete_player(w["other"].player_id)),
    "update_player_last_active": (
        1,
        lambda p, w: p.update_player_last_active(w["other"].player_id),
    ),
    "get_player_by_id_fixing_its_room": (2, lambda p, w: p.get_player_by_id(w["lost"].player_id)),
    "damage_player": (1, lambda p, w: p.damage_player(w["player"], 3)),
    "damage_player_cold": (1, lambda p, w: p.damage_player(w["player"], 3, "cold")),
    "heal_player": (1, lambda p, w: p.heal_player(w["player"], 3)),
    "update_player_health": (1, lambda p, w: p.update_player_health(w["player"].player_id, -1)),
    "gain_experience": (1, lambda p, w: p.gain_experience(w["player"], 5)),
    "update_player_xp": (1, lambda p, w: p.update_player_xp(w["player"].player_id, 5)),
    "update_player_stat_field": (
        1,
        lambda p, w: p.update_player_stat_field(w["player"].player_id, "luck", 1),
    ),
    "apply_fear": (1, lambda p, w: p.apply_fear(w["player"], 2)),
    "apply_lucidity_loss": (1, lambda p, w: p.apply_lucidity_loss(w["player"], 2)),
    "get_professions": (1, lambda p, w: p.get_professions()),
    "get_all_professions": (1, lambda p, w: p.get_all_professions()),
    "get_profession_by_id": (1, lambda p, w: p.get_profession_by_id(1)),
    "get_container": (1, lambda p, w: p.get_container_data(w["chest"].container_id)),
    "get_containers_by_room_id": (1, lambda p, w: p.get_container_data_by_room_id("hall")),
    "get_containers_by_entity_id": (
        1,
        lambda p, w: p.get_container_data_by_entity_id(w["player"].player_id),
    ),
    "get_decayed_containers_none_due": (1, lambda p, w: p.get_decayed_container_data()),
    "create_container": (
        6,
        lambda p, w: p.create_container_data(
            "corpse", room_id="hall", items=[{"item_id": "misc.coin.silver"}] * 3
        ),
    ),
    # the moves' outbox insert: one more statement in their transaction (transfer_item's is a
    # CTE of its one statement, and each counter's a CTE of its own: no round trip added)
    "add_item_to_container": (
        9,
        lambda p, w: p.add_item_to_container(w["pack"].container_id, "loose-1"),
    ),
    "remove_item_from_container": (
        6,
        lambda p, w: p.remove_item_from_container(
            w["chest"].container_id, w["chest"].items[0].item_instance_id
        ),
    ),
    "transfer_item": (
        1,
        lambda p, w: p.transfer_item(
            w["chest"].items[0].item_instance_id,
            from_container_id=w["chest"].container_id,
            to_container_id=w["pack"].container_id,
        ),
    ),
    "update_container": (
        10,
        lambda p, w: p.update_container_data(
            w["chest"].container_id,
            items_json=[{"item_id": "consumable.bandage"}],
            lock_state="locked",
        ),
    ),
    "delete_container": (4, lambda p, w: p.delete_container(w["chest"].container_id)),
    "create_item_instance": (
        1,
        lambda p, w: p.create_item_instance("lamp-1", "light.lantern.brass"),
    ),
    "ensure_item_instance": (1, lambda p, w: p.ensure_item_instance("loose-1", "misc.coin.silver")),
    "upsert_item_instance": (
        4,
        lambda p, w: p.upsert_item_instance("loose-1", "misc.coin.silver", condition=5),
    ),
    "item_instance_exists": (1, lambda p, w: p.item_instance_exists("loose-1")),
    "get_item_instance": (1, lambda p, w: p.get_item_instance("loose-1")),
}


async def save_room(layer: AsyncPersistenceLayer, players: list[Any]) -> None:
    for player in players:
        player.current_room_id = f"room_{uuid.uuid4().hex[:6]}"
    await (layer.save_player(players[0]) if len(players) == 1 else layer.save_players(players))


@pytest.mark.parametrize("name", list(OPERATIONS))
async def test_each_operation_takes_a_fixed_number_of_statements(
    persistence: AsyncPersistenceLayer, name: str
) -> None:
    expected, operation = OPERATIONS[name]
    world = await prepare(persistence)
    with counting_queries() as queries:
        await operation(persistence, world)
    assert queries.count == expected, "\n".join(queries.statements)


KEYED: dict[str, Operation] = {
    "damage_player": lambda p, w: p.damage_player(w["player"], 3, idempotency_key="hit"),
    "gain_experience": lambda p, w: p.gain_experience(w["player"], 5, idempotency_key="xp"),
    "save_player": lambda p, w: p.save_player(w["player"], idempotency_key="save"),
}


@pytest.mark.parametrize("name", list(KEYED))
async def test_a_keyed_write_adds_two_statements_and_its_repeat_applies_nothing(
    persistence: AsyncPersistenceLayer, name: str
) -> None:
    world = await prepare(persistence)
    world["player"].current_room_id = "hall"
    unkeyed = OPERATIONS[name][0]
    with counting_queries() as first:
        await KEYED[name](persistence, world)
    # in one transaction: claim the key, the write itself, record its result
    assert first.count == unkeyed + 2, "\n".join(first.statements)
    assert "idempotency_keys" in first.statements[0]
    with counting_queries() as repeat:
        await KEYED[name](persistence, world)
    # claim the key (found), read its result: the write is not sent again
    assert repeat.count == 2, "\n".join(repeat.statements)
    assert all("idempotency_keys" in statement for statement in repeat.statements)
