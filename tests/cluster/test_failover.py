"""Failover without a restart: the primary crashes (or Patroni switches over) while 20 tasks
write, and the layer follows the new primary through its multi-host URL.

Each test prints what it measured (outage, failed calls); docs/scaling.md quotes them.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import asyncpg

from mud_persistence import AsyncPersistenceLayer, PersistenceSettings
from mud_persistence.errors import DatabaseError
from tests.cluster.servers import PatroniCluster, StreamingCluster

TASKS = 20


@dataclass
class WriteLoad:
    """TASKS tasks adding 1 XP to their own player as fast as the layer lets them."""

    layer: AsyncPersistenceLayer
    player_ids: list[uuid.UUID] = field(default_factory=list)
    acknowledged: Counter[uuid.UUID] = field(default_factory=Counter)
    unknown: Counter[uuid.UUID] = field(default_factory=Counter)
    failures: list[DatabaseError] = field(default_factory=list)
    successes: list[float] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        for i in range(TASKS):
            player = await self.layer.create_player(name=f"Writer{i}", user_id=uuid.uuid4())
            self.player_ids.append(uuid.UUID(str(player.player_id)))
        self._tasks = [asyncio.create_task(self._write(pid)) for pid in self.player_ids]
        await asyncio.sleep(1.0)  # steady state before anything breaks

    async def _write(self, player_id: uuid.UUID) -> None:
        while not self._stop.is_set():
            try:
                await self.layer.update_player_xp(player_id, 1)
            except DatabaseError as exc:  # anything else fails the test
                self.failures.append(exc)
                if exc.outcome_unknown:
                    self.unknown[player_id] += 1
                    assert "may or may not have been applied" in str(exc)
                await asyncio.sleep(0.01)
            else:
                self.acknowledged[player_id] += 1
                self.successes.append(time.monotonic())

    async def first_success_after(self, moment: float, within: float = 20) -> float:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            later = [t for t in self.successes if t > moment]
            if later:
                return min(later)
            await asyncio.sleep(0.01)
        raise AssertionError(f"no write succeeded within {within:g} s; {self.failures[-3:]}")

    async def stop(self) -> None:
        await asyncio.sleep(0.5)  # some writes on the new primary
        self._stop.set()
        await asyncio.gather(*self._tasks)

    def last_success_before(self, moment: float) -> float:
        return max(t for t in self.successes if t < moment)


async def stored_xp(url: str, player_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT player_id, experience_points FROM players WHERE player_id = ANY($1)",
            player_ids,
        )
    finally:
        await connection.close()
    return {row["player_id"]: row["experience_points"] for row in rows}


async def crash_and_promote(cluster: StreamingCluster) -> WriteLoad:
    database = (await cluster.create_database()).rsplit("/", 1)[1]
    settings = PersistenceSettings(database_url=cluster.multi_host_url.format(database=database))
    async with AsyncPersistenceLayer(settings=settings) as layer:
        load = WriteLoad(layer)
        await load.start()
        await asyncio.to_thread(cluster.primary.stop, "immediate")
        down = time.monotonic()  # the primary is gone: no write can succeed until promotion
        await asyncio.to_thread(cluster.standby.promote)
        promoted = time.monotonic()
        recovered = await load.first_success_after(down)
        await load.stop()
    print(
        f"\ncrash and promote: {sum(load.acknowledged.values())} writes acknowledged, "
        f"{len(load.failures)} failed ({sum(load.unknown.values())} outcome unknown); "
        f"pg_ctl promote took {promoted - down:.2f} s; no write succeeded for "
        f"{recovered - load.last_success_before(down):.2f} s"
    )
    # Every success after `down` was written by the promoted standby. pg_ctl polls every
    # 0.1 s, so the first can even come a little before pg_ctl returns.
    assert recovered - promoted < 2.0
    return load


async def test_crash_and_promote_while_20_tasks_write(
    streaming_cluster: StreamingCluster,
) -> None:
    load = await crash_and_promote(streaming_cluster)
    assert load.failures, "the crash should have cost some calls"


async def test_synchronous_replication_loses_no_acknowledged_write(
    synchronous_cluster: StreamingCluster,
) -> None:
    load = await crash_and_promote(synchronous_cluster)
    database = load.layer.settings.parsed_database_url.database
    stored = await stored_xp(synchronous_cluster.standby.url_for(str(database)), load.player_ids)
    lost = sum(max(0, load.acknowledged[p] - stored[p]) for p in load.player_ids)
    phantom = sum(
        max(0, stored[p] - load.acknowledged[p] - load.unknown[p]) for p in load.player_ids
    )
    print(f"acknowledged {sum(load.acknowledged.values())}, lost {lost}, phantom {phantom}")
    assert lost == 0
    assert phantom == 0  # every stored write was acknowledged or reported outcome-unknown


async def test_patroni_switchover_while_20_tasks_write(patroni_cluster: PatroniCluster) -> None:
    database = await patroni_cluster.create_database()
    settings = PersistenceSettings(
        database_url=patroni_cluster.multi_host_url.format(database=database)
    )
    async with AsyncPersistenceLayer(settings=settings) as layer:
        load = WriteLoad(layer)
        await load.start()
        started = time.monotonic()
        new_leader = await asyncio.to_thread(patroni_cluster.switchover)
        switched = time.monotonic()
        await load.first_success_after(switched)
        await load.stop()
    gaps = [b - a for a, b in zip(load.successes, load.successes[1:], strict=False)]
    gaps_during = [
        b - a
        for a, b in zip(load.successes, load.successes[1:], strict=False)
        if started - 1 <= b <= switched + 5
    ]
    outage = max(gaps_during) if gaps_during else max(gaps)
    print(
        f"\npatroni switchover to {new_leader}: took {switched - started:.2f} s; "
        f"{sum(load.acknowledged.values())} writes acknowledged, {len(load.failures)} failed "
        f"({sum(load.unknown.values())} outcome unknown); longest time without a write "
        f"{outage:.2f} s"
    )
    assert outage < 5.0
    stored = await stored_xp(
        f"postgres://postgres@127.0.0.1:{patroni_cluster.port_of(new_leader)}/{database}",
        load.player_ids,
    )
    assert all(stored[p] >= load.acknowledged[p] for p in load.player_ids)
