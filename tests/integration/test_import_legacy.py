"""import_legacy on an old-schema game holding every problem row the importer must handle."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.errors import SchemaError, ValidationError
from mud_persistence.schemas.legacy import ImportReport
from mud_persistence.testing import create_database, drop_database, empty_tables
from tests.integration import legacy_world as world

TABLES = (
    "professions",
    "item_prototypes",
    "players",
    "item_instances",
    "containers",
    "container_contents",
    "player_effects",
)


async def run(
    layer: AsyncPersistenceLayer, source: str, on_conflict: str, **options: Any
) -> ImportReport:
    return await layer.import_legacy(
        source,
        schema=world.SCHEMA,
        on_conflict=on_conflict,  # type: ignore[arg-type]
        **options,
    )


async def table_rows(raw: asyncpg.Connection, table: str) -> list[dict[str, Any]]:
    """Every row of a target table, in key order, without container_contents' serial id."""
    rows = await raw.fetch(f'SELECT * FROM "{table}"')
    found = [{k: v for k, v in dict(row).items() if k != "id" or table != "container_contents"}
             for row in rows]  # fmt: skip
    return sorted(found, key=lambda row: json.dumps(row, default=str, sort_keys=True))


async def snapshot(raw: asyncpg.Connection) -> dict[str, list[dict[str, Any]]]:
    return {table: await table_rows(raw, table) for table in TABLES}


@pytest.fixture(autouse=True)
async def empty_target(pg_url: str) -> None:
    """Each import starts on empty tables, whatever an earlier test module left behind."""
    await empty_tables(pg_url)


def problems_of(report: ImportReport, key: str) -> list[str]:
    return [problem.problem for problem in report.problems if problem.key == key]


# on_conflict="stop" and dry runs write nothing -------------------------------------------


async def test_stop_writes_nothing_and_lists_every_problem_row(
    persistence: AsyncPersistenceLayer, old_game: str, raw: asyncpg.Connection
) -> None:
    before = await snapshot(raw)
    report = await run(persistence, old_game, "stop")

    assert report.outcome == "stopped"
    assert await snapshot(raw) == before
    stopped = {(p.table, p.key) for p in report.problems if p.action == "stopped"}
    assert stopped == {
        ("professions", "2"),
        ("players", str(world.DYER)),
        ("players", str(world.ARMITAGE_LOWER)),
        ("players", str(world.LAKE)),
        ("item_instances", "i-bad-cond"),
        ("container_contents", f"{world.CORPSE}/i-bad-cond"),
        ("container_contents", f"{world.CORPSE}/i-dup-1"),
        ("container_contents", f"{world.GHOST_CHEST}/i-ghost"),
        ("container_contents", f"{world.MISSING_CONTAINER}/i-knife-2"),
        ("player_effects", str(world.EFFECT_NEGATIVE)),
        ("player_inventories", str(world.ORPHAN)),
    }
    assert problems_of(report, str(world.DYER)) == ["strength is 1200, outside 1..999"]
    assert "taken, ignoring case" in problems_of(report, str(world.ARMITAGE_LOWER))[0]


async def test_dry_run_writes_nothing_but_counts_what_it_would_do(
    persistence: AsyncPersistenceLayer, old_game: str, raw: asyncpg.Connection
) -> None:
    before = await snapshot(raw)
    report = await run(persistence, old_game, "fix", dry_run=True)

    assert report.outcome == "dry_run"
    assert await snapshot(raw) == before
    players = report.counts("players")
    assert (players.read, players.kept, players.written, players.fixed) == (7, 7, 0, 3)
    assert report.verification == []


# on_conflict="skip" ------------------------------------------------------------------------


async def test_skip_leaves_problem_rows_and_what_depends_on_them_out(
    persistence: AsyncPersistenceLayer, old_game: str, raw: asyncpg.Connection
) -> None:
    report = await run(persistence, old_game, "skip")

    assert report.outcome == "imported"
    assert report.verified, report.verification
    players = {row["player_id"] for row in await raw.fetch("SELECT player_id FROM players")}
    assert players == {world.ARMITAGE, world.WILMARTH, world.PICKMAN, world.DANFORTH}
    professions = await raw.fetch("SELECT id FROM professions ORDER BY id")
    assert [row["id"] for row in professions] == [0, 1]
    # the corpse's owner (Dyer) was left out, so the corpse is too
    containers = {row[0] for row in await raw.fetch("SELECT container_id FROM containers")}
    assert containers == {world.LIBRARY_CHEST, world.BACKPACK, world.GHOST_CHEST}
    # skip does not choose between two containers holding one item: neither keeps it
    contents = await raw.fetch("SELECT item_instance_id FROM container_contents")
    assert {row[0] for row in contents} == {"i-knife-1", "i-coin-1", "i-coin-2", "i-satchel-1"}
    skipped = {(p.table, p.key) for p in report.problems if p.action == "skipped"}
    assert ("containers", str(world.CORPSE)) in skipped
    assert ("container_contents", f"{world.LIBRARY_CHEST}/i-dup-1") in skipped
    assert report.counts("players").skipped == 3
    effects = await raw.fetch("SELECT id FROM player_effects")
    assert {row[0] for row in effects} == {world.EFFECT_ON_ARMITAGE}
    assert ("player_effects", str(world.EFFECT_ON_DUPLICATE)) in skipped


