"""What a newcomer reads when a call goes wrong: whole sentences, our words, no Python reprs.

Each case is a mistake someone new to the layer makes, with the message they must get back.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from mud_persistence import (
    AsyncPersistenceLayer,
    NotFoundError,
    PersistenceError,
    ValidationError,
)

NOBODY = uuid.UUID("6f1c3b2a-0000-4000-8000-00000000abcd")

Call = Callable[[AsyncPersistenceLayer], Awaitable[Any]]

MISTAKES: list[tuple[str, Call, type[PersistenceError], str]] = [
    (
        "a 51-character name",
        lambda p: p.create_player(name="N" * 51, user_id=uuid.uuid4()),
        ValidationError,
        "invalid player: name: should have at most 50 characters, not 51, got 'NNNN",
    ),
    (
        "an empty name",
        lambda p: p.create_player(name="", user_id=uuid.uuid4()),
        ValidationError,
        "invalid player: name: should have at least 1 character(s), got ''",
    ),
    (
        "a chest with no room",
        lambda p: p.create_container("environment"),
        ValidationError,
        "invalid container: an environment container needs room_id (the room it is in)",
    ),
    (
        "worn gear with no wearer",
        lambda p: p.create_container("equipment"),
        ValidationError,
        "invalid container: an equipment container needs entity_id (the player wearing it)",
    ),
    (
        "an unknown player id",
        lambda p: p.update_player_health(NOBODY, 5),
        NotFoundError,
        f"player {NOBODY} not found",
    ),
    (
        "an unknown container id",
        lambda p: p.update_container_data(NOBODY, lock_state="locked"),
        NotFoundError,
        f"container {NOBODY} not found",
    ),
    (
        "damage to the None a failed lookup returned",
        lambda p: p.damage_player(None, 5),  # type: ignore[arg-type]
        ValidationError,
        "player must be a Player object (as get_player_by_id returns), got None",
    ),
    (
        "XP for a player id instead of the player",
        lambda p: p.gain_experience(str(NOBODY), 5),  # type: ignore[arg-type]
        ValidationError,
        f"player must be a Player object (as get_player_by_id returns), got '{NOBODY}'",
    ),
    (
        "fear for nobody",
        lambda p: p.apply_fear(None, 5),  # type: ignore[arg-type]
        ValidationError,
        "player must be a Player object",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [case[1:] for case in MISTAKES],
    ids=[case[0] for case in MISTAKES],
)
async def test_each_mistake_gets_a_message_written_for_a_newcomer(
    contract_persistence: AsyncPersistenceLayer,
    call: Call,
    error: type[PersistenceError],
    message: str,
) -> None:
    with pytest.raises(error) as caught:
        await call(contract_persistence)
    assert str(caught.value).startswith(message)
    assert "UUID(" not in str(caught.value) and "Value error" not in str(caught.value)
