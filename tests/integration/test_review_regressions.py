"""Faults an independent review found, each pinned by a test that failed before its fix."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from mud_persistence import (
    AsyncPersistenceLayer,
    ConflictError,
    DatabaseError,
    ValidationError,
)
from mud_persistence.repositories.container import ContainerRepository

ORPHANS = """
SELECT count(*) FROM item_instances i
WHERE i.owner_type = 'container' AND NOT EXISTS (
    SELECT 1 FROM container_contents c WHERE c.item_instance_id = i.item_instance_id)
"""


@pytest.fixture
async def world(persistence: AsyncPersistenceLayer) -> AsyncPersistenceLayer:
    await persistence.seed_item_prototypes()
    return persistence


async def test_deleting_a_container_while_items_arrive_leaves_no_orphans(
    world: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    for _ in range(15):
        source = await world.create_container_data(
            "environment", room_id="r", items=[{"item_id": "misc.coin.silver"}]
        )
        target = await world.create_container_data("environment", room_id="r")
        await asyncio.gather(
            world.transfer_item(
                source.items[0].item_instance_id,
                from_container_id=source.container_id,
                to_container_id=target.container_id,
            ),
            world.delete_container(target.container_id),
            return_exceptions=True,
        )
    assert await raw.fetchval(ORPHANS) == 0


class ConnectionLostOnce:
    failed = False


async def test_a_retried_create_never_creates_the_container_twice(
    world: AsyncPersistenceLayer, raw: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_read = ContainerRepository._read
    state = ConnectionLostOnce()

    async def read_failing_once(self: ContainerRepository, container_id: uuid.UUID) -> object:
        if not state.failed:
            state.failed = True
            raise ConnectionRefusedError("connection refused")  # nothing was sent: retryable
        return await real_read(self, container_id)

    monkeypatch.setattr(ContainerRepository, "_read", read_failing_once)
    created = await world.create_container_data("environment", room_id="once")
    assert state.failed
    assert await raw.fetchval("SELECT count(*) FROM containers WHERE room_id = 'once'") == 1
    assert created.room_id == "once"


async def test_deleting_a_player_deletes_the_items_in_their_equipment(
    world: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    player = await world.create_player(name="Doomed", user_id=uuid.uuid4())
    await world.create_container_data(
        "equipment", entity_id=player.player_id, items=[{"item_id": "misc.coin.silver"}] * 3
    )
    assert await world.delete_player(player.player_id)
    assert await raw.fetchval("SELECT count(*) FROM item_instances") == 0


async def test_opposite_batches_of_the_same_players_do_not_deadlock(
    world: AsyncPersistenceLayer, caplog: pytest.LogCaptureFixture
) -> None:
    a = await world.create_player(name="Alpha", user_id=uuid.uuid4())
    b = await world.create_player(name="Beta", user_id=uuid.uuid4())
    with caplog.at_level(logging.WARNING, logger="mud_persistence.retry"):
        for round_number in range(10):
            copies = [await world.get_players_batch([a.player_id, b.player_id]) for _ in range(2)]
            for copy in copies:
                for player in copy.values():
                    player.respawn_room_id = f"room_{round_number}_{id(copy)}"
            first, second = (list(copy.values()) for copy in copies)
            await asyncio.gather(
                world.save_players(first), world.save_players(second[::-1]), return_exceptions=True
            )
    assert "Deadlock" not in caplog.text


async def test_a_broken_migration_table_is_a_database_error(fresh_database) -> None:
    url = await fresh_database()
    connection = await asyncpg.connect(url)
    await connection.execute("CREATE TABLE aerich (id int)")
    await connection.close()
    with pytest.raises(DatabaseError, match="connect"):
        await AsyncPersistenceLayer(url).connect()


async def test_concurrent_connects_open_one_pool(pg_url: str, sqlite_url: str) -> None:
    layer = AsyncPersistenceLayer(pg_url)
    await asyncio.gather(layer.connect(), layer.connect())
    await layer.close()
    other = AsyncPersistenceLayer(sqlite_url)
    await other.connect(migrate=True)  # refused if a PostgreSQL pool were left open
    await other.close()


async def test_changing_the_owner_of_an_item_in_a_container_is_refused(
    world: AsyncPersistenceLayer,
) -> None:
    box = await world.create_container_data(
        "environment", room_id="r", items=[{"item_id": "misc.coin.silver"}]
    )
    item = box.items[0].item_instance_id
    with pytest.raises(ConflictError, match="transfer_item"):
        await world.upsert_item_instance(item, "misc.coin.silver", owner_type="player")
    await world.upsert_item_instance(item, "misc.coin.silver", condition=50)  # other columns: fine


@pytest.mark.parametrize(
    "call",
    [
        lambda layer: layer.create_container_data(
            "environment", room_id="r", metadata={"when": datetime.now(UTC)}
        ),
        lambda layer: layer.create_item_instance("x-1", "misc.coin.silver", metadata={1j: 2}),
        lambda layer: layer.update_player_last_active(uuid.uuid4(), "yesterday"),
        lambda layer: layer.get_decayed_container_data("now"),
        lambda layer: layer.get_profession_by_id("abc"),
        lambda layer: layer.get_players_batch(None),
        lambda layer: layer.save_player(object()),
    ],
)
async def test_bad_argument_types_are_validation_errors(
    world: AsyncPersistenceLayer, call: object
) -> None:
    with pytest.raises(ValidationError):
        await call(world)  # type: ignore[operator]


async def test_huge_amounts_are_refused_and_large_ones_clamp(world: AsyncPersistenceLayer) -> None:
    player = await world.create_player(name="Big", user_id=uuid.uuid4())
    with pytest.raises(ValidationError, match="amount"):
        await world.heal_player(player, 2**31)
    with pytest.raises(ValidationError, match="delta"):
        await world.update_player_stat_field(player.player_id, "fear", 2**40)
    assert await world.heal_player(player, 10**9) == 20
    assert await world.damage_player(player, 10**9) == -10
    assert await world.update_player_stat_field(player.player_id, "fear", 10**9) == 100


async def test_save_player_refuses_current_dp_outside_floor_and_max(
    world: AsyncPersistenceLayer,
) -> None:
    player = await world.create_player(name="Bounded", user_id=uuid.uuid4())
    for value in (5000, -11):
        player.current_dp = value
        with pytest.raises(ValidationError, match="current_dp"):
            await world.save_player(player)
    for value in (-10, -1, 0, 20):
        player.current_dp = value
        await world.save_player(player)


async def test_an_unsaved_unknown_room_is_still_fixed(world: AsyncPersistenceLayer) -> None:
    player = await world.create_player(name="Wanderer", user_id=uuid.uuid4())
    player.current_room_id = "earth_nowhere_room_void_001"  # changed, not saved
    assert world.validate_and_fix_player_room(player)
    assert player.current_room_id == world.settings.default_room_id


async def test_a_position_outside_the_container_is_a_validation_error(
    world: AsyncPersistenceLayer,
) -> None:
    box = await world.create_container_data("environment", room_id="r", capacity_slots=2)
    await world.create_item_instance("coin-x", "misc.coin.silver")
    with pytest.raises(ValidationError, match="position"):
        await world.add_item_to_container(box.container_id, "coin-x", position=50)


@pytest.mark.parametrize(
    "url", ["postgres://game:s3cretPW@db:abc/world", "mysql://game:s3cretPW@db/world", "nonsense"]
)
def test_a_malformed_url_is_a_validation_error_without_the_password(url: str) -> None:
    with pytest.raises(ValidationError, match="database_url") as caught:
        AsyncPersistenceLayer(url)
    assert "s3cretPW" not in str(caught.value)
