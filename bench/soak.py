"""Soak test: simulated players doing mixed operations for a bounded time, then invariants.

Usage: python -m bench.soak [--seconds 120] [--players 50] [--server-url URL]
Not part of the test suite; `make soak` runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from bench.world import create_world, drop_world
from mud_persistence import (
    AsyncPersistenceLayer,
    CapacityError,
    ConflictError,
    PersistenceSettings,
    StaleDataError,
)

ITEMS_PER_PLAYER = 3
EXPECTED = (CapacityError, ConflictError, StaleDataError)  # outcomes of the game, not faults


async def soak(args: argparse.Namespace) -> int:
    world = await create_world(args.server_url, 0)
    # the opt-in level curve, so the soak also checks that levels follow XP under load
    settings = PersistenceSettings(database_url=world.url, pool_max_size=10, xp_per_level=100)
    layer = AsyncPersistenceLayer(settings=settings)
    latencies: dict[str, list[float]] = defaultdict(list)
    outcomes: Counter[str] = Counter()
    xp_awarded = 0
    try:
        await layer.connect()
        await layer.seed_item_prototypes()
        players = [
            await layer.create_player(name=f"Soak {n}", user_id=uuid.uuid4())
            for n in range(args.players)
        ]
        packs = [
            await layer.create_container_data(
                "equipment",
                entity_id=p.player_id,
                items=[{"item_id": "misc.coin.silver"}] * ITEMS_PER_PLAYER,
            )
            for p in players
        ]
        deadline = time.perf_counter() + args.seconds

        async def timed(name: str, call: Callable[[], Awaitable[Any]]) -> Any:
            started = time.perf_counter()
            try:
                result = await call()
                outcomes["ok"] += 1
                return result
            except EXPECTED:
                outcomes["refused by the rules"] += 1
            except Exception as exc:  # counted and reported: the soak is looking for these
                outcomes[f"error: {type(exc).__name__}"] += 1
            finally:
                latencies[name].append(time.perf_counter() - started)
            return None

        async def play(index: int) -> None:
            nonlocal xp_awarded
            me = players[index]
            while time.perf_counter() < deadline:
                them = packs[random.randrange(len(players))]
                roll = random.random()
                if roll < 0.3:
                    await timed("damage_player", lambda: layer.damage_player(me, 1))
                elif roll < 0.45:
                    await timed("heal_player", lambda: layer.heal_player(me, 2))
                elif roll < 0.65:
                    if await timed("gain_experience", lambda: layer.gain_experience(me, 3)):
                        xp_awarded += 3
                elif roll < 0.8:
                    await timed("get_player_by_id", lambda: layer.get_player_by_id(me.player_id))
                elif roll < 0.9:
                    await timed(
                        "transfer_item", lambda them=them: move_one(layer, packs[index], them)
                    )
                else:
                    await timed("save_player", lambda: wander(layer, me))

        await asyncio.gather(*(play(i) for i in range(args.players)))
        stored = await layer.get_players_batch([p.player_id for p in players])
        contents = [await layer.get_container_data(p.container_id) for p in packs]
    finally:
        await layer.close()
        await drop_world(args.server_url, world)

    held = Counter(item.item_instance_id for c in contents if c for item in c.items)
    checks = {
        "XP conserved (sum of awards)": sum(p.experience_points for p in stored.values())
        == xp_awarded,
        "levels match XP (or stay the game's)": all(
            p.level == level_for(p.experience_points, layer.settings.xp_per_level)
            for p in stored.values()
        ),
        "DP within [floor, max]": all(
            layer.settings.dp_floor <= p.current_dp <= p.effective_max_dp for p in stored.values()
        ),
        "no item duplicated": set(held.values()) == {1},
        "items conserved": sum(held.values()) == ITEMS_PER_PLAYER * args.players,
        "no container over capacity": all(c and len(c.items) <= c.capacity_slots for c in contents),
        "no unexpected errors": not any(k.startswith("error") for k in outcomes),
    }
    report(args, latencies, outcomes, checks)
    return 0 if all(checks.values()) else 1


def level_for(xp: int, xp_per_level: int | None) -> int:
    # gain_experience changes the level only with the opt-in curve; otherwise it stays at 1
    return 1 if xp_per_level is None else xp // xp_per_level + 1


async def move_one(layer: AsyncPersistenceLayer, mine: Any, theirs: Any) -> Any:
    current = await layer.get_container_data(mine.container_id)
    if not current or not current.items or mine.container_id == theirs.container_id:
        return None
    item = random.choice(current.items).item_instance_id
    return await layer.transfer_item(
        item, from_container_id=mine.container_id, to_container_id=theirs.container_id
    )


async def wander(layer: AsyncPersistenceLayer, player: Any) -> None:
    fresh = await layer.get_player_by_id(player.player_id)
    assert fresh is not None
    fresh.current_room_id = random.choice(["soak_room_a", "soak_room_b", "soak_room_c"])
    await layer.save_player(fresh)


def report(
    args: argparse.Namespace,
    latencies: dict[str, list[float]],
    outcomes: Counter[str],
    checks: dict[str, bool],
) -> None:
    total = sum(len(v) for v in latencies.values())
    rate = total / args.seconds
    print(f"{args.players} players, {args.seconds:g} s: {total:,} operations ({rate:,.0f}/s)")
    print(f"{'operation':<18} {'count':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name, values in sorted(latencies.items()):
        p99 = statistics.quantiles(values, n=100)[98] if len(values) >= 2 else values[0]
        p50 = statistics.median(values)
        print(f"{name:<18} {len(values):>8,} {p50 * 1000:>8.2f} {p99 * 1000:>8.2f}")
    print("outcomes: " + ", ".join(f"{k} {v:,}" for k, v in outcomes.most_common()))
    for name, holds in checks.items():
        print(f"  {'ok ' if holds else 'FAILED'} {name}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--players", type=int, default=50)
    parser.add_argument(
        "--server-url",
        default=os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    raise SystemExit(asyncio.run(soak(parser.parse_args())))


if __name__ == "__main__":
    main()
