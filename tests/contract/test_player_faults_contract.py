"""Issue 13, faults 7, 8, 11 and 13, and the player-name points: each test is named after its
fault and failed on the code before the fix. PostgreSQL and SQLite."""

from __future__ import annotations

import sqlite3
import uuid

import asyncpg
import pytest

from mud_persistence import AsyncPersistenceLayer, ValidationError
from mud_persistence.events import PlayerDPUpdated, RecordingBus
from tests.conftest import stored_player

BIG = 10**9


def stack(item_id: str = "lamp") -> dict[str, object]:
    return {"item_id": item_id, "item_name": item_id.title(), "slot_type": "bag", "quantity": 1}


# What each driver raises when the database refuses a statement by a rule or a column type.
REFUSED = (
    sqlite3.IntegrityError,
    asyncpg.CheckViolationError,
    asyncpg.NumericValueOutOfRangeError,
)


async def run_as_a_script(layer: AsyncPersistenceLayer, statement: str) -> None:
    """Run ``statement`` on the layer's database with the plain driver, as an SQL script would."""
    settings = layer.settings
    if settings.dialect == "sqlite":
        connection = sqlite3.connect(str(settings.parsed_database_url.path))
        try:
            connection.execute(statement)
            connection.commit()
        finally:
            connection.close()
        return
    raw = await asyncpg.connect(settings.database_url)
    try:
        await raw.execute(statement)
    finally:
        await raw.close()


# Fault 7: current_dp can leave [floor, max] --------------------------------------------------


@pytest.mark.parametrize("dp", [500, -500, 21, -11])
async def test_fault7_create_player_refuses_current_dp_outside_floor_and_max(
    contract_persistence: AsyncPersistenceLayer, dp: int
) -> None:
    with pytest.raises(ValidationError, match="current_dp") as caught:
        await contract_persistence.create_player(
            name="Impossible", user_id=uuid.uuid4(), stats={"current_dp": dp}
        )
    assert caught.value.field == "current_dp"
    assert await contract_persistence.list_players(include_deleted=True) == []


@pytest.mark.parametrize(
    ("change", "new_max"),
    [({"max_dp": 10}, 10), ({"constitution": 10, "size": 40}, 20), ({"size": 1}, 20)],
)
async def test_fault7_a_save_that_lowers_max_dp_lowers_current_dp_with_it(
    contract_persistence: AsyncPersistenceLayer, change: dict[str, int], new_max: int
) -> None:
    player = await contract_persistence.create_player(
        name="Shrinking", user_id=uuid.uuid4(), stats={"constitution": 90, "size": 90}
    )
    await contract_persistence.heal_player(player, 100)
    assert player.current_dp == 36
    for name, value in change.items():
        setattr(player, name, value)
    await contract_persistence.save_player(player)
    assert player.current_dp == new_max and player.changed_fields() == {}
    assert (await stored_player(contract_persistence, player)).current_dp == new_max


