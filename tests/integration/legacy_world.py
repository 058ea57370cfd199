"""A small old-schema game holding one row for every case import_legacy must handle."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from mud_persistence.testing import create_database, drop_database
from tests.legacy_schema import create_old_schema

SCHEMA = "mythos_unit"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def pid(n: int) -> uuid.UUID:
    return uuid.UUID(int=0xA000 + n)


def cid(n: int) -> uuid.UUID:
    return uuid.UUID(int=0xC000 + n)


USER = uuid.UUID(int=0xBEEF)
ARMITAGE, WILMARTH, DYER, ARMITAGE_LOWER, PICKMAN, LAKE, DANFORTH = (pid(n) for n in range(1, 8))
LIBRARY_CHEST, CORPSE, BACKPACK, GHOST_CHEST, MISSING_CONTAINER = (cid(n) for n in range(1, 6))
ORPHAN = pid(99)
EFFECT_ON_ARMITAGE, EFFECT_ON_DUPLICATE, EFFECT_NEGATIVE = (
    uuid.UUID(int=0xE000 + n) for n in (1, 2, 3)
)

FULL_STATS = {
    "strength": 60,
    "dexterity": 55,
    "constitution": 70,
    "size": 65,
    "intelligence": 80,
    "power": 45,
    "education": 85,
    "charisma": 40,
    "luck": 35,
    "lucidity": 88,
    "occult": 12,
    "corruption": 3,
    "current_dp": 18,
    "magic_points": 9,
    "position": "sitting",
}
KNIFE_STACK = {
    "item_id": "weapon.knife",
    "item_name": "Rusted knife",
    "slot_type": "backpack",
    "quantity": 1,
    "metadata": {"sharp": False},
}
COIN_STACK = {
    "item_id": "misc.coin",
    "item_name": "Silver coin",
    "slot_type": "pouch",
    "quantity": 7,
}
HAT = {"item_id": "armor.hat", "item_name": "Felt hat", "slot_type": "head", "quantity": 1}
BROKEN_STACK = {"item_id": "misc.coin", "slot_type": "pouch", "quantity": 2}  # no item_name


async def fill(connection: asyncpg.Connection, schema: str = SCHEMA) -> None:
    """Insert the edge-case game into ``schema`` (created without the old constraints)."""
    s = schema
    await connection.executemany(
        f"INSERT INTO {s}.professions (id, name, description, flavor_text, stat_requirements,"
        " mechanical_effects, is_available, stat_modifiers, skill_modifiers)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        [
            (0, "Tramp", "No trade at all", "", "{}", "{}", True, "[]", "[]"),
            (
                1,
                "Scholar",
                "Reads",
                "Dusty",
                '{"intelligence": 60}',
                '{"library_bonus": 2}',
                True,
                '[{"stat": "education", "value": 5}]',
                '["occult"]',
            ),
            (2, "Cultist", "Chants", "", "{broken", "{}", False, "[]", "[]"),
        ],
    )
    await connection.executemany(
        f"INSERT INTO {s}.item_prototypes (prototype_id, name, short_description,"
        " long_description, item_type, weight, base_value, wear_slots, tags, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        [
            ("weapon.knife", "Rusted knife", "a knife", "A rusted knife.", "weapon", 0.5, 3,
             "[]", '["sharp"]', at(0)),
            ("misc.coin", "Silver coin", "a coin", "A silver coin.", "currency", 0.01, 1,
             "[]", "[]", at(0)),
            ("armor.coat", "Wool coat", "a coat", "A wool coat.", "armor", 2.0, 10,
             '["body"]', "[]", at(0)),
            ("bag.satchel", "Satchel", "a satchel", "A leather satchel.", "container", 1.0, 5,
             "[]", "[]", at(0)),
        ],
    )  # fmt: skip
    players = [
        # a clean, complete player: admin, profession, inventory and equipped items
        (ARMITAGE, "Armitage", json.dumps([KNIFE_STACK, COIN_STACK]), '[{"name": "poisoned"}]',
         "earth_arkhamcity_room_library_001", 250, 3, 1, 1, at(1), at(100), FULL_STATS, False,
         None, "tutorial-7"),
        # the old 15-key stats without most keys: the rest take our defaults; no
        # player_inventories row; profession 0
        (WILMARTH, "Wilmarth", "[]", "[]", "earth_arkhamcity_room_street_001", 0, 1, 0, 0,
         at(2), at(90), {"strength": 40, "position": "lying"}, False, None, None),
        # a stat out of our range
        (DYER, "Dyer", "[]", "[]", "earth_arkhamcity_room_street_001", 10, 1, 0, None, at(3),
         at(80), {**FULL_STATS, "strength": 1200}, False, None, None),
        # an active player whose name differs from Armitage's only by case (created later)
        (ARMITAGE_LOWER, "armitage", "[]", "[]", "earth_arkhamcity_room_street_001", 0, 1, 0,
         None, at(4), at(70), {}, False, None, None),
        # soft-deleted, with the same name: not a conflict
        (PICKMAN, "Armitage", "[]", "[]", "earth_arkhamcity_room_street_001", 5, 1, 0, None,
         at(0), at(60), {}, True, at(50), None),
        # an inventory that fails our validation, and a player_inventories copy that differs
        (LAKE, "Lake", json.dumps([COIN_STACK, BROKEN_STACK]), "[]",
         "earth_arkhamcity_room_street_001", 0, 1, 0, None, at(5), at(50), {}, False, None,
         None),
        # wears the backpack
        (DANFORTH, "Danforth", "[]", "[]", "earth_arkhamcity_room_street_001", 0, 1, 0, 1,
         at(6), at(40), {"current_dp": 20}, False, None, None),
    ]  # fmt: skip
    await connection.executemany(
        f"INSERT INTO {s}.players (player_id, user_id, name, inventory, status_effects,"
        " current_room_id, experience_points, level, is_admin, profession_id, created_at,"
        " last_active, stats, is_deleted, deleted_at, tutorial_instance_id)"
        " VALUES ($1, $14, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $15,"
        " $16)",
        [
            (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10],
             json.dumps(p[11]), p[12], USER, p[13], p[14])
            for p in players
        ],
    )  # fmt: skip
    await connection.executemany(
        f"INSERT INTO {s}.player_inventories (player_id, inventory_json, equipped_json)"
        " VALUES ($1, $2, $3)",
        [
            (ARMITAGE, json.dumps([KNIFE_STACK, COIN_STACK]), json.dumps({"head": HAT})),
            (LAKE, json.dumps([COIN_STACK]), "{}"),
            (DANFORTH, "[]", "{}"),
            (ORPHAN, json.dumps([COIN_STACK]), "{}"),  # its player is gone
        ],
    )
    items = [
        ("i-knife-1", "weapon.knife", "container", str(LIBRARY_CHEST), 1, 90, "Grandpa's knife"),
        ("i-coin-1", "misc.coin", "container", str(LIBRARY_CHEST), 12, None, None),
        ("i-dup-1", "misc.coin", "container", str(LIBRARY_CHEST), 1, None, None),
        ("i-coat-1", "armor.coat", "container", str(CORPSE), 1, 40, None),
        ("i-bad-cond", "armor.coat", "container", str(CORPSE), 1, 150, None),
        ("i-coin-2", "misc.coin", "container", str(BACKPACK), 5, None, None),
        ("i-satchel-1", "bag.satchel", "container", str(BACKPACK), 1, 70, None),
        ("i-knife-2", "weapon.knife", "room", "earth_arkhamcity_room_street_001", 1, 50, None),
    ]  # fmt: skip
    await connection.executemany(
        f"INSERT INTO {s}.item_instances (item_instance_id, prototype_id, owner_type, owner_id,"
        " quantity, condition, custom_name, metadata, created_at, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, '{\"engraved\": true}', $8, $9)",
        [(*item, at(7), at(8)) for item in items],
    )
    containers = [
        (LIBRARY_CHEST, "environment", None, "earth_arkhamcity_room_library_001", None, 8,
         None, '["scholar"]', '{"label": "oak chest"}', "[]", at(10)),
        (CORPSE, "corpse", DYER, "earth_arkhamcity_room_street_001", None, 20, None, None,
         None, "[]", at(11)),
        (BACKPACK, "equipment", DANFORTH, None, DANFORTH, 10, 30, "[]", "{}",
         json.dumps([
             {"item_instance_id": "i-coin-2", "item_id": "misc.coin", "quantity": 5},
             {"item_instance_id": "i-satchel-1", "item_id": "bag.satchel", "position": 4},
         ]), at(12)),
        (GHOST_CHEST, "environment", None, "earth_arkhamcity_room_street_001", None, 8, None,
         None, None, "[]", at(13)),
    ]  # fmt: skip
    await connection.executemany(
        f"INSERT INTO {s}.containers (container_instance_id, source_type, owner_id, room_id,"
        " entity_id, capacity_slots, weight_limit, allowed_roles, metadata_json, items_json,"
        " created_at, updated_at, decay_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10::jsonb, $11::timestamptz,"
        " $11::timestamptz,"
        " CASE WHEN $2 = 'corpse' THEN $11::timestamptz + interval '1 hour' END)",
        containers,
    )
    contents = [
        (LIBRARY_CHEST, "i-knife-1", 0, at(20)),
        (LIBRARY_CHEST, "i-coin-1", 1, at(21)),
        (LIBRARY_CHEST, "i-dup-1", 2, at(22)),  # first placed here ...
        (CORPSE, "i-coat-1", 0, at(23)),
        (CORPSE, "i-bad-cond", 0, at(24)),  # two items at position 0
        (CORPSE, "i-dup-1", 3, at(25)),  # ... and later here too
        (GHOST_CHEST, "i-ghost", 0, at(26)),  # no such item
        (MISSING_CONTAINER, "i-knife-2", 0, at(27)),  # no such container
    ]
    await connection.executemany(
        f"INSERT INTO {s}.container_contents (container_id, item_instance_id, position,"
        " created_at) VALUES ($1, $2, $3, $4)",
        contents,
    )
    await connection.executemany(
        f"INSERT INTO {s}.player_effects (id, player_id, effect_type, category, duration,"
        " applied_at_tick, intensity, source, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7,"
        " $8, $9)",
        [
            (EFFECT_ON_ARMITAGE, ARMITAGE, "poison", "debuff", 30, 1200, 2, "spider",
             datetime(2025, 3, 1, 12, 30)),
            (EFFECT_ON_DUPLICATE, ARMITAGE_LOWER, "blessing", "buff", 10, 1300, 1, None,
             datetime(2025, 3, 1, 12, 31)),
            # a duration below 0
            (EFFECT_NEGATIVE, WILMARTH, "chill", "debuff", -5, 1400, 1, "wind",
             datetime(2025, 3, 1, 12, 32)),
        ],
    )  # fmt: skip


@pytest.fixture(scope="module")
async def old_game(mud_persistence_server_url: str) -> AsyncIterator[str]:
    """URL of a database holding the edge-case game in schema mythos_unit."""
    url = await create_database(mud_persistence_server_url, migrate=False)
    connection = await asyncpg.connect(url)
    try:
        await create_old_schema(connection, SCHEMA)
        await fill(connection)
    finally:
        await connection.close()
    yield url
    await drop_database(mud_persistence_server_url, url)
