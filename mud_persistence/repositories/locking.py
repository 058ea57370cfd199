"""Row locks, always taken in one global order, so that no two operations can deadlock.

The order, for every operation that locks more than one row:

1. player rows, by ascending ``player_id`` (``lock_player`` for one; ``save_players`` sorts
   its batch);
2. container rows, by ascending ``container_id`` (``lock_containers``, one statement);
3. item instance rows, by ascending ``item_instance_id`` (``lock_items``, one statement).

An operation may skip a level, never go back up one: having locked an item, it locks no
container, and having locked a container, no player. Rows a statement changes are locked too, so
an operation changes container rows only after ``lock_containers`` and item rows only after
``lock_items`` or a container lock that covers them (an item in a container is only changed
by someone holding that container). Deleting a player locks its row, then the containers it
wears or owns, then deletes the items worn, so its cascades touch nothing unlocked.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, TypeVar

from mud_persistence.errors import NotFoundError
from mud_persistence.models import Container, ItemInstance, Player


async def lock_player(player_id: uuid.UUID) -> Player | None:
    """Lock the player's row; None if there is none."""
    return await Player.filter(player_id=player_id).select_for_update().first()


async def lock_containers(
    container_ids: Iterable[uuid.UUID], *, missing_ok: bool = False
) -> list[Container]:
    """Lock the containers' rows in one statement, in id order (rows are locked as the sorted
    scan returns them); NotFoundError if one is missing, unless ``missing_ok``."""
    wanted = sorted(set(container_ids))
    if not wanted:
        return []
    locked = await _lock_rows(Container, wanted)
    missing = set(wanted) - {container.container_id for container in locked}
    if missing and not missing_ok:
        raise NotFoundError("Container", min(missing))
    return locked


async def lock_items(item_instance_ids: Iterable[str]) -> list[ItemInstance]:
    """Lock the item instances that exist among these ids, in id order."""
    wanted = sorted(set(item_instance_ids))
    if not wanted:
        return []
    return await _lock_rows(ItemInstance, wanted)


LockedModel = TypeVar("LockedModel", Container, ItemInstance)


async def _lock_rows(model: type[LockedModel], wanted: list[Any]) -> list[LockedModel]:
    """The rows of ``model`` with these primary keys, locked in key order. On PostgreSQL the
    keys are one array parameter (``= ANY($1)``), so every number of rows is the same
    prepared statement; an ``IN`` list would be a new one for each length."""
    db = model._meta.db
    key = model._meta.db_pk_column
    if db.capabilities.dialect != "postgres":
        found = model.filter(**{f"{key}__in": wanted}).order_by(key).select_for_update()
        return list(await found)
    sql = (
        f'SELECT * FROM "{model._meta.db_table}" WHERE "{key}" = ANY($1)'
        f' ORDER BY "{key}" FOR UPDATE'
    )
    _, rows = await db.execute_query(sql, [wanted])
    return [model._init_from_db(**dict(row)) for row in rows]
