"""save_player under real concurrency: parallel connections, exact outcomes."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from mud_persistence import AsyncPersistenceLayer, ConflictError, StaleDataError
from mud_persistence.models import DEFAULT_ROOM_ID

HALLWAY = "earth_arkhamcity_sanitarium_room_hallway_001"
BASEMENT = "earth_arkhamcity_sanitarium_room_basement_001"


async def test_atomic_xp_from_another_connection_survives_a_stale_room_save(
    persistence: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    created = await persistence.create_player(name="Racer", user_id=uuid.uuid4())
    stale = await persistence.get_player_by_id(created.player_id)
    assert stale is not None

    awards = [
        raw.execute(
            "UPDATE players SET experience_points = experience_points + 1 WHERE player_id = $1",
            created.player_id,
        )
        for _ in range(50)
    ]
    for award in awards:
        await award
    stale.current_room_id = HALLWAY
    await persistence.save_player(stale)

    row = await raw.fetchrow(
        "SELECT experience_points, current_room_id FROM players WHERE player_id = $1",
        created.player_id,
    )
    assert row is not None and (row["experience_points"], row["current_room_id"]) == (50, HALLWAY)


async def test_saves_of_untouched_fields_interleave_with_parallel_atomic_updates(
    persistence: AsyncPersistenceLayer, pg_url: str
) -> None:
    created = await persistence.create_player(name="Busy", user_id=uuid.uuid4())
    pool = await asyncpg.create_pool(pg_url, min_size=4, max_size=4)
    try:

        async def award_xp() -> None:
            await pool.execute(
                "UPDATE players SET experience_points = experience_points + 1 WHERE player_id = $1",
                created.player_id,
            )

        async def move(room: str) -> None:
            player = await persistence.get_player_by_id(created.player_id)
            assert player is not None
            player.current_room_id = room
            await persistence.save_player(player)

        moves = [move(HALLWAY if n % 2 else BASEMENT) for n in range(20)]
        results = await asyncio.gather(
            *(award_xp() for _ in range(200)), *moves, return_exceptions=True
        )
    finally:
        await pool.close()

    failures = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(f, StaleDataError) for f in failures), failures
    player = await persistence.get_player_by_id(created.player_id)
    assert player is not None and player.experience_points == 200


async def test_of_parallel_stale_copies_changing_one_field_exactly_one_wins(
    persistence: AsyncPersistenceLayer,
) -> None:
    created = await persistence.create_player(name="Contested", user_id=uuid.uuid4())
    copies = [await persistence.get_player_by_id(created.player_id) for _ in range(8)]
    # instanced rooms, which loading leaves alone (an unknown room would be fixed on load)
    rooms = [f"instance_contested_{n}" for n in range(8)]
    for copy, room in zip(copies, rooms, strict=True):
        assert copy is not None
        copy.current_room_id = room

    results = await asyncio.gather(
        *(persistence.save_player(copy) for copy in copies if copy is not None),
        return_exceptions=True,
    )

    winners = [room for room, result in zip(rooms, results, strict=True) if result is None]
    assert len(winners) == 1
    assert all(isinstance(r, StaleDataError) for r in results if r is not None)
    stored = await persistence.get_player_by_id(created.player_id)
    assert stored is not None and stored.current_room_id == winners[0]


async def test_save_players_rolls_back_every_player_when_the_database_refuses_one(
    persistence: AsyncPersistenceLayer,
) -> None:
    await persistence.create_player(name="Taken", user_id=uuid.uuid4())
    first = await persistence.create_player(name="First", user_id=uuid.uuid4())
    second = await persistence.create_player(name="Second", user_id=uuid.uuid4())
    first.current_room_id = HALLWAY
    second.name = "TAKEN"  # valid input, refused only by the unique index

    with pytest.raises(ConflictError, match="TAKEN"):
        await persistence.save_players([first, second])

    stored = await persistence.get_players_batch([first.player_id, second.player_id])
    assert stored[first.player_uuid].current_room_id == DEFAULT_ROOM_ID
    assert stored[second.player_uuid].name == "Second"
