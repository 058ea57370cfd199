"""Every rule of the data model is enforced by PostgreSQL itself, not only by Python."""

from __future__ import annotations

import asyncpg
import pytest

from mud_persistence.models import DEFAULT_ROOM_ID, STAT_COLUMNS
from tests.integration import rows

pytestmark = pytest.mark.usefixtures("persistence")  # truncates the tables after each test


def out_of_range_values() -> list[tuple[str, int]]:
    cases = []
    for column, (_, low, high) in STAT_COLUMNS.items():
        cases.append((column, low - 1))
        if high is not None:
            cases.append((column, high + 1))
    cases += [("experience_points", -1), ("level", 0), ("max_dp", 0)]
    return cases


async def test_defaults_are_held_by_the_database(raw: asyncpg.Connection) -> None:
    player_id = await rows.player(raw)
    row = await raw.fetchrow("SELECT * FROM players WHERE player_id = $1", player_id)
    assert row is not None
    for column, (default, _, _) in STAT_COLUMNS.items():
        assert row[column] == default, column
    assert (row["current_dp"], row["max_dp"], row["experience_points"], row["level"]) == (
        20,
        None,
        0,
        1,
    )
    assert row["current_room_id"] == DEFAULT_ROOM_ID
    assert row["position"] == "standing"
    assert (row["inventory"], row["equipped"], row["status_effects"]) == ("[]", "{}", "[]")
    assert not row["is_admin"] and not row["is_deleted"]
    assert row["created_at"] is not None and row["last_active"] is not None


@pytest.mark.parametrize(("column", "value"), out_of_range_values())
async def test_player_counter_out_of_range_is_refused(
    raw: asyncpg.Connection, column: str, value: int
) -> None:
    player_id = await rows.player(raw)
    with pytest.raises(asyncpg.CheckViolationError):
        await raw.execute(
            f"UPDATE players SET {column} = $1 WHERE player_id = $2", value, player_id
        )


@pytest.mark.parametrize(("column", "value"), [("position", "flying"), ("name", "")])
async def test_player_text_rules_are_enforced(
    raw: asyncpg.Connection, column: str, value: str
) -> None:
    player_id = await rows.player(raw)
    with pytest.raises(asyncpg.CheckViolationError):
        await raw.execute(
            f"UPDATE players SET {column} = $1 WHERE player_id = $2", value, player_id
        )


async def test_player_names_are_unique_case_insensitively_among_active_players(
    raw: asyncpg.Connection,
) -> None:
    first = await rows.player(raw, "Alice")
    with pytest.raises(asyncpg.UniqueViolationError):
        await rows.player(raw, "aLICE")
    await raw.execute("UPDATE players SET is_deleted = true WHERE player_id = $1", first)
    await rows.player(raw, "ALICE")  # the deleted Alice no longer holds the name
    with pytest.raises(asyncpg.UniqueViolationError):
        await raw.execute("UPDATE players SET is_deleted = false WHERE player_id = $1", first)


async def test_profession_names_are_unique(raw: asyncpg.Connection) -> None:
    await rows.insert(raw, "professions", name="Scholar")
    with pytest.raises(asyncpg.UniqueViolationError):
        await rows.insert(raw, "professions", name="Scholar")


@pytest.mark.parametrize(("column", "value"), [("weight", -0.5), ("base_value", -1)])
async def test_prototype_rules_are_enforced(
    raw: asyncpg.Connection, column: str, value: float
) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        await rows.prototype(raw, **{column: value})


@pytest.mark.parametrize(
    ("column", "value"),
    [("owner_type", "void"), ("quantity", 0), ("condition", -1), ("condition", 101)],
)
async def test_item_instance_rules_are_enforced(
    raw: asyncpg.Connection, column: str, value: object
) -> None:
    await rows.prototype(raw)
    with pytest.raises(asyncpg.CheckViolationError):
        await rows.instance(raw, **{column: value})


@pytest.mark.parametrize(
    "values",
    [
        {"source_type": "pocket"},
        {"lock_state": "jammed"},
        {"capacity_slots": 0},
        {"capacity_slots": 21},
        {"weight_limit": 0},
        {"source_type": "environment", "room_id": None},
        {"source_type": "equipment"},
    ],
    ids=str,
)
async def test_container_rules_are_enforced(raw: asyncpg.Connection, values: dict) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        await rows.container(raw, **values)


