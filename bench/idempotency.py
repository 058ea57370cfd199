"""What an idempotency key costs a counter update, on the PostgreSQL of TEST_DATABASE_URL.

Usage: python -m bench.idempotency [--seconds 2] [--rounds 5] [--tasks 1 20]

Each case runs ``--tasks`` tasks, each changing its own player's DP with ``damage_player``
(amount 0, so the value stays put) for ``--seconds``; rounds interleave the cases and the
median is reported, in calls per second:

- no key: the plain call, one statement;
- new key: each call with a key never used before (one transaction: claim the key, the update,
  record the result);
- repeated key: each call repeats a key already recorded (claim, read the result; no update).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable

from mud_persistence import AsyncPersistenceLayer, Player
from mud_persistence.testing import create_database, drop_database, server_url_from_environment

Call = Callable[[AsyncPersistenceLayer, Player, int], Awaitable[object]]
_fresh = itertools.count()

CASES: dict[str, Call] = {
    "no key": lambda layer, player, n: layer.damage_player(player, 0),
    "new key": lambda layer, player, n: layer.damage_player(
        player, 0, idempotency_key=f"{player.player_id}:{next(_fresh)}"
    ),
    "repeated key": lambda layer, player, n: layer.damage_player(
        player, 0, idempotency_key=f"{player.player_id}:repeated"
    ),
}


async def calls_per_second(
    layer: AsyncPersistenceLayer, players: list[Player], call: Call, seconds: float
) -> float:
    done = 0
    deadline = time.monotonic() + seconds

    async def run(player: Player) -> None:
        nonlocal done
        while time.monotonic() < deadline:
            await call(layer, player, done)
            done += 1

    await asyncio.gather(*(run(player) for player in players))
    return done / seconds


async def measure(url: str, seconds: float, rounds: int, tasks: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {name: [] for name in CASES}
    async with AsyncPersistenceLayer(url) as layer:
        players = [
            await layer.create_player(name=f"B{uuid.uuid4().hex[:10]}", user_id=uuid.uuid4())
            for _ in range(tasks)
        ]
        for player in players:  # the repeated key exists before the first round
            await CASES["repeated key"](layer, player, 0)
        for _ in range(rounds):
            for name, call in CASES.items():
                results[name].append(await calls_per_second(layer, players, call, seconds))
    return results


async def main(seconds: float, rounds: int, tasks: list[int]) -> None:
    server = server_url_from_environment()
    url = await create_database(server)
    try:
        print("| case | " + " | ".join(f"{n} task(s)" for n in tasks) + " |")
        print("|---|" + "---|" * len(tasks))
        columns = {n: await measure(url, seconds, rounds, n) for n in tasks}
        for name in CASES:
            cells = []
            for n in tasks:
                median = statistics.median(columns[n][name])
                ratio = median / statistics.median(columns[n]["no key"])
                cells.append(f"{median:,.0f}/s ({ratio:.2f})")
            print(f"| {name} | " + " | ".join(cells) + " |")
    finally:
        await drop_database(server, url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tasks", type=int, nargs="+", default=[1, 20])
    arguments = parser.parse_args()
    asyncio.run(main(arguments.seconds, arguments.rounds, arguments.tasks))
