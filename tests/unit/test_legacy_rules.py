"""The import's row rules on their own: odd old values, each problem and its repair."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from mud_persistence.models import Container, ItemInstance, ItemPrototype, Player, Profession
from mud_persistence.models.effect import PlayerEffect
from mud_persistence.repositories.legacy.container_rules import (
    convert_container,
    convert_content,
    register_content,
)
from mud_persistence.repositories.legacy.player_rules import convert_player
from mud_persistence.repositories.legacy.rules import (
    INSTANCE_JSON,
    PROTOTYPE_JSON,
    ImportContext,
    convert_item_instance,
    convert_item_prototype,
    convert_player_effect,
    convert_profession,
)

PLAYER = uuid.UUID(int=7)
STACK = {"item_id": "misc.coin", "item_name": "Coin", "slot_type": "pouch", "quantity": 1}


def old_player(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "player_id": PLAYER,
        "user_id": uuid.UUID(int=1),
        "name": "Peaslee",
        "inventory": "[]",
        "status_effects": "[]",
        "current_room_id": "room_1",
        "respawn_room_id": None,
        "experience_points": 0,
        "level": 1,
        "is_admin": 0,
        "profession_id": None,
        "created_at": datetime(2025, 1, 1, tzinfo=UTC),
        "last_active": datetime(2025, 1, 2, tzinfo=UTC),
        "stats": "{}",
        "is_deleted": False,
        "deleted_at": None,
        "tutorial_instance_id": None,
        "has_inventory_row": False,
        "inventory_json": None,
        "equipped_json": None,
    }
    record.update(changes)
    return record


def context(on_conflict: str = "fix") -> ImportContext:
    return ImportContext(on_conflict, dp_floor=-10)  # type: ignore[arg-type]


def repairs(row: Any) -> list[str | None]:
    return [problem.repair for problem in row.problems]


def test_a_clean_player_has_no_problem_and_takes_defaults_for_missing_stats() -> None:
    row = convert_player(old_player(stats='{"strength": 70}'), context())
    assert row.problems == [] and row.notes == []
    assert (row.values["strength"], row.values["dexterity"], row.values["max_dp"]) == (70, 50, None)
    assert row.values["position"] == "standing"


def test_odd_stats_are_problems_with_a_repair() -> None:
    stats = {"strength": "strong", "luck": 50.0, "fear": 101, "position": ["lying"], "mood": 3}
    row = convert_player(old_player(stats=json.dumps(stats)), context())
    assert row.values["strength"] == 50  # the default
    assert row.values["luck"] == 50  # a whole float is a whole number
    assert row.values["fear"] == 100
    assert row.values["position"] == "standing"
    assert repairs(row) == [
        "strength = 50 (the default)",
        "fear = 100 (clamped)",
        "position = 'standing'",
        "dropped mood",
    ]


def test_the_old_optional_stats_arrive_in_their_columns() -> None:
    stats = {"max_magic_points": 30, "max_lucidity": None, "_mp_fractional": 0.25}
    row = convert_player(old_player(stats=json.dumps(stats)), context())
    assert row.problems == []
    assert (row.values["max_magic_points"], row.values["max_lucidity"]) == (30, None)
    assert row.values["mp_fractional"] == 0.25

    bad = convert_player(
        old_player(stats='{"_mp_fractional": 1.5, "max_lucidity": "x"}'), context()
    )
    assert (bad.values["mp_fractional"], bad.values["max_lucidity"]) == (None, None)
    assert repairs(bad) == ["max_lucidity = null (the default)", "mp_fractional = null"]


def test_stats_that_are_not_an_object_all_take_defaults() -> None:
    row = convert_player(old_player(stats="[1, 2]"), context())
    assert repairs(row) == ["stats = {}"]
    assert row.values["strength"] == 50


def test_current_dp_is_clamped_to_the_floor_and_the_derived_max() -> None:
    low = convert_player(old_player(stats='{"current_dp": -50}'), context())
    high = convert_player(old_player(stats='{"current_dp": 500}'), context())
    assert (low.values["current_dp"], high.values["current_dp"]) == (-10, 20)


def test_inventory_keeps_valid_stacks_and_the_first_twenty() -> None:
    stacks = [STACK] * 21 + ["not a stack"]
    row = convert_player(old_player(inventory=json.dumps(stacks)), context())
    assert json.loads(row.values["inventory"]) == [STACK] * 20
    assert repairs(row) == ["dropped inventory[21]", "kept the first 20, dropped the rest"]


def test_unparsable_inventory_and_status_effects_become_empty() -> None:
    row = convert_player(old_player(inventory="[{", status_effects="{}"), context())
    assert (row.values["inventory"], row.values["status_effects"]) == ("[]", "[]")
    assert repairs(row) == ["inventory = []", "status_effects = []"]


def test_equipped_comes_from_player_inventories_and_bad_slots_are_dropped() -> None:
    equipped = {"head": STACK, "Bad Slot": STACK, "hands": {**STACK, "quantity": 2}}
    row = convert_player(
        old_player(has_inventory_row=True, inventory_json="[]", equipped_json=json.dumps(equipped)),
        context(),
    )
    assert json.loads(row.values["equipped"]) == {"head": STACK}
    assert repairs(row) == ["dropped equipped slot 'Bad Slot'", "dropped equipped slot 'hands'"]


def test_a_different_inventory_json_is_noted_and_players_inventory_wins() -> None:
    row = convert_player(
        old_player(
            inventory=json.dumps([STACK]),
            has_inventory_row=True,
            inventory_json="[]",
            equipped_json="{}",
        ),
        context(),
    )
    assert row.problems == [] and len(row.notes) == 1
    assert json.loads(row.values["inventory"]) == [STACK]


def test_an_empty_room_and_a_blank_name_are_repaired() -> None:
    row = convert_player(old_player(current_room_id="", name="   "), context())
    assert row.values["current_room_id"] == "earth_arkhamcity_sanitarium_room_foyer_001"
    assert row.values["name"] == f"player-{str(PLAYER)[:8]}"


def test_profession_json_text_of_the_wrong_kind_takes_the_default() -> None:
    record = {
        "id": 3,
        "name": "Doctor",
        "description": "",
        "flavor_text": "",
        "stat_requirements": "[]",
        "mechanical_effects": "{}",
        "stat_modifiers": '{"a": 1}',
        "skill_modifiers": "[]",
        "is_available": True,
    }
    row = convert_profession(record, context())
    assert (row.values["stat_requirements"], row.values["stat_modifiers"]) == ("{}", "[]")
    assert repairs(row) == ["stat_requirements = {}", "stat_modifiers = []"]


def test_an_item_listed_twice_in_one_container_keeps_the_first() -> None:
    state = context()
    container = uuid.UUID(int=9)
    state.kept = {"containers": {str(container)}, "item_instances": {"i-1"}}
    entry = {"container_id": container, "item_instance_id": "i-1", "origin": "items_json"}
    first = convert_content({**entry, "position": 0, "top_position": 1}, state)
    register_content(first, state)
    second = convert_content({**entry, "position": 1, "top_position": 1}, state)
    assert first.problems == []
    assert second.dropped_by_fix and repairs(second) == ["dropped the copy"]


def columns(model: type[Any]) -> set[str]:
    meta = model._meta
    keys = {f"{name}_id" for name in meta.fk_fields | meta.o2o_fields}  # Tortoise's default
    return {meta.fields_db_projection[name] for name in meta.db_fields} | keys


def test_a_player_row_fills_every_column_of_the_model() -> None:
    """A column added to Player must be mapped by the import (stats are, by name)."""
    row = convert_player(old_player(), context())
    assert set(row.values) == columns(Player)


def test_every_other_table_fills_every_column_of_its_model() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    state = context()
    state.kept = {"players": {str(PLAYER)}, "item_prototypes": {"p"}}
    profession = convert_profession(
        {"id": 1, "name": "n", "description": "", "flavor_text": "", "is_available": True}
        | dict.fromkeys(
            ("stat_requirements", "mechanical_effects", "stat_modifiers", "skill_modifiers")
        ),
        state,
    )
    prototype = convert_item_prototype(
        {"prototype_id": "p", "name": "n", "short_description": "", "long_description": "",
         "item_type": "misc", "weight": 1.0, "base_value": 1, "durability": None,
         "created_at": now} | dict.fromkeys(PROTOTYPE_JSON),
        state,
    )  # fmt: skip
    instance = convert_item_instance(
        {"item_instance_id": "i", "prototype_id": "p", "owner_type": "room", "owner_id": None,
         "location_context": None, "quantity": 1, "condition": None, "binding_state": None,
         "custom_name": None, "origin_source": None, "created_at": now, "updated_at": now}
        | dict.fromkeys(INSTANCE_JSON),
        state,
    )  # fmt: skip
    container = convert_container(
        {"container_instance_id": uuid.UUID(int=3), "source_type": "environment",
         "owner_id": None, "room_id": "r", "entity_id": None, "lock_state": "unlocked",
         "capacity_slots": 8, "weight_limit": None, "decay_at": None, "allowed_roles": None,
         "metadata_json": None, "container_item_instance_id": None, "created_at": now,
         "updated_at": now},
        state,
    )  # fmt: skip
    effect = convert_player_effect(
        {"id": uuid.UUID(int=4), "player_id": PLAYER, "effect_type": "t", "category": "c",
         "duration": 1, "applied_at_tick": 0, "intensity": 1, "source": None,
         "visibility_level": "visible", "created_at": datetime(2025, 1, 1)},
        state,
    )  # fmt: skip
    assert set(profession.values) == columns(Profession)
    assert set(prototype.values) == columns(ItemPrototype)
    assert set(instance.values) == columns(ItemInstance)
    assert set(container.values) == columns(Container)
    assert set(effect.values) == columns(PlayerEffect)
    assert all(not row.problems for row in (profession, prototype, instance, container, effect))


def old_container(**changes: Any) -> dict[str, Any]:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    return {
        "container_instance_id": uuid.UUID(int=3), "source_type": "environment",
        "owner_id": None, "room_id": "r", "entity_id": None, "lock_state": "unlocked",
        "capacity_slots": 8, "weight_limit": None, "decay_at": None, "allowed_roles": None,
        "metadata_json": None, "container_item_instance_id": None, "created_at": now,
        "updated_at": now,
    } | changes  # fmt: skip


def test_a_corpse_in_no_room_is_kept_as_the_containers_table_allows() -> None:
    assert not convert_container(
        old_container(source_type="corpse", room_id=None), context()
    ).problems
    chest = convert_container(old_container(source_type="environment", room_id=None), context())
    assert chest.problems
