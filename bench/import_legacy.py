"""How fast import_legacy moves a big old-schema game: players per minute.

Generates an old-layer database (100,000 players, 300,000 item instances, 20,000 containers
by default) with COPY, imports it into a fresh migrated database, and prints the report and
the throughput. Both databases are dropped at the end unless --keep.

Usage: python -m bench.import_legacy [--players N] [--items N] [--containers N]
                                      [--batch-size N] [--rerun] [--server-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.testing import create_database, drop_database
from tests.legacy_schema import add_old_constraints, create_old_schema

SCHEMA = "mythos_bench"
ROOMS = [f"earth_bench_room_{n:04d}" for n in range(500)]
PROTOTYPES = [
    ("weapon.knife", "Knife", "weapon"),
    ("misc.coin", "Coin", "currency"),
    ("armor.coat", "Coat", "armor"),
    ("armor.hat", "Hat", "armor"),
    ("bag.satchel", "Satchel", "container"),
]
START = datetime(2024, 1, 1, tzinfo=UTC)


def stack(rng: random.Random) -> dict[str, Any]:
    prototype, name, _ = rng.choice(PROTOTYPES)
    return {"item_id": prototype, "item_name": name, "slot_type": "backpack", "quantity": 1}


def stats(rng: random.Random) -> str:
    values: dict[str, Any] = {
        name: rng.randint(15, 90)
        for name in ("strength", "dexterity", "constitution", "size", "intelligence", "power",
                     "education", "charisma", "luck")
    }  # fmt: skip
    values.update(lucidity=rng.randint(40, 100), occult=0, corruption=rng.randint(0, 5))
    values.update(current_dp=20, magic_points=10, position="standing")
    return json.dumps(values)


async def generate(url: str, players: int, items: int, containers: int) -> None:
    """Fill SCHEMA with a consistent old game of the given size (COPY, a few seconds)."""
    rng = random.Random(15)
    connection = await asyncpg.connect(url)
    try:
        await create_old_schema(connection, SCHEMA)

        async def copy(table: str, rows: list[tuple[Any, ...]], columns: list[str]) -> None:
            await connection.copy_records_to_table(
                table, records=rows, columns=columns, schema_name=SCHEMA
            )

        await copy(
            "professions",
            [(n, f"Profession {n}", "", "", "{}", "{}", True, "[]", "[]") for n in range(5)],
            ["id", "name", "description", "flavor_text", "stat_requirements",
             "mechanical_effects", "is_available", "stat_modifiers", "skill_modifiers"],
        )  # fmt: skip
        await copy(
            "item_prototypes",
            [(p, n, n, n, kind, 1.0, 1) for p, n, kind in PROTOTYPES],
            ["prototype_id", "name", "short_description", "long_description", "item_type",
             "weight", "base_value"],
        )  # fmt: skip
        player_ids = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(players)]
        inventories = [
            json.dumps([stack(rng) for _ in range(rng.randint(0, 4))]) for _ in player_ids
        ]
        await copy(
            "players",
            [
                (pid, uuid.UUID(int=n // 3 + 1), f"Player{n:06d}", inventories[n], "[]",
                 rng.choice(ROOMS), rng.randint(0, 5000), rng.randint(1, 20), 0, n % 5,
                 START + timedelta(seconds=n), START + timedelta(days=30, seconds=n),
                 stats(rng), False)
                for n, pid in enumerate(player_ids)
            ],
            ["player_id", "user_id", "name", "inventory", "status_effects", "current_room_id",
             "experience_points", "level", "is_admin", "profession_id", "created_at",
             "last_active", "stats", "is_deleted"],
        )  # fmt: skip
        hat = {"item_id": "armor.hat", "item_name": "Hat", "slot_type": "head", "quantity": 1}
        await copy(
            "player_inventories",
            [(pid, inventories[n], json.dumps({"head": hat}) if n % 2 else "{}")
             for n, pid in enumerate(player_ids)],
            ["player_id", "inventory_json", "equipped_json"],
        )  # fmt: skip
        container_ids = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(containers)]
        kinds = ["environment", "equipment", "corpse"]
        await copy(
            "containers",
            [
                (cid, kinds[n % 3], rng.choice(player_ids) if n % 3 else None,
                 None if n % 3 == 1 else rng.choice(ROOMS),
                 player_ids[n % players] if n % 3 == 1 else None, 20, '{"label": "bench"}',
                 START + timedelta(seconds=n))
                for n, cid in enumerate(container_ids)
            ],
            ["container_instance_id", "source_type", "owner_id", "room_id", "entity_id",
             "capacity_slots", "metadata_json", "created_at"],
        )  # fmt: skip
        # a third of the items sit in containers (up to 20 each), the rest with players
        in_containers = min(items // 3, containers * 20)
        instances, contents = [], []
        for n in range(items):
            item_id = f"item-{n:07d}"
            prototype = PROTOTYPES[n % len(PROTOTYPES)][0]
            if n < in_containers:
                container = container_ids[n % containers]
                instances.append((item_id, prototype, "container", str(container), 1, 80))
                contents.append((container, item_id, n // containers))
            else:
                owner = str(player_ids[n % players])
                instances.append((item_id, prototype, "player", owner, 1 + n % 3, 100))
        await copy(
            "item_instances",
            instances,
            ["item_instance_id", "prototype_id", "owner_type", "owner_id", "quantity",
             "condition"],
        )  # fmt: skip
        await copy("container_contents", contents, ["container_id", "item_instance_id", "position"])
        await copy(
            "player_effects",
            [(uuid.UUID(int=rng.getrandbits(128)), player_ids[n * 5], "poison", "debuff", 30,
              n, 1, "bench", datetime(2024, 2, 1)) for n in range(players // 5)],
            ["id", "player_id", "effect_type", "category", "duration", "applied_at_tick",
             "intensity", "source", "created_at"],
        )  # fmt: skip
        await add_old_constraints(connection, SCHEMA)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def bench(args: argparse.Namespace) -> None:
    source = await create_database(args.server_url, migrate=False)
    target = await create_database(args.server_url)
    try:
        started = time.monotonic()
        await generate(source, args.players, args.items, args.containers)
        print(f"generated the old game in {time.monotonic() - started:.1f} s")
        async with AsyncPersistenceLayer(target) as layer:
            report = await layer.import_legacy(
                source, schema=SCHEMA, on_conflict="stop", batch_size=args.batch_size
            )
            show(report, args.players, "import")
            if args.rerun:
                show(
                    await layer.import_legacy(source, schema=SCHEMA, batch_size=args.batch_size),
                    args.players,
                    "re-run (nothing to write)",
                )
    finally:
        if args.keep:
            print(f"kept: source {source} (schema {SCHEMA}), target {target}")
        else:
            await drop_database(args.server_url, source)
            await drop_database(args.server_url, target)


def show(report: Any, players: int, what: str) -> None:
    print(f"{what}: {report.outcome}, verified: {report.verified}, {report.seconds:.1f} s")
    for counts in report.tables:
        print(f"  {counts.table:<20} read {counts.read:>8,}  written {counts.written:>8,}")
    print(f"  {players / report.seconds * 60:,.0f} players per minute (whole import, all tables)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=300_000)
    parser.add_argument("--containers", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--rerun", action="store_true", help="import a second time, too")
    parser.add_argument("--keep", action="store_true", help="keep both databases")
    parser.add_argument(
        "--server-url",
        default=os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