# on_conflict="fix": every value compared ---------------------------------------------------


@pytest.fixture
async def fixed(persistence: AsyncPersistenceLayer, old_game: str) -> AsyncIterator[ImportReport]:
    yield await run(persistence, old_game, "fix", batch_size=3)


async def test_fix_repairs_each_problem_row_and_lists_the_change(
    fixed: ImportReport, raw: asyncpg.Connection
) -> None:
    assert fixed.outcome == "imported"
    assert fixed.verified, fixed.verification
    repairs = {(p.key, p.repair) for p in fixed.problems if p.action == "fixed"}
    suffix = str(world.ARMITAGE_LOWER)[:8]
    assert (str(world.DYER), "strength = 999 (clamped)") in repairs
    assert (
        str(world.ARMITAGE_LOWER),
        f"name = 'armitage-{suffix}' (suffixed with the start of the player id)",
    ) in repairs
    assert (str(world.LAKE), "dropped inventory[1]") in repairs
    assert ("2", "stat_requirements = {}") in repairs
    assert ("i-bad-cond", "condition = 100 (clamped)") in repairs
    assert (str(world.EFFECT_NEGATIVE), "duration = 0 (clamped)") in repairs
    dyer = await raw.fetchrow(
        "SELECT strength, dexterity FROM players WHERE player_id = $1", world.DYER
    )
    assert (dyer["strength"], dyer["dexterity"]) == (999, 55)
    name = await raw.fetchval("SELECT name FROM players WHERE player_id = $1", world.ARMITAGE_LOWER)
    assert name == f"armitage-{suffix}"
    lake = await raw.fetchval("SELECT inventory FROM players WHERE player_id = $1", world.LAKE)
    assert json.loads(lake) == [world.COIN_STACK]
    noted = [p for p in fixed.problems if p.action == "noted"]
    assert [(p.key, "players.inventory kept" in p.problem) for p in noted] == [
        (str(world.LAKE), True)
    ]
    # items missing on either side cannot be repaired: left out and listed
    left_out = {p.key for p in fixed.problems if p.action == "skipped"}
    assert left_out == {
        f"{world.GHOST_CHEST}/i-ghost",
        f"{world.MISSING_CONTAINER}/i-knife-2",
        str(world.ORPHAN),
    }


async def test_players_arrive_field_by_field(fixed: ImportReport, raw: asyncpg.Connection) -> None:
    armitage = dict(
        await raw.fetchrow("SELECT * FROM players WHERE player_id = $1", world.ARMITAGE)
    )
    stats = {key: value for key, value in world.FULL_STATS.items() if key != "position"}
    assert {key: armitage[key] for key in stats} == stats
    assert armitage["position"] == "sitting"
    assert (armitage["wisdom"], armitage["fear"], armitage["max_dp"]) == (50, 0, None)
    assert json.loads(armitage["inventory"]) == [world.KNIFE_STACK, world.COIN_STACK]
    assert json.loads(armitage["equipped"]) == {"head": world.HAT}
    assert json.loads(armitage["status_effects"]) == [{"name": "poisoned"}]
    assert armitage["is_admin"] is True
    assert (armitage["profession_id"], armitage["tutorial_instance_id"]) == (1, "tutorial-7")
    assert (armitage["experience_points"], armitage["level"]) == (250, 3)
    assert (armitage["created_at"], armitage["last_active"]) == (world.at(1), world.at(100))
    assert armitage["user_id"] == world.USER

    wilmarth = dict(
        await raw.fetchrow("SELECT * FROM players WHERE player_id = $1", world.WILMARTH)
    )
    assert (wilmarth["strength"], wilmarth["dexterity"], wilmarth["lucidity"]) == (40, 50, 100)
    assert (wilmarth["position"], wilmarth["profession_id"]) == ("lying", 0)
    assert json.loads(wilmarth["equipped"]) == {}
    assert wilmarth["is_admin"] is False

    pickman = dict(await raw.fetchrow("SELECT * FROM players WHERE player_id = $1", world.PICKMAN))
    assert (pickman["name"], pickman["is_deleted"], pickman["deleted_at"]) == (
        "Armitage",
        True,
        world.at(50),
    )