async def test_fault7_heal_after_max_dp_was_lowered_never_lowers_dp(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    bus = RecordingBus()
    layer = AsyncPersistenceLayer(settings=contract_persistence.settings, event_bus=bus)
    await layer.connect()
    try:
        player = await layer.create_player(
            name="Healed", user_id=uuid.uuid4(), stats={"max_dp": 50, "current_dp": 50}
        )
        player.max_dp = 30
        await layer.save_player(player)
        assert await layer.heal_player(player, 5) == 30
        await layer.damage_player(player, 8)
        assert await layer.heal_player(player, 5) == 27
        events = bus.of(PlayerDPUpdated)
        assert [(e.old_dp, e.new_dp, e.delta, e.source) for e in events] == [
            (30, 30, 0, "heal"),
            (30, 22, -8, "physical"),
            (22, 27, 5, "heal"),
        ]
    finally:
        await layer.close()


async def test_fault7_the_database_refuses_dp_above_the_effective_max(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    player = await contract_persistence.create_player(name="Ruled", user_id=uuid.uuid4())
    for script in (
        "UPDATE players SET current_dp = 21",
        "UPDATE players SET constitution = 1, size = 1, max_dp = 19",
    ):
        with pytest.raises(REFUSED, match="ck_players_current_dp"):
            await run_as_a_script(contract_persistence, script)
    assert (await stored_player(contract_persistence, player)).current_dp == 20


# Fault 8: 32-bit overflow ---------------------------------------------------------------------


@pytest.mark.parametrize("damage_type", ["cold", "water"])
async def test_fault8_cold_and_water_damage_of_legal_amounts_computes_in_64_bits(
    contract_persistence: AsyncPersistenceLayer, damage_type: str
) -> None:
    player = await contract_persistence.create_player(
        name="Frozen",
        user_id=uuid.uuid4(),
        stats={"max_dp": BIG, "current_dp": BIG, "cold_resistance": 50},
    )
    assert await contract_persistence.damage_player(player, BIG, damage_type) == BIG // 2
    assert await contract_persistence.damage_player(player, 30_000_000, damage_type) == (
        BIG // 2 - 15_000_000
    )


async def test_fault8_experience_survives_three_awards_of_a_billion(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    player = await contract_persistence.create_player(name="Sage", user_id=uuid.uuid4())
    for _ in range(3):
        await contract_persistence.gain_experience(player, BIG)
    assert player.experience_points == 3 * BIG
    assert (await stored_player(contract_persistence, player)).experience_points == 3 * BIG


async def test_fault8_magic_points_stop_at_their_maximum_instead_of_overflowing(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    player = await contract_persistence.create_player(name="Mage", user_id=uuid.uuid4())
    for _ in range(3):
        await contract_persistence.update_player_stat_field(player.player_id, "magic_points", BIG)
    assert (await stored_player(contract_persistence, player)).magic_points == BIG


@pytest.mark.parametrize(
    ("stats", "field"),
    [
        ({"max_dp": 2**31}, "max_dp"),
        ({"max_dp": BIG + 1}, "max_dp"),
        ({"magic_points": 2**31}, "magic_points"),
        ({"max_magic_points": 2**40}, "max_magic_points"),
    ],
)
async def test_fault8_out_of_range_stats_are_validation_errors(
    contract_persistence: AsyncPersistenceLayer, stats: dict[str, int], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await contract_persistence.create_player(name="Huge", user_id=uuid.uuid4(), stats=stats)
    assert caught.value.field == field
    assert await contract_persistence.list_players() == []


async def test_fault8_out_of_range_profession_id_is_a_validation_error(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    with pytest.raises(ValidationError, match="profession_id"):
        await contract_persistence.create_player(
            name="Huge", user_id=uuid.uuid4(), profession_id=2**31
        )
    player = await contract_persistence.create_player(name="Small", user_id=uuid.uuid4())
    player.profession_id = 2**31
    with pytest.raises(ValidationError, match="profession_id"):
        await contract_persistence.save_player(player)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("experience_points", 10**16),
        ("level", 2**31),
        ("max_dp", 2**31),
        ("magic_points", 2**31),
        ("max_lucidity", 2**31),
    ],
)
async def test_fault8_saving_out_of_range_values_is_a_validation_error(
    contract_persistence: AsyncPersistenceLayer, field: str, value: int
) -> None:
    player = await contract_persistence.create_player(name="Saver", user_id=uuid.uuid4())
    setattr(player, field, value)
    with pytest.raises(ValidationError) as caught:
        await contract_persistence.save_player(player)
    assert caught.value.field == field
    assert getattr(await stored_player(contract_persistence, player), field) != value


async def test_fault8_out_of_range_item_and_container_numbers_are_validation_errors(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    await contract_persistence.seed_item_prototypes()
    with pytest.raises(ValidationError, match="base_value"):
        await contract_persistence.seed_item_prototypes(
            [{"prototype_id": "gold", "name": "Gold", "item_type": "treasure", "base_value": 2**31}]
        )
    prototype = "lantern"
    with pytest.raises(ValidationError, match="quantity"):
        await contract_persistence.create_item_instance("too-many", prototype, quantity=2**31)
    with pytest.raises(ValidationError, match="weight_limit"):
        await contract_persistence.create_container(
            "environment", room_id="earth_room", weight_limit=2**31
        )
    assert not await contract_persistence.item_instance_exists("too-many")


@pytest.mark.parametrize(
    ("statement", "rule"),
    [
        ("UPDATE players SET max_dp = 2000000000", "ck_players_int_ranges"),
        ("UPDATE players SET magic_points = 2000000000", "ck_players_magic_points"),
        (
            "UPDATE players SET experience_points = 10000000000000000",
            "ck_players_experience_points",
        ),
        # PostgreSQL refuses a level past 32 bits by the column's type, SQLite by the rule
        ("UPDATE players SET level = 3000000000", "ck_players_int_ranges|out of range"),
    ],
)
async def test_fault8_both_databases_refuse_out_of_range_numbers(
    contract_persistence: AsyncPersistenceLayer, statement: str, rule: str
) -> None:
    await contract_persistence.create_player(name="Ranged", user_id=uuid.uuid4())
    with pytest.raises(REFUSED, match=rule):
        await run_as_a_script(contract_persistence, statement)


# Fault 11: the same player twice in save_players ---------------------------------------------


async def test_fault11_the_same_object_twice_in_save_players_is_saved_once(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    player = await contract_persistence.create_player(name="Twice", user_id=uuid.uuid4())
    player.current_room_id = "earth_arkhamcity_sanitarium_room_hallway_001"
    await contract_persistence.save_players([player, player])
    assert (
        await stored_player(contract_persistence, player)
    ).current_room_id == "earth_arkhamcity_sanitarium_room_hallway_001"


async def test_fault11_two_objects_for_one_player_in_save_players_are_refused(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    player = await contract_persistence.create_player(name="Split", user_id=uuid.uuid4())
    other = await stored_player(contract_persistence, player)
    player.current_room_id = "earth_room_a"
    other.name = "Splinter"
    with pytest.raises(ValidationError, match="two different objects") as caught:
        await contract_persistence.save_players([player, other])
    assert caught.value.value == player.player_id
    again = await stored_player(contract_persistence, player)
    assert (again.name, again.current_room_id) == ("Split", player.saved_value("current_room_id"))


# Fault 13: SQLite compared stored JSON and times as text --------------------------------------


@pytest.mark.parametrize(
    "script",
    [
        "UPDATE players SET inventory = '[ ]', last_active = '2026-01-01 00:00:00'",
        'UPDATE players SET inventory = \'[{"item_id": "caf\\u00e9", "item_name": "x", '
        '"slot_type": "bag", "quantity": 1}]\', last_active = CURRENT_TIMESTAMP',
    ],
)
async def test_fault13_rows_written_by_sql_scripts_can_save_inventory_and_last_active(
    contract_persistence: AsyncPersistenceLayer, script: str
) -> None:
    from datetime import UTC, datetime

    player = await contract_persistence.create_player(name="Scripted", user_id=uuid.uuid4())
    await run_as_a_script(contract_persistence, script)
    loaded = await stored_player(contract_persistence, player)
    loaded.set_inventory([stack("lamp")])
    loaded.last_active = moment = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
    await contract_persistence.save_player(loaded)
    again = await stored_player(contract_persistence, player)
    assert (again.inventory, again.last_active) == ([stack("lamp")], moment)


# Also looked at: names that are invisible, or the same in NFC and NFD ------------------------


@pytest.mark.parametrize("name", ["\u200b", "\u200b\u200c\u200d", " \u2060 ", "\u200e\ufeff"])
async def test_a_name_of_only_invisible_characters_is_refused(
    contract_persistence: AsyncPersistenceLayer, name: str
) -> None:
    with pytest.raises(ValidationError, match="visible"):
        await contract_persistence.create_player(name=name, user_id=uuid.uuid4())


async def test_names_equal_in_nfc_and_nfd_are_one_name(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    from mud_persistence import ConflictError

    composed, decomposed = "Zo\u00eb", "Zoe\u0308"
    player = await contract_persistence.create_player(name=decomposed, user_id=uuid.uuid4())
    assert player.name == composed  # stored in NFC form
    with pytest.raises(ConflictError):
        await contract_persistence.create_player(name=composed, user_id=uuid.uuid4())
    found = await contract_persistence.get_player_by_name(decomposed)
    assert found is not None and found.player_id == player.player_id
