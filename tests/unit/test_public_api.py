"""What game code imports from the package root."""

from __future__ import annotations

import inspect

import mud_persistence
from mud_persistence import AsyncPersistenceLayer

DESIGNED_METHODS = [
    "connect",
    "close",
    "upgrade",
    "migration_status",
    "create_player",
    "get_player_by_id",
    "get_player_by_name",
    "get_player_by_user_id",
    "get_players_by_user_id",
    "get_active_players_by_user_id",
    "list_players",
    "get_players_in_room",
    "get_players_batch",
    "save_player",
    "save_players",
    "soft_delete_player",
    "delete_player",
    "update_player_last_active",
    "validate_and_fix_player_room",
    "get_room_by_id",
    "list_rooms",
    "warmup_room_cache",
    "async_list_rooms",
    "get_professions",
    "get_all_professions",
    "get_profession_by_id",
    "damage_player",
    "heal_player",
    "update_player_health",
    "gain_experience",
    "update_player_xp",
    "update_player_stat_field",
    "apply_lucidity_loss",
    "apply_fear",
    "apply_corruption",
    "gain_occult_knowledge",
    "create_container",
    "get_container",
    "get_containers_by_room_id",
    "get_containers_by_entity_id",
    "update_container",
    "get_decayed_containers",
    "delete_container",
    "add_item_to_container",
    "remove_item_from_container",
    "transfer_item",
    "create_item_instance",
    "ensure_item_instance",
    "upsert_item_instance",
    "item_instance_exists",
    "get_item_instance",
    # typed twins of the old-named container methods, for new code
    "create_container_data",
    "get_container_data",
    "get_container_data_by_room_id",
    "get_container_data_by_entity_id",
    "get_decayed_container_data",
    "update_container_data",
]


def test_every_exported_name_exists() -> None:
    for name in mud_persistence.__all__:
        assert hasattr(mud_persistence, name), name


def test_the_facade_has_every_method_of_the_design() -> None:
    for name in DESIGNED_METHODS:
        method = getattr(AsyncPersistenceLayer, name)
        assert callable(method), name
    sync = {"get_room_by_id", "list_rooms", "validate_and_fix_player_room"}
    for name in set(DESIGNED_METHODS) - sync:
        assert inspect.iscoroutinefunction(getattr(AsyncPersistenceLayer, name)), name


def test_every_public_facade_method_says_what_it_does() -> None:
    undocumented = [
        name
        for name, method in inspect.getmembers(AsyncPersistenceLayer, inspect.isfunction)
        if not name.startswith("_") and not inspect.getdoc(method)
    ]
    assert undocumented == []