async def test_professions_and_items_arrive_field_by_field(
    fixed: ImportReport, raw: asyncpg.Connection
) -> None:
    scholar = dict(await raw.fetchrow("SELECT * FROM professions WHERE id = 1"))
    assert json.loads(scholar["stat_requirements"]) == {"intelligence": 60}
    assert json.loads(scholar["mechanical_effects"]) == {"library_bonus": 2}
    assert json.loads(scholar["stat_modifiers"]) == [{"stat": "education", "value": 5}]
    assert json.loads(scholar["skill_modifiers"]) == ["occult"]
    assert await raw.fetchval("SELECT name FROM professions WHERE id = 0") == "Tramp"
    knife = dict(
        await raw.fetchrow("SELECT * FROM item_instances WHERE item_instance_id = 'i-knife-1'")
    )
    assert (knife["prototype_id"], knife["custom_name"], knife["condition"]) == (
        "weapon.knife",
        "Grandpa's knife",
        90,
    )
    assert json.loads(knife["metadata"]) == {"engraved": True}
    assert (knife["created_at"], knife["updated_at"]) == (world.at(7), world.at(8))
    prototype = dict(
        await raw.fetchrow("SELECT * FROM item_prototypes WHERE prototype_id = 'armor.coat'")
    )
    assert json.loads(prototype["wear_slots"]) == ["body"]
    assert (prototype["weight"], prototype["base_value"]) == (2.0, 10)


async def test_containers_and_contents_arrive_with_their_positions(
    fixed: ImportReport, raw: asyncpg.Connection
) -> None:
    chest = dict(
        await raw.fetchrow("SELECT * FROM containers WHERE container_id = $1", world.LIBRARY_CHEST)
    )
    assert json.loads(chest["metadata"]) == {"label": "oak chest"}
    assert json.loads(chest["allowed_roles"]) == ["scholar"]
    assert (chest["source_type"], chest["capacity_slots"], chest["created_at"]) == (
        "environment",
        8,
        world.at(10),
    )
    corpse = dict(
        await raw.fetchrow("SELECT * FROM containers WHERE container_id = $1", world.CORPSE)
    )
    assert (corpse["owner_id"], corpse["decay_at"]) == (world.DYER, world.at(71))
    assert json.loads(corpse["allowed_roles"]) == [] and json.loads(corpse["metadata"]) == {}

    rows = await raw.fetch(
        "SELECT container_id, item_instance_id, position FROM container_contents"
        " ORDER BY container_id, position"
    )
    assert [(row[0], row[1], row[2]) for row in rows] == [
        (world.LIBRARY_CHEST, "i-knife-1", 0),
        (world.LIBRARY_CHEST, "i-coin-1", 1),
        (world.LIBRARY_CHEST, "i-dup-1", 2),  # the first container keeps it
        (world.CORPSE, "i-coat-1", 0),
        (world.CORPSE, "i-bad-cond", 4),  # moved after the last position (3)
        (world.BACKPACK, "i-coin-2", 0),  # from items_json: its place in the list
        (world.BACKPACK, "i-satchel-1", 4),  # from items_json: its own position
    ]


async def test_player_effects_arrive_with_their_times_in_utc(
    fixed: ImportReport, raw: asyncpg.Connection
) -> None:
    rows = await raw.fetch("SELECT * FROM player_effects ORDER BY created_at")
    assert [dict(row) for row in rows] == [
        {
            "id": world.EFFECT_ON_ARMITAGE,
            "player_id": world.ARMITAGE,
            "effect_type": "poison",
            "category": "debuff",
            "duration": 30,
            "applied_at_tick": 1200,
            "intensity": 2,
            "source": "spider",
            "visibility_level": "visible",
            "created_at": world.at(30),  # stored without a time zone: UTC
        },
        {
            "id": world.EFFECT_ON_DUPLICATE,
            "player_id": world.ARMITAGE_LOWER,  # kept with its renamed player
            "effect_type": "blessing",
            "category": "buff",
            "duration": 10,
            "applied_at_tick": 1300,
            "intensity": 1,
            "source": None,
            "visibility_level": "visible",
            "created_at": world.at(31),
        },
        {
            "id": world.EFFECT_NEGATIVE,
            "player_id": world.WILMARTH,
            "effect_type": "chill",
            "category": "debuff",
            "duration": 0,
            "applied_at_tick": 1400,
            "intensity": 1,
            "source": "wind",
            "visibility_level": "visible",
            "created_at": world.at(32),
        },
    ]


