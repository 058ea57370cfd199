"""Contender 2b: raw asyncpg, the best possible: the facade's semantics and results, with the
fewest round trips they allow and no pool reset. The fair limit for the facade.

- Results as the facade returns them: a player as a dict of every column (JSON decoded, ids as
  strings), the new DP, an ``XPAward``, old container dicts for the listing, and the destination
  ``ContainerData`` for a transfer; the facade's error classes for its refusals.
- One statement per operation, none of them inside BEGIN/COMMIT: each is atomic by itself.
- Each change writes its event to the outbox table in that same statement, as the facade does
  (issue 18): a kind, the call's arguments and the changed values, which is what a subscriber
  in another process needs. The facade's relay then sends one NOTIFY per round of commits, not
  per change; the contender sends none.
- No reset query when a connection goes back to the pool (the facade's layer keeps no session
  state either): asyncpg's pool accepts a ``reset`` coroutine, and an empty one skips it.

Not reproduced: the facade's room check on a loaded player (an in-memory lookup that writes
only when the player's room does not exist; the bench's rooms exist), its events on the local
bus (in-memory calls with no subscriber here), and its reading of the outbox for cache events
from other processes (when one announces a room, a profession or an item prototype, and every
poll interval). These cost the facade little.
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg

from bench.contenders import sql
from mud_persistence.errors import CapacityError, ConflictError, NotFoundError
from mud_persistence.models import LockState, SourceType
from mud_persistence.models.limits import COUNTER_MAX, MAX_EXPERIENCE
from mud_persistence.schemas.container import DEFAULT_SLOT_TYPE, ContainerData, ContainerItem
from mud_persistence.schemas.progress import XPAward
from mud_persistence.settings import PersistenceSettings

DP_FLOOR = PersistenceSettings().dp_floor
EFFECTIVE_MAX_DP = "COALESCE(p.max_dp, GREATEST(20, (p.constitution + p.size) / 5))"

PLAYER_BY_ID = "SELECT * FROM players WHERE player_id = $1"
PLAYER_BY_NAME = "SELECT * FROM players WHERE LOWER(name) = LOWER($1) AND NOT is_deleted LIMIT 1"
PLAYERS_IN_ROOM = (
    "SELECT * FROM players WHERE current_room_id = $1 AND NOT is_deleted ORDER BY name"
)
# The origin of this contender's outbox rows (the facade's are its process's); no relay
# publishes them, and no facade takes them over, since no outbox_origins row names it.
ORIGIN = "bench:raw_best"


def with_event(update: str, kind: str, args: str) -> str:
    """``update`` (``old AS (...) UPDATE ... RETURNING``, the CTE of the locked old row and the
    change) as one statement that also writes the change's outbox row, as the facade's counter
    statements do: ``args`` (SQL for the call's arguments as JSON) and the returned row. The
    row's id is taken by ``nextval``, as the facade's: the UPDATE has given the transaction
    its id already."""
    old, _, change = update.partition("\nUPDATE ")
    return f"""WITH {old.strip().removeprefix("WITH ")}, changed AS (UPDATE {change}),
outbox_row AS (
    INSERT INTO outbox (id, kind, player_id, payload, origin)
    SELECT nextval('outbox_id_seq'), '{kind}', $1,
        json_build_object('args', {args}, 'row', row_to_json(changed)), '{ORIGIN}'
    FROM changed
)
SELECT * FROM changed"""


# The CTE locks the row and keeps its old value; the UPDATE clamps as the facade does.
DAMAGE_UPDATE = f"""
WITH old AS (
    SELECT player_id, current_dp FROM players WHERE player_id = $1 AND NOT is_deleted FOR UPDATE
)
UPDATE players p SET current_dp = GREATEST($2::int, LEAST(p.current_dp - $3::int,
    {EFFECTIVE_MAX_DP}))
FROM old WHERE p.player_id = old.player_id
RETURNING old.current_dp AS old_dp, p.current_dp AS new_dp, {EFFECTIVE_MAX_DP} AS max_dp
"""
DAMAGE = with_event(DAMAGE_UPDATE, "dp", "json_build_object('player_id', $1, 'source', 'physical')")
HEAL = with_event(
    DAMAGE_UPDATE.replace("p.current_dp - $3::int", "p.current_dp + $3::int"),
    "dp",
    "json_build_object('player_id', $1, 'source', 'heal')",
)
# update_player_stat_field(player, "magic_points", delta): raw asyncpg's statement, with its event
MAGIC_POINTS = with_event(
    sql.MAGIC_POINTS,
    "stat",
    "json_build_object('player_id', $1, 'field', 'magic_points', 'reason', '')",
)
# The level is the game's: the facade leaves it alone unless settings.xp_per_level is set.
GAIN_XP = with_event(
    """
WITH old AS (
    SELECT player_id, experience_points FROM players
    WHERE player_id = $1 AND NOT is_deleted FOR UPDATE
)
UPDATE players p SET experience_points = GREATEST(0, LEAST(p.experience_points + $2::bigint,
    $3::bigint))
FROM old WHERE p.player_id = old.player_id
RETURNING old.experience_points AS old_xp, p.experience_points AS new_xp, p.level
""",
    "xp",
    "json_build_object('player_id', $1, 'source', $4::text)",
)
# save_player of a loaded player that changed one field: written only if the stored value is
# still the one it was loaded with.
SAVE_ROOM = (
    "UPDATE players SET current_room_id = $1"
    " WHERE player_id = $2 AND NOT is_deleted AND current_room_id = $3"
)
CONTAINER_COLUMNS = (
    "c.container_id, c.source_type, c.owner_id, c.room_id, c.entity_id, c.lock_state,"
    " c.capacity_slots, c.weight_limit, c.decay_at, c.allowed_roles, c.metadata,"
    " c.container_item_instance_id, c.created_at"
)
# One old items_json entry, rendered by the database.
OLD_ITEM = """json_build_object(
    'item_instance_id', i.item_instance_id, 'item_id', NULLIF(pr.prototype_id, ''),
    'item_name', COALESCE(NULLIF(i.custom_name, ''), NULLIF(pr.name, ''), 'Unknown Item'),
    'quantity', i.quantity,
    'condition', CASE WHEN COALESCE(i.condition, 0) = 0 THEN 'pristine'
                      ELSE i.condition::text END,
    'position', cc.position, 'metadata', i.metadata, 'slot_type', 'backpack')"""
# The room's containers, each with its items aggregated by the database: one statement, which
# joins and aggregates the items of all the containers once, as the facade's does (a subquery
# per container scanned the small item_instances table once per container). Rows joined flat
# and built into dicts in Python were measured too, against that earlier subquery form: about
# as fast on 20 containers x 5 items, 1.5 times slower on 500 x 20 (225 against 150 ms).
ROOM_LISTING = f"""
WITH listed AS MATERIALIZED (
    SELECT cc.container_id, json_agg({OLD_ITEM} ORDER BY cc.position) AS items
    FROM containers c
    JOIN container_contents cc ON cc.container_id = c.container_id
    JOIN item_instances i ON i.item_instance_id = cc.item_instance_id
    JOIN item_prototypes pr ON pr.prototype_id = i.prototype_id
    WHERE c.room_id = $1 GROUP BY cc.container_id)
SELECT {CONTAINER_COLUMNS}, c.updated_at, COALESCE(listed.items, '[]'::json) AS items
FROM containers c LEFT JOIN listed ON listed.container_id = c.container_id
WHERE c.room_id = $1 ORDER BY c.created_at
"""
# transfer_item in one statement: lock both containers in id order, check that the item is in
# the source, find the lowest free slot of the target and check its slots and weight limit,
# move the item, hand it over, write its event to the outbox, touch both containers, and return
# the target with its items.
# Data-modifying CTEs all see the statement's snapshot, so the returned items are the target's
# items before the move plus the moved one. A concurrent insert into the same target that
# committed after that snapshot can make the chosen slot collide with the unique
# (container_id, position) index: nothing is written then, and transfer_item runs the statement
# again (the facade, locking first and reading after, never sees that case). The weight check
# reads that snapshot too, so an item added concurrently to a weight-limited target can go
# unseen: there the facade is stricter (the bench's containers have no weight limit).
TRANSFER = f"""
WITH locked AS (
    SELECT container_id, capacity_slots, weight_limit FROM containers
    WHERE container_id = ANY(ARRAY[$2::uuid, $3::uuid]) ORDER BY container_id FOR UPDATE
), target AS (
    SELECT * FROM locked WHERE container_id = $3
), held AS (
    SELECT cc.id FROM container_contents cc
    WHERE cc.container_id = $2 AND cc.item_instance_id = $1 AND (SELECT count(*) FROM locked) = 2
), slot AS (
    SELECT
        (SELECT min(p) FROM target t, generate_series(0, t.capacity_slots - 1) p
         WHERE p NOT IN (SELECT position FROM container_contents WHERE container_id = $3))
            AS position,
        (SELECT t.weight_limit IS NULL OR COALESCE(sum(i.quantity * pr.weight::text::numeric), 0)
                <= t.weight_limit
         FROM target t, item_instances i JOIN item_prototypes pr USING (prototype_id)
         WHERE i.item_instance_id = $1 OR i.item_instance_id IN
             (SELECT item_instance_id FROM container_contents WHERE container_id = $3)
         GROUP BY t.weight_limit) AS light_enough
), moved AS (
    UPDATE container_contents cc SET container_id = $3, position = slot.position
    FROM held, slot
    WHERE cc.id = held.id AND slot.position IS NOT NULL AND slot.light_enough
    RETURNING cc.item_instance_id, cc.position
), handed AS (
    UPDATE item_instances SET owner_type = 'container', owner_id = $3::text, updated_at = now()
    WHERE item_instance_id IN (SELECT item_instance_id FROM moved)
    RETURNING item_instance_id
), outbox_row AS (
    INSERT INTO outbox (kind, payload, origin)
    SELECT 'item_transferred', json_build_object('item_instance_id', item_instance_id,
        'from_container_id', $2::uuid, 'to_container_id', $3::uuid, 'to_owner_type', 'container',
        'to_owner_id', $3::text), '{ORIGIN}'
    FROM moved
), touched AS (
    UPDATE containers SET updated_at = now()
    WHERE container_id IN (SELECT container_id FROM locked) AND EXISTS (SELECT 1 FROM moved)
    RETURNING container_id, updated_at
), items AS (
    SELECT cc.item_instance_id, cc.position FROM container_contents cc WHERE cc.container_id = $3
    UNION ALL SELECT item_instance_id, position FROM moved
)
SELECT (SELECT count(*) FROM locked) AS locked, EXISTS (SELECT 1 FROM held) AS held,
    EXISTS (SELECT 1 FROM moved) AS moved, (SELECT position FROM slot) IS NOT NULL AS free,
    {CONTAINER_COLUMNS}, (SELECT updated_at FROM touched WHERE container_id = $3) AS updated_at,
    (SELECT json_agg(json_build_object(
        'item_instance_id', i.item_instance_id, 'item_id', i.prototype_id,
        'item_name', COALESCE(NULLIF(i.custom_name, ''), pr.name), 'quantity', i.quantity,
        'condition', i.condition, 'position', it.position, 'metadata', i.metadata)
        ORDER BY it.position)
     FROM items it JOIN item_instances i USING (item_instance_id)
     JOIN item_prototypes pr ON pr.prototype_id = i.prototype_id) AS items
FROM containers c WHERE c.container_id = $3
"""


async def _json_codecs(connection: asyncpg.Connection) -> None:
    for kind in ("json", "jsonb"):
        await connection.set_type_codec(
            kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


async def _no_reset(connection: asyncpg.Connection) -> None:
    """asyncpg runs this instead of its reset query (RESET ALL, UNLISTEN, ...)."""


def player_dict(row: asyncpg.Record) -> dict[str, Any]:
    """Every column, as the facade's Player shows it: JSON decoded, ids as strings."""
    player = dict(row)
    player["player_id"] = str(player["player_id"])
    player["user_id"] = str(player["user_id"])
    return player


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def old_container(row: asyncpg.Record) -> dict[str, Any]:
    """The old layer's container dict, as the facade's get_containers_by_room_id returns it."""
    return {
        "container_id": str(row["container_id"]),
        "source_type": row["source_type"],
        "owner_id": None if row["owner_id"] is None else str(row["owner_id"]),
        "room_id": row["room_id"],
        "entity_id": None if row["entity_id"] is None else str(row["entity_id"]),
        "lock_state": row["lock_state"],
        "capacity_slots": row["capacity_slots"],
        "weight_limit": row["weight_limit"],
        "decay_at": _iso(row["decay_at"]),
        "allowed_roles": row["allowed_roles"],
        "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
        "items_json": row["items"],
        "metadata_json": row["metadata"],
    }


def container_data(row: asyncpg.Record) -> ContainerData:
    """The destination as the facade returns it; built without validation (the database's
    values are the schema's types already)."""
    items = [
        ContainerItem.model_construct(
            **item, slot_type=item["metadata"].get("slot_type", DEFAULT_SLOT_TYPE)
        )
        for item in row["items"] or []
    ]
    return ContainerData.model_construct(
        container_id=row["container_id"],
        source_type=SourceType(row["source_type"]),
        owner_id=row["owner_id"],
        room_id=row["room_id"],
        entity_id=row["entity_id"],
        lock_state=LockState(row["lock_state"]),
        capacity_slots=row["capacity_slots"],
        weight_limit=row["weight_limit"],
        decay_at=row["decay_at"],
        allowed_roles=row["allowed_roles"],
        metadata=row["metadata"],
        container_item_instance_id=row["container_item_instance_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        items=items,
    )


class RawBestContender:
    name = "raw_best"

    def __init__(self, url: str, pool_size: int) -> None:
        self.url, self.pool_size = url, pool_size
        self.pool: asyncpg.Pool | None = None

    async def start(self) -> None:
        self.pool = await asyncpg.create_pool(
            self.url,
            min_size=self.pool_size,
            max_size=self.pool_size,
            init=_json_codecs,
            reset=_no_reset,
        )

    async def stop(self) -> None:
        assert self.pool is not None
        await self.pool.close()

    @property
    def _pool(self) -> asyncpg.Pool:
        assert self.pool is not None, "start() first"
        return self.pool

    async def get_player_by_id(self, player_id: uuid.UUID | str) -> dict[str, Any] | None:
        row = await self._pool.fetchrow(PLAYER_BY_ID, uuid.UUID(str(player_id)))
        return None if row is None else player_dict(row)

    async def get_player_by_name(self, name: str) -> dict[str, Any] | None:
        row = await self._pool.fetchrow(PLAYER_BY_NAME, unicodedata.normalize("NFC", name))
        return None if row is None else player_dict(row)

    async def get_players_in_room(self, room_id: str) -> list[dict[str, Any]]:
        return [player_dict(row) for row in await self._pool.fetch(PLAYERS_IN_ROOM, room_id)]

    async def damage_player(self, player_id: uuid.UUID | str, amount: int = 1) -> int:
        player_id = uuid.UUID(str(player_id))
        row = await self._pool.fetchrow(DAMAGE, player_id, DP_FLOOR, amount)
        if row is None:
            raise NotFoundError("Player", player_id)
        return int(row["new_dp"])

    async def heal_player(self, player_id: uuid.UUID | str, amount: int = 1) -> int:
        player_id = uuid.UUID(str(player_id))
        row = await self._pool.fetchrow(HEAL, player_id, DP_FLOOR, amount)
        if row is None:
            raise NotFoundError("Player", player_id)
        return int(row["new_dp"])

    async def update_player_stat_field(self, player_id: uuid.UUID | str, delta: int = 1) -> int:
        player_id = uuid.UUID(str(player_id))
        row = await self._pool.fetchrow(MAGIC_POINTS, player_id, delta, COUNTER_MAX)
        if row is None:
            raise NotFoundError("Player", player_id)
        return int(row["new_value"])

    async def gain_experience(
        self, player_id: uuid.UUID | str, amount: int = 1, source: str = "unknown"
    ) -> XPAward:
        player_id = uuid.UUID(str(player_id))
        row = await self._pool.fetchrow(GAIN_XP, player_id, amount, MAX_EXPERIENCE, source)
        if row is None:
            raise NotFoundError("Player", player_id)
        return XPAward.model_construct(
            player_id=player_id,
            amount=row["new_xp"] - row["old_xp"],
            old_xp=row["old_xp"],
            new_xp=row["new_xp"],
            old_level=row["level"],
            new_level=row["level"],
            source=source,
        )

    async def save_player(self, player_id: uuid.UUID | str, old_room: str, new_room: str) -> None:
        player_id = uuid.UUID(str(player_id))
        status = await self._pool.execute(SAVE_ROOM, new_room, player_id, old_room)
        if status != "UPDATE 1":  # as the facade: a second query only to name the refusal
            raise ConflictError(f"player {player_id} changed since it was loaded")

    async def get_containers_by_room_id(self, room_id: str) -> list[dict[str, Any]]:
        return [old_container(row) for row in await self._pool.fetch(ROOM_LISTING, room_id)]

    async def transfer_item(
        self, item_id: str, source: uuid.UUID | str, target: uuid.UUID | str
    ) -> ContainerData:
        source, target = uuid.UUID(str(source)), uuid.UUID(str(target))
        while True:
            try:
                row = await self._pool.fetchrow(TRANSFER, item_id, source, target)
                break
            except asyncpg.UniqueViolationError:  # see TRANSFER: a slot taken meanwhile
                continue
        if row is None or row["locked"] < 2:
            raise NotFoundError("Container", target if row is None else source)
        if not row["held"]:
            raise ConflictError(f"item {item_id!r} is not in container {source}")
        if not row["moved"]:
            raise CapacityError(
                f"container {target} is full"
                if not row["free"]
                else f"container {target} would be over its weight limit"
            )
        return container_data(row)
