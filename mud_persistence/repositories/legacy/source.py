"""Reading the old layer's PostgreSQL schema: one consistent snapshot, streamed in batches."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg

from mud_persistence.errors import DatabaseError, SchemaError, ValidationError
from mud_persistence.urls import DatabaseURLError, parse_database_url

SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
REQUIRED_TABLES = (
    "professions",
    "item_prototypes",
    "players",
    "player_inventories",
    "item_instances",
    "containers",
    "container_contents",
)
OPTIONAL_TABLES = ("player_effects",)

# Each query reads what the old layer's load read, in an order that makes "the first" of two
# conflicting rows well defined, so every run decides the same way.
QUERIES: dict[str, str] = {
    "professions": """
        SELECT id, name, description, flavor_text, stat_requirements, mechanical_effects,
               stat_modifiers, skill_modifiers, is_available
        FROM {s}.professions ORDER BY id""",
    "item_prototypes": """
        SELECT prototype_id, name, short_description, long_description, item_type, weight,
               base_value, durability, flags, wear_slots, stacking_rules, usage_restrictions,
               effect_components, metadata, tags, created_at
        FROM {s}.item_prototypes ORDER BY prototype_id""",
    "players": """
        SELECT p.player_id, p.user_id, p.name, p.inventory, p.status_effects,
               p.current_room_id, p.respawn_room_id, p.experience_points, p.level, p.is_admin,
               p.profession_id, p.created_at, p.last_active, p.stats, p.is_deleted,
               p.deleted_at, p.tutorial_instance_id,
               pi.player_id IS NOT NULL AS has_inventory_row, pi.inventory_json,
               pi.equipped_json
        FROM {s}.players p LEFT JOIN {s}.player_inventories pi ON pi.player_id = p.player_id
        ORDER BY p.created_at, p.player_id""",
    "item_instances": """
        SELECT item_instance_id, prototype_id, owner_type, owner_id, location_context,
               quantity, condition, flags_override, binding_state, attunement_state,
               custom_name, metadata, origin_source, origin_metadata, created_at, updated_at
        FROM {s}.item_instances ORDER BY item_instance_id""",
    "containers": """
        SELECT container_instance_id, source_type, owner_id, room_id, entity_id, lock_state,
               capacity_slots, weight_limit, decay_at, allowed_roles, metadata_json,
               container_item_instance_id, created_at, updated_at
        FROM {s}.containers ORDER BY created_at, container_instance_id""",
    "container_contents": """
        {placed}
        SELECT container_id, item_instance_id, position, origin,
               max(position) OVER (PARTITION BY container_id) AS top_position
        FROM placed
        ORDER BY container_id, position, created_at, item_instance_id NULLS LAST""",
    "player_effects": """
        SELECT id, player_id, effect_type, category, duration, applied_at_tick, intensity,
               source, visibility_level, created_at
        FROM {s}.player_effects ORDER BY created_at, id""",
}

# Contents rows, plus the items_json entries of containers that have no contents rows (the
# old layer's older storage); a JSON entry's own position wins over its place in the list.
PLACED = """
    WITH placed AS (
        SELECT cc.container_id, cc.item_instance_id, cc.position, cc.created_at,
               'container_contents' AS origin
        FROM {s}.container_contents cc
        UNION ALL
        SELECT c.container_instance_id, e.item ->> 'item_instance_id',
               CASE WHEN jsonb_typeof(e.item -> 'position') = 'number'
                         AND (e.item ->> 'position')::numeric BETWEEN 0 AND 1000000
                    THEN (e.item ->> 'position')::numeric::int
                    ELSE (e.ordinal - 1)::int END,
               c.created_at, 'items_json'
        FROM {s}.containers c
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE WHEN jsonb_typeof(c.items_json) = 'array' THEN c.items_json
                 ELSE '[]'::jsonb END
        ) WITH ORDINALITY AS e(item, ordinal)
        WHERE NOT EXISTS (
            SELECT 1 FROM {s}.container_contents x WHERE x.container_id = c.container_instance_id
        )
    )"""

ITEMS_IN_SEVERAL_CONTAINERS = """
    {placed}
    SELECT item_instance_id, array_agg(container_id ORDER BY created_at, container_id) AS places
    FROM placed WHERE item_instance_id IS NOT NULL
    GROUP BY item_instance_id HAVING count(DISTINCT container_id) > 1"""

KEYS: dict[str, str] = {
    "professions": "SELECT id::text FROM {s}.professions",
    "item_prototypes": "SELECT prototype_id FROM {s}.item_prototypes",
    "players": "SELECT player_id::text FROM {s}.players",
    "item_instances": "SELECT item_instance_id FROM {s}.item_instances",
    "containers": "SELECT container_instance_id::text FROM {s}.containers",
    "container_contents": "{placed} SELECT container_id::text || '/' || item_instance_id "
    "FROM placed WHERE item_instance_id IS NOT NULL",
    "player_effects": "SELECT id::text FROM {s}.player_effects",
}

ORPHAN_INVENTORIES = """
    SELECT pi.player_id::text FROM {s}.player_inventories pi
    WHERE NOT EXISTS (SELECT 1 FROM {s}.players p WHERE p.player_id = pi.player_id)
    ORDER BY 1"""


class LegacySource:
    """A read-only, repeatable-read snapshot of the old schema, open for one import."""

    def __init__(self, url: str, schema: str) -> None:
        if not SCHEMA_NAME.match(schema):
            raise ValidationError(
                f"schema must be a plain PostgreSQL name such as mythos_dev, got {schema!r}",
                field="schema",
                value=schema,
            )
        try:
            self._url = parse_database_url(url)
        except DatabaseURLError as exc:
            raise ValidationError(f"source_url: {exc}", field="source_url") from None
        if self._url.dialect != "postgres":
            raise ValidationError(
                "the source must be the old game's PostgreSQL database: "
                "postgresql://user:password@host:port/database",
                field="source_url",
            )
        # asyncpg reads the libpq form (hosts, ports, TLS options) itself; it only lacks
        # SQLAlchemy's driver suffix
        self._dsn = "postgresql://" + url.partition("://")[2]
        self.schema = schema
        self.description = self._url.describe()
        self._connection: asyncpg.Connection | None = None
        self.tables: tuple[str, ...] = ()

    async def __aenter__(self) -> LegacySource:
        self._connection = await self._run(lambda: asyncpg.connect(self._dsn), "connect")
        try:
            await self._open_snapshot()
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def _open_snapshot(self) -> None:
        connection = self._conn
        # asyncpg's own transaction object, not a BEGIN statement: asyncpg's cursors expect a
        # transaction it started (0.31 refuses one begun by a statement)
        snapshot = connection.transaction(isolation="repeatable_read", readonly=True)
        await self._run(snapshot.start, "begin")
        present = set(
            await self._run(
                lambda: connection.fetchval(
                    "SELECT array_agg(table_name::text) FROM information_schema.tables "
                    "WHERE table_schema = $1",
                    self.schema,
                ),
                "list tables",
            )
            or ()
        )
        missing = [table for table in REQUIRED_TABLES if table not in present]
        if missing:
            raise SchemaError(
                f"schema {self.schema!r} of the source {self.description} has no table "
                f"{', '.join(missing)}; name the old layer's schema with --schema "
                "(for example mythos_dev)"
            )
        self.tables = (*REQUIRED_TABLES, *(t for t in OPTIONAL_TABLES if t in present))

    async def __aexit__(self, *exc_info: object) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()

    def _sql(self, template: str) -> str:
        schema = f'"{self.schema}"'
        return template.format(s=schema, placed=PLACED.format(s=schema))

    async def count(self, table: str) -> int:
        """Rows the import reads for ``table``."""
        sql = f"SELECT count(*) FROM ({self._sql(QUERIES[table])}) AS rows"
        return int(await self._run(lambda: self._conn.fetchval(sql), f"count {table}"))

    async def batches(self, table: str, size: int) -> AsyncIterator[list[asyncpg.Record]]:
        """The rows of ``table`` in a fixed order, ``size`` at a time."""
        cursor = await self._run(
            lambda: self._conn.cursor(self._sql(QUERIES[table])), f"read {table}"
        )
        while True:
            rows = await self._run(lambda: cursor.fetch(size), f"read {table}")
            if not rows:
                return
            yield rows

    async def keys(self, table: str) -> list[str]:
        """The key of every row of ``table``, as text."""
        rows = await self._run(lambda: self._conn.fetch(self._sql(KEYS[table])), f"keys {table}")
        return [row[0] for row in rows]

    async def items_in_several_containers(self) -> dict[str, list[str]]:
        """Item instance id -> the containers holding it, first placed first."""
        sql = self._sql(ITEMS_IN_SEVERAL_CONTAINERS)
        rows = await self._run(lambda: self._conn.fetch(sql), "find items in two containers")
        return {row["item_instance_id"]: [str(place) for place in row["places"]] for row in rows}

    async def orphan_inventories(self) -> list[str]:
        """player_inventories rows whose player does not exist (no foreign key in old dumps)."""
        sql = self._sql(ORPHAN_INVENTORIES)
        rows = await self._run(lambda: self._conn.fetch(sql), "find orphan inventories")
        return [row[0] for row in rows]

    @property
    def _conn(self) -> asyncpg.Connection:
        if self._connection is None:
            raise DatabaseError("the source is not open", operation="import_legacy")
        return self._connection

    async def _run(self, call: Callable[[], Any], what: str) -> Any:
        try:
            return await call()
        except (
            asyncpg.PostgresError,
            asyncpg.InterfaceError,
            OSError,
            TimeoutError,
            ValueError,
        ) as exc:
            message = self._url.scrub(str(exc) or type(exc).__name__)
            raise DatabaseError(
                f"{what} failed on the source {self.description}: {message}",
                operation="import_legacy",
            ) from exc
