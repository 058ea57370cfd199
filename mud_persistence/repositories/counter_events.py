"""Counter changes with their events: the change, its outbox row and the events built from the
row of old and new values, in one unit of work."""

from __future__ import annotations

import uuid
from typing import Any

from tortoise.transactions import in_transaction

from mud_persistence.events import Event, events_for
from mud_persistence.outbox import current_unit, record
from mud_persistence.repositories.counters import update_counters


async def change_counters(
    kind: str,
    player_id: uuid.UUID,
    changes: dict[str, Any],
    watched: tuple[str, ...],
    args: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any], list[Event]]:
    """Apply ``changes`` as ``update_counters`` does, and record the change's events (kind
    ``kind``, built by ``events_for`` from ``args`` and the row of old and new values).

    Returns:
        The watched columns before and after the change, and its events.
    """
    args = {"player_id": str(player_id), **args}
    unit = current_unit()
    if not unit.writes_rows:
        before, after = await update_counters(player_id, changes, watched)
        payload = {"args": args, "row": _row(before, after)}
        events = events_for(kind, payload)
        unit.add(None, events)
        return before, after, events
    async with in_transaction():
        before, after = await update_counters(player_id, changes, watched)
        payload = {"args": args, "row": _row(before, after)}
        events = events_for(kind, payload)
        await record(kind, payload, events, player_id=player_id)
    return before, after, events


def _row(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {
        **{f"old_{name}": value for name, value in before.items()},
        **{f"new_{name}": value for name, value in after.items()},
    }
