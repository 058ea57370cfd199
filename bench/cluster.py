"""What each part of a production cluster costs the layer's writes, measured on private
servers started from Debian's packages (the cluster test fixtures, tests/cluster/servers.py).

Usage: python -m bench.cluster [--seconds 3] [--rounds 3] [--tasks 20]

Each configuration runs ``--tasks`` tasks, each adding 1 XP to its own player with
``update_player_xp`` for ``--seconds``; rounds interleave the configurations and the median
is reported, in writes per second:

- direct, asynchronous standby: the layer on the primary; the standby streams behind it;
- direct, synchronous standby: each commit waits for the standby to flush it;
- replica_urls set: as the first, plus the WAL-position read that read-your-writes needs;
- PgBouncer, transaction mode: as the first, through PgBouncer with pool_mode="transaction".
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Callable

from mud_persistence import AsyncPersistenceLayer, PersistenceSettings
from tests.cluster.servers import PgBouncer, StreamingCluster, missing_programs, started


async def writes_per_second(settings: PersistenceSettings, seconds: float, tasks: int) -> float:
    async with AsyncPersistenceLayer(settings=settings) as layer:
        players = [
            await layer.create_player(name=f"B{uuid.uuid4().hex[:10]}", user_id=uuid.uuid4())
            for _ in range(tasks)
        ]
        done = 0
        deadline = time.monotonic() + seconds

        async def write(player_id: object) -> None:
            nonlocal done
            while time.monotonic() < deadline:
                await layer.update_player_xp(player_id, 1)  # type: ignore[arg-type]
                done += 1

        await asyncio.gather(*(write(p.player_id) for p in players))
    return done / seconds


async def measure(seconds: float, rounds: int, tasks: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {}
    with (
        # fsync on, as in production: a synchronous commit waits for two disk flushes
        started(StreamingCluster(fsync=True)) as asynchronous,
        started(StreamingCluster(synchronous=True, fsync=True)) as synchronous,
        started(PgBouncer(asynchronous.primary.port)) as bouncer,
    ):
        plain = await asynchronous.create_database()
        name = plain.rsplit("/", 1)[1]
        sync_url = await synchronous.create_database()
        configurations: dict[str, Callable[[], PersistenceSettings]] = {
            "direct, asynchronous standby": lambda: PersistenceSettings(database_url=plain),
            "direct, synchronous standby": lambda: PersistenceSettings(database_url=sync_url),
            "replica_urls set (read-your-writes bookkeeping)": lambda: PersistenceSettings(
                database_url=plain, replica_urls=[asynchronous.standby.url_for(name)]
            ),
            "PgBouncer, transaction mode": lambda: PersistenceSettings(
                database_url=bouncer.url_for(name), pool_mode="transaction"
            ),
        }
        for _ in range(rounds):
            for label, settings in configurations.items():
                rate = await writes_per_second(settings(), seconds, tasks)
                results.setdefault(label, []).append(rate)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=20)
    args = parser.parse_args()
    reason = missing_programs()
    if reason:
        raise SystemExit(reason)
    results = asyncio.run(measure(args.seconds, args.rounds, args.tasks))
    baseline = statistics.median(next(iter(results.values())))
    print(f"{'configuration':<50} {'writes/s':>9} {'vs first':>9}")
    for label, rates in results.items():
        median = statistics.median(rates)
        print(f"{label:<50} {median:>9.0f} {median / baseline:>9.2f}")


if __name__ == "__main__":
    main()
