"""The scale cases (issue 16, item 4): large reads against the raw-best limit, the facade's
statement count for a large listing, and the memory each loaded Player takes."""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from bench.contenders.facade import FacadeContender
from bench.contenders.raw_best import RawBestContender
from tests.query_counter import counting_queries  # the query-count test's own counter

SCALE_ROOM = "earth_arkhamcity_sanitarium_room_basement_001"  # a room of the bundled world
SCALE_PLAYERS = 10_000
SCALE_LISTING_ROOM = "bench_room_scale_listing"
SCALE_CONTAINERS, SCALE_ITEMS_PER_CONTAINER = (
    500,
    20,
)  # 10,000 items; 20 is the most a container holds
# The targets: facade time <= 2 x raw-best time; at most 1.5 KB per loaded Player.
TIME_TARGET, BYTES_PER_PLAYER_TARGET = 2.0, 1536


async def fill(url: str) -> None:
    """10,000 players in one room and 10,000 items in another, inserted by set-based SQL (the
    facade would take minutes to create them one by one)."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            """
            INSERT INTO players (player_id, user_id, name, current_room_id)
            SELECT gen_random_uuid(), gen_random_uuid(), 'Crowd ' || n, $1
            FROM generate_series(1, $2) n
            """,
            SCALE_ROOM,
            SCALE_PLAYERS,
        )
        await connection.execute(
            """
            INSERT INTO containers (container_id, source_type, room_id, capacity_slots,
                created_at, updated_at)
            SELECT gen_random_uuid(), 'environment', $1, $2,
                now() + n * interval '1 microsecond', now()
            FROM generate_series(1, $3) n
            """,
            SCALE_LISTING_ROOM,
            SCALE_ITEMS_PER_CONTAINER,
            SCALE_CONTAINERS,
        )
        await connection.execute(
            """
            INSERT INTO item_instances (item_instance_id, owner_type, owner_id, prototype_id)
            SELECT 'scale-' || c.container_id || '-' || p, 'container', c.container_id::text,
                'consumable.bandage'
            FROM containers c, generate_series(0, $2 - 1) p WHERE c.room_id = $1
            """,
            SCALE_LISTING_ROOM,
            SCALE_ITEMS_PER_CONTAINER,
        )
        await connection.execute(
            """
            INSERT INTO container_contents (container_id, item_instance_id, position)
            SELECT c.container_id, 'scale-' || c.container_id || '-' || p, p
            FROM containers c, generate_series(0, $2 - 1) p WHERE c.room_id = $1
            """,
            SCALE_LISTING_ROOM,
            SCALE_ITEMS_PER_CONTAINER,
        )
    finally:
        await connection.close()


async def statements_of(call: Callable[[], Awaitable[Any]]) -> int:
    """The statements ``call`` sends itself: not those of the outbox relay or subscriptions,
    which run in their own tasks meanwhile."""
    with counting_queries() as counter:
        await call()
    return counter.count


async def median_seconds(call: Callable[[], Awaitable[Any]], repeats: int) -> float:
    await call()  # warm up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def bytes_per_player(facade: FacadeContender) -> float:
    """tracemalloc's count of the memory that the 10,000 loaded Players keep alive."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        players = await facade.layer.get_players_in_room(SCALE_ROOM)
        # The event loop step that delivered the driver's rows to this task is still running,
        # and it holds them (the fetch's future) until it ends: let it end.
        await asyncio.sleep(0)
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    kept = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    return kept / len(players)


async def scale_case(
    facade: FacadeContender, best: RawBestContender, operation: str, argument: str, repeats: int
) -> dict[str, Any]:
    """One large read on both, timed; the facade's statements for it counted."""
    facade_call = getattr(facade.layer, operation)
    best_call = getattr(best, operation)
    found, expected = await facade_call(argument), await best_call(argument)
    assert len(found) == len(expected), operation
    facade_s = await median_seconds(lambda: facade_call(argument), repeats)
    best_s = await median_seconds(lambda: best_call(argument), repeats)
    size = (
        f"{len(found):,} players"
        if operation == "get_players_in_room"
        else f"{sum(len(c['items_json']) for c in found):,} items in {len(found)} containers"
    )
    return {
        "operation": operation,
        "size": size,
        "facade_ms": facade_s * 1000,
        "raw_best_ms": best_s * 1000,
        "facade_time_over_raw_best": facade_s / best_s,
        "facade_statements": await statements_of(lambda: facade_call(argument)),
        "raw_best_statements": 1,
    }


async def run_scale(url: str, pool_size: int, repeats: int) -> dict[str, Any]:
    """Time each scale case on the facade and raw-best (median of ``repeats`` calls, one task),
    count the facade's statements for the large listing, and measure memory per Player."""
    await fill(url)
    facade, best = FacadeContender(url, pool_size), RawBestContender(url, pool_size)
    await facade.start()
    await best.start()
    try:
        cases = [
            await scale_case(facade, best, "get_players_in_room", SCALE_ROOM, repeats),
            await scale_case(
                facade, best, "get_containers_by_room_id", SCALE_LISTING_ROOM, repeats
            ),
        ]
        memory = await bytes_per_player(facade)
    finally:
        await facade.stop()
        await best.stop()
    return {"repeats": repeats, "cases": cases, "bytes_per_player": memory}