# Safe to run twice, and after a crash ------------------------------------------------------


async def test_a_second_run_writes_nothing(
    fixed: ImportReport, persistence: AsyncPersistenceLayer, old_game: str, raw: asyncpg.Connection
) -> None:
    before = await snapshot(raw)
    again = await run(persistence, old_game, "fix")

    assert [counts.written for counts in again.tables] == [0] * len(again.tables)
    assert [counts.kept for counts in again.tables] == [counts.kept for counts in fixed.tables]
    assert await snapshot(raw) == before
    assert again.verified


class Killed(Exception):
    """The import process dies here."""


class DiesAfter:
    def __init__(self, batches: int) -> None:
        self.left = batches

    def table_started(self, table: str, total: int, phase: str) -> None:
        pass

    def rows_done(self, table: str, rows: int) -> None:
        self.left -= 1
        if self.left == 0:
            raise Killed


@pytest.mark.parametrize("batches", [1, 4, 7])
async def test_a_run_killed_between_batches_then_rerun_equals_a_clean_run(
    batches: int,
    mud_persistence_server_url: str,
    old_game: str,
    persistence: AsyncPersistenceLayer,
    raw: asyncpg.Connection,
) -> None:
    await run(persistence, old_game, "fix", batch_size=2)
    clean = await snapshot(raw)

    other = await create_database(mud_persistence_server_url)
    try:
        async with AsyncPersistenceLayer(other) as layer:
            with pytest.raises(Killed):
                await run(layer, old_game, "fix", batch_size=2, progress=DiesAfter(batches))
            await run(layer, old_game, "fix", batch_size=2)
        connection = await asyncpg.connect(other)
        try:
            assert await snapshot(connection) == clean
        finally:
            await connection.close()
    finally:
        await drop_database(mud_persistence_server_url, other)


# The imported game works through the facade ------------------------------------------------


async def test_the_imported_game_plays(
    fixed: ImportReport, persistence: AsyncPersistenceLayer
) -> None:
    armitage = await persistence.get_player_by_id(world.ARMITAGE)
    assert armitage is not None and armitage.get_stats()["current_dp"] == 18
    assert await persistence.damage_player(armitage, 5) == 13

    backpack = await persistence.transfer_item(
        "i-knife-1", from_container_id=world.LIBRARY_CHEST, to_container_id=world.BACKPACK
    )
    assert [item.item_instance_id for item in backpack.items] == [
        "i-coin-2",
        "i-knife-1",
        "i-satchel-1",
    ]
    chest = await persistence.get_container(world.LIBRARY_CHEST)  # the old dict shape
    assert chest is not None and [item["item_instance_id"] for item in chest["items_json"]] == [
        "i-coin-1",
        "i-dup-1",
    ]
    assert chest["metadata_json"] == {"label": "oak chest"}
    found = await persistence.get_player_by_name("ARMITAGE")
    assert found is not None and str(found.player_id) == str(world.ARMITAGE)


# Verification ------------------------------------------------------------------------------


async def test_verification_notices_a_target_that_differs(
    persistence: AsyncPersistenceLayer, old_game: str
) -> None:
    await persistence.create_player(name="Stranger", user_id=world.USER)

    report = await run(persistence, old_game, "fix")

    mismatched = [check.table for check in report.verification if not check.matches]
    assert mismatched == ["players"]
    assert not report.verified


# Bad input ---------------------------------------------------------------------------------


async def test_a_schema_without_the_old_tables_is_refused(
    persistence: AsyncPersistenceLayer, old_game: str
) -> None:
    with pytest.raises(SchemaError, match=r"schema 'public' .* has no table professions"):
        await persistence.import_legacy(old_game)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"on_conflict": "merge"}, "on_conflict"),
        ({"batch_size": 0}, "batch_size"),
        ({"schema": "x; DROP TABLE players"}, "schema"),
    ],
)
async def test_bad_arguments_are_validation_errors(
    persistence: AsyncPersistenceLayer, old_game: str, options: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await persistence.import_legacy(old_game, **{"schema": world.SCHEMA, **options})
    assert caught.value.field == field


@pytest.mark.parametrize("source", ["sqlite://old.db", "mysql://old-host/game"])
async def test_a_source_that_is_not_postgresql_is_refused(
    persistence: AsyncPersistenceLayer, source: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await persistence.import_legacy(source, schema=world.SCHEMA)
    assert caught.value.field == "source_url"
