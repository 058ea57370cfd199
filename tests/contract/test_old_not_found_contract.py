"""What each old facade method of the player, room, profession and effect parts returns when
nothing matches: the old layer's answer, on PostgreSQL and SQLite. (Containers and items have
their own contract tests.)"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from mud_persistence import AsyncPersistenceLayer

pytestmark = pytest.mark.contract

NOBODY = uuid.uuid4()

NOT_FOUND: dict[str, tuple[Callable[[AsyncPersistenceLayer], Awaitable[Any]], Any]] = {
    "get_player_by_name": (lambda layer: layer.get_player_by_name("Nobody"), None),
    "get_player_by_id": (lambda layer: layer.get_player_by_id(NOBODY), None),
    "get_players_by_user_id": (lambda layer: layer.get_players_by_user_id(str(NOBODY)), []),
    "get_active_players_by_user_id": (
        lambda layer: layer.get_active_players_by_user_id(NOBODY),
        [],
    ),
    "get_player_by_user_id": (lambda layer: layer.get_player_by_user_id(NOBODY), None),
    "soft_delete_player": (lambda layer: layer.soft_delete_player(NOBODY), False),
    "delete_player": (lambda layer: layer.delete_player(NOBODY), False),
    "update_player_last_active": (lambda layer: layer.update_player_last_active(NOBODY), None),
    "get_players_in_room": (lambda layer: layer.get_players_in_room("nowhere"), []),
    "get_players_batch": (lambda layer: layer.get_players_batch([NOBODY]), {}),
    "get_players_batch_empty": (lambda layer: layer.get_players_batch([]), {}),
    "list_players": (lambda layer: layer.list_players(), []),
    "get_profession_by_id": (lambda layer: layer.get_profession_by_id(999), None),
    "get_active_player_effects": (lambda layer: layer.get_active_player_effects(NOBODY, 5), []),
    "has_player_effect": (lambda layer: layer.has_player_effect(NOBODY, "poison", 5), False),
    "get_player_effect_remaining_ticks": (
        lambda layer: layer.get_player_effect_remaining_ticks(NOBODY, "poison", 5),
        None,
    ),
    "expire_player_effects_for_tick": (lambda layer: layer.expire_player_effects_for_tick(5), []),
    "remove_player_effect_by_id": (lambda layer: layer.remove_player_effect_by_id(NOBODY), False),
}


@pytest.mark.parametrize("name", list(NOT_FOUND))
async def test_nothing_found_gives_the_old_answer(
    contract_persistence: AsyncPersistenceLayer, name: str
) -> None:
    call, expected = NOT_FOUND[name]
    assert await call(contract_persistence) == expected


def test_an_unknown_room_is_none(contract_persistence: AsyncPersistenceLayer) -> None:
    assert contract_persistence.get_room_by_id("nowhere") is None
    assert contract_persistence.get_room_by_id("instance_nowhere") is None
