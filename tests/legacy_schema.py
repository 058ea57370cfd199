"""The old layer's tables that import_legacy reads, as a test DDL (columns and types as in
the old game's schema files), and a helper that creates them in a schema of a new database.

The rules the old schema's current indexes enforce (foreign keys, one active name per letter
case) are kept apart in CONSTRAINTS: an older or damaged database lacks them, and the problem
rows the importer must handle can only be stored without them.
"""

from __future__ import annotations

import asyncpg

TABLES = """
CREATE SCHEMA IF NOT EXISTS {s};
CREATE TABLE {s}.professions (
    id bigint PRIMARY KEY,
    name varchar(50) NOT NULL UNIQUE,
    description text NOT NULL,
    flavor_text text NOT NULL,
    stat_requirements text NOT NULL DEFAULT '{{}}',
    mechanical_effects text NOT NULL DEFAULT '{{}}',
    is_available boolean NOT NULL DEFAULT true,
    stat_modifiers text NOT NULL DEFAULT '[]',
    skill_modifiers text NOT NULL DEFAULT '[]'
);
CREATE TABLE {s}.players (
    player_id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    name varchar(50) NOT NULL,
    inventory text NOT NULL DEFAULT '[]',
    status_effects text NOT NULL DEFAULT '[]',
    current_room_id varchar(255) NOT NULL
        DEFAULT 'earth_arkhamcity_sanitarium_room_foyer_001',
    respawn_room_id varchar(100) DEFAULT 'earth_arkhamcity_sanitarium_room_foyer_001',
    experience_points integer NOT NULL DEFAULT 0,
    level integer NOT NULL DEFAULT 1,
    is_admin integer NOT NULL DEFAULT 0,
    profession_id bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_active timestamptz NOT NULL DEFAULT now(),
    stats jsonb NOT NULL DEFAULT '{{"strength": 50, "dexterity": 50, "constitution": 50,
        "size": 50, "intelligence": 50, "power": 50, "education": 50, "charisma": 50,
        "luck": 50, "lucidity": 100, "occult": 0, "corruption": 0, "current_dp": 20,
        "magic_points": 10, "position": "standing"}}',
    is_deleted boolean NOT NULL DEFAULT false,
    deleted_at timestamptz,
    tutorial_instance_id varchar(255)
);
CREATE TABLE {s}.player_inventories (
    player_id uuid PRIMARY KEY,
    inventory_json text NOT NULL DEFAULT '[]',
    equipped_json text NOT NULL DEFAULT '{{}}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE {s}.item_prototypes (
    prototype_id varchar(120) PRIMARY KEY,
    name varchar(120) NOT NULL,
    short_description varchar(255) NOT NULL,
    long_description text NOT NULL,
    item_type varchar(32) NOT NULL,
    weight double precision NOT NULL DEFAULT 0.0,
    base_value integer NOT NULL DEFAULT 0,
    durability integer,
    flags jsonb NOT NULL DEFAULT '[]',
    wear_slots jsonb NOT NULL DEFAULT '[]',
    stacking_rules jsonb NOT NULL DEFAULT '{{}}',
    usage_restrictions jsonb NOT NULL DEFAULT '{{}}',
    effect_components jsonb NOT NULL DEFAULT '[]',
    metadata jsonb NOT NULL DEFAULT '{{}}',
    tags jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE {s}.item_instances (
    item_instance_id varchar(64) PRIMARY KEY,
    prototype_id varchar(120) NOT NULL,
    owner_type varchar(32) NOT NULL DEFAULT 'room',
    owner_id varchar(255),
    location_context varchar(255),
    quantity integer NOT NULL DEFAULT 1,
    condition integer,
    flags_override jsonb NOT NULL DEFAULT '[]',
    binding_state varchar(32),
    attunement_state jsonb NOT NULL DEFAULT '{{}}',
    custom_name varchar(255),
    metadata jsonb NOT NULL DEFAULT '{{}}',
    origin_source varchar(64),
    origin_metadata jsonb NOT NULL DEFAULT '{{}}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE {s}.containers (
    container_instance_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    source_type text NOT NULL,
    owner_id uuid,
    room_id varchar(255),
    entity_id uuid,
    lock_state text NOT NULL DEFAULT 'unlocked',
    capacity_slots integer NOT NULL,
    weight_limit integer,
    decay_at timestamptz,
    allowed_roles jsonb,
    metadata_json jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    container_item_instance_id varchar(64),
    items_json jsonb NOT NULL DEFAULT '[]'
);
CREATE TABLE {s}.container_contents (
    container_id uuid NOT NULL,
    item_instance_id varchar(64) NOT NULL,
    position integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (container_id, item_instance_id)
);
CREATE TABLE {s}.player_effects (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    player_id uuid NOT NULL,
    effect_type varchar(64) NOT NULL,
    category varchar(64) NOT NULL,
    duration integer NOT NULL,
    applied_at_tick integer NOT NULL,
    intensity integer NOT NULL DEFAULT 1,
    source varchar(128),
    visibility_level varchar(32) NOT NULL DEFAULT 'visible',
    created_at timestamp without time zone NOT NULL DEFAULT now()
);
"""

CONSTRAINTS = """
CREATE UNIQUE INDEX ON {s}.players (lower(name)) WHERE is_deleted = false;
ALTER TABLE {s}.player_inventories ADD FOREIGN KEY (player_id)
    REFERENCES {s}.players (player_id) ON DELETE CASCADE;
ALTER TABLE {s}.item_instances ADD FOREIGN KEY (prototype_id)
    REFERENCES {s}.item_prototypes (prototype_id) ON DELETE CASCADE;
ALTER TABLE {s}.containers ADD FOREIGN KEY (owner_id)
    REFERENCES {s}.players (player_id) ON DELETE SET NULL;
ALTER TABLE {s}.containers ADD FOREIGN KEY (entity_id)
    REFERENCES {s}.players (player_id) ON DELETE CASCADE;
ALTER TABLE {s}.container_contents ADD FOREIGN KEY (container_id)
    REFERENCES {s}.containers (container_instance_id) ON DELETE CASCADE;
ALTER TABLE {s}.container_contents ADD FOREIGN KEY (item_instance_id)
    REFERENCES {s}.item_instances (item_instance_id) ON DELETE CASCADE;
ALTER TABLE {s}.player_effects ADD FOREIGN KEY (player_id)
    REFERENCES {s}.players (player_id) ON DELETE CASCADE;
"""


async def create_old_schema(connection: asyncpg.Connection, schema: str) -> None:
    """The old tables, without the rules a damaged database may break."""
    await connection.execute(TABLES.format(s=schema))


async def add_old_constraints(connection: asyncpg.Connection, schema: str) -> None:
    """The old schema's foreign keys and its one-active-name rule."""
    await connection.execute(CONSTRAINTS.format(s=schema))
