"""The one way counters change: lock the player's row, apply F-expressions, read the result."""

from __future__ import annotations

import uuid
from typing import Any

from mud_persistence.errors import NotFoundError
from mud_persistence.models import Player


async def update_counters(
    player_id: uuid.UUID, changes: dict[str, Any], watched: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply ``changes`` (column -> SQL expression) to an active player's row.

    Call inside the operation's transaction. The row is locked first, so the values of
    ``watched`` returned from before and after are exactly this change's, whatever runs
    concurrently.

    Raises:
        NotFoundError: no active player has this id.
    """
    active = Player.filter(player_id=player_id, is_deleted=False)
    before = await active.select_for_update().only("player_id", *watched).first()
    if before is None:
        raise NotFoundError("Player", player_id)
    await Player.filter(player_id=player_id).update(**changes)
    after = await Player.filter(player_id=player_id).only("player_id", *watched).first()
    assert after is not None  # the row is locked by this transaction
    return _read(before, watched), _read(after, watched)


def _read(player: Player, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(player, name) for name in fields}


def refresh(player: Player, values: dict[str, Any]) -> None:
    """Copy the database's new values onto the caller's object, keeping its other edits."""
    for name, value in values.items():
        setattr(player, name, value)
    player.mark_saved(tuple(name for name in values if name in Player._meta.fields_map))