async def test_an_item_instance_sits_in_at_most_one_container(raw: asyncpg.Connection) -> None:
    await rows.prototype(raw)
    item = await rows.instance(raw)
    first, second = await rows.container(raw), await rows.container(raw)
    await rows.insert(
        raw, "container_contents", container_id=first, item_instance_id=item, position=0
    )
    with pytest.raises(asyncpg.UniqueViolationError):
        await rows.insert(
            raw, "container_contents", container_id=second, item_instance_id=item, position=0
        )


async def test_positions_are_unique_per_container_and_not_negative(
    raw: asyncpg.Connection,
) -> None:
    await rows.prototype(raw)
    box = await rows.container(raw)
    first, second = await rows.instance(raw), await rows.instance(raw)
    await rows.insert(
        raw, "container_contents", container_id=box, item_instance_id=first, position=0
    )
    with pytest.raises(asyncpg.UniqueViolationError):
        await rows.insert(
            raw, "container_contents", container_id=box, item_instance_id=second, position=0
        )
    with pytest.raises(asyncpg.CheckViolationError):
        await rows.insert(
            raw, "container_contents", container_id=box, item_instance_id=second, position=-1
        )


async def test_foreign_keys_refuse_unknown_rows(raw: asyncpg.Connection) -> None:
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await rows.player(raw, profession_id=999)
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await rows.instance(raw, prototype_id="no_such_prototype")


async def test_a_prototype_with_instances_cannot_be_deleted(raw: asyncpg.Connection) -> None:
    await rows.prototype(raw)
    await rows.instance(raw)
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await raw.execute("DELETE FROM item_prototypes WHERE prototype_id = 'lamp'")


async def test_deleting_a_profession_clears_it_from_players(raw: asyncpg.Connection) -> None:
    profession_id = await raw.fetchval(
        "INSERT INTO professions (name) VALUES ('Tramp') RETURNING id"
    )
    player_id = await rows.player(raw, profession_id=profession_id)
    await raw.execute("DELETE FROM professions WHERE id = $1", profession_id)
    assert (
        await raw.fetchval("SELECT profession_id FROM players WHERE player_id = $1", player_id)
        is None
    )


async def test_deleting_a_player_clears_ownership_and_removes_equipment(
    raw: asyncpg.Connection,
) -> None:
    player_id = await rows.player(raw)
    chest = await rows.container(raw, owner_id=player_id)
    backpack = await rows.container(raw, source_type="equipment", entity_id=player_id)
    await rows.prototype(raw)
    item = await rows.instance(raw)
    await rows.insert(
        raw, "container_contents", container_id=backpack, item_instance_id=item, position=0
    )

    await raw.execute("DELETE FROM players WHERE player_id = $1", player_id)

    assert (
        await raw.fetchval("SELECT owner_id FROM containers WHERE container_id = $1", chest) is None
    )
    assert (
        await raw.fetchval("SELECT count(*) FROM containers WHERE container_id = $1", backpack) == 0
    )
    assert await raw.fetchval("SELECT count(*) FROM container_contents") == 0


async def test_deleting_an_item_instance_empties_its_slot_and_unlinks_its_container(
    raw: asyncpg.Connection,
) -> None:
    await rows.prototype(raw)
    item = await rows.instance(raw)
    box = await rows.container(raw, container_item_instance_id=item)
    await rows.insert(
        raw, "container_contents", container_id=box, item_instance_id=item, position=0
    )

    await raw.execute("DELETE FROM item_instances WHERE item_instance_id = $1", item)

    assert await raw.fetchval("SELECT count(*) FROM container_contents") == 0
    assert (
        await raw.fetchval(
            "SELECT container_item_instance_id FROM containers WHERE container_id = $1", box
        )
        is None
    )


async def test_deleting_a_container_empties_its_contents(raw: asyncpg.Connection) -> None:
    await rows.prototype(raw)
    box = await rows.container(raw)
    item = await rows.instance(raw)
    await rows.insert(
        raw, "container_contents", container_id=box, item_instance_id=item, position=0
    )
    await raw.execute("DELETE FROM containers WHERE container_id = $1", box)
    assert await raw.fetchval("SELECT count(*) FROM container_contents") == 0
