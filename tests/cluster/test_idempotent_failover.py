"""Keyed XP awards across a failover: every award is repeated with its key until it succeeds,
and each player ends with exactly the sum of its distinct awards: none applied twice (an award
that committed just before the primary went away is repeated, not re-applied), none lost.

Each test prints what it measured; docs/idempotency.md quotes them.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field

import pytest

from mud_persistence import AsyncPersistenceLayer, PersistenceSettings
from mud_persistence.errors import DatabaseError
from tests.cluster.servers import PatroniCluster, StreamingCluster
from tests.cluster.test_failover import stored_xp

TASKS = 20


@dataclass
class KeyedAwards:
    """TASKS tasks, each awarding its own player XP under a new key per award, and repeating
    an award that failed with the same key until it succeeds."""

    layer: AsyncPersistenceLayer
    awarded: dict[uuid.UUID, int] = field(default_factory=dict)
    awards: int = 0
    repeated: int = 0  # awards that needed more than one call
    unknown: int = 0  # failures whose outcome was unknown
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        for i in range(TASKS):
            player = await self.layer.create_player(name=f"Hero{i}", user_id=uuid.uuid4())
            self.awarded[player.player_uuid] = 0
        self._tasks = [asyncio.create_task(self._award(p)) for p in self.awarded]
        await asyncio.sleep(1.0)

    async def _award(self, player_id: uuid.UUID) -> None:
        n = 0
        while not self._stop.is_set():
            n += 1
            amount, key = 1 + n % 5, f"{player_id}:kill:{n}"
            await self._until_it_succeeds(player_id, amount, key)
            self.awarded[player_id] += amount
            self.awards += 1

    async def _until_it_succeeds(self, player_id: uuid.UUID, amount: int, key: str) -> None:
        deadline = time.monotonic() + 60
        failed = False
        while True:
            try:
                award = await self.layer.update_player_xp(player_id, amount, idempotency_key=key)
            except DatabaseError as exc:  # anything else fails the test
                failed = True
                self.unknown += exc.outcome_unknown
                assert time.monotonic() < deadline, f"{key} kept failing: {exc}"
                await asyncio.sleep(0.05)
            else:
                assert award.amount == amount
                self.repeated += failed
                return

    async def stop(self) -> None:
        await asyncio.sleep(0.5)  # some awards on the new primary
        self._stop.set()
        await asyncio.gather(*self._tasks)


def report(what: str, load: KeyedAwards, stored: dict[uuid.UUID, int]) -> None:
    twice = sum(max(0, stored[p] - load.awarded[p]) for p in load.awarded)
    lost = sum(max(0, load.awarded[p] - stored[p]) for p in load.awarded)
    print(
        f"\n{what}: {load.awards} keyed awards, {load.repeated} needed a repeat "
        f"({load.unknown} failures with unknown outcome); applied twice: {twice} XP, "
        f"lost: {lost} XP"
    )


async def test_keyed_awards_across_a_patroni_switchover_add_up_exactly(
    patroni_cluster: PatroniCluster,
) -> None:
    database = await patroni_cluster.create_database()
    url = patroni_cluster.multi_host_url.format(database=database)
    # one try per call: every failure reaches the game, which repeats it with the same key
    settings = PersistenceSettings(database_url=url, retry_attempts=1)
    async with AsyncPersistenceLayer(settings=settings) as layer:
        load = KeyedAwards(layer)
        await load.start()
        new_leader = await asyncio.to_thread(patroni_cluster.switchover)
        await load.stop()
    stored = await stored_xp(
        f"postgres://postgres@127.0.0.1:{patroni_cluster.port_of(new_leader)}/{database}",
        list(load.awarded),
    )
    report(f"patroni switchover to {new_leader}", load, stored)
    assert load.repeated > 0, "the switchover should have failed some calls"
    assert stored == load.awarded


@pytest.mark.parametrize("retry_attempts", [1, 3])
async def test_keyed_awards_across_a_crash_and_promotion_add_up_exactly(
    synchronous_cluster: StreamingCluster, retry_attempts: int
) -> None:
    # Synchronous replication: a commit the client was told about is on the standby. The
    # commits it was not told about (outcome unknown) may or may not be: their keys decide.
    database = (await synchronous_cluster.create_database()).rsplit("/", 1)[1]
    url = synchronous_cluster.multi_host_url.format(database=database)
    # 1: the game repeats every failed award; 3: the layer repeats keyed writes itself first
    settings = PersistenceSettings(database_url=url, retry_attempts=retry_attempts)
    async with AsyncPersistenceLayer(settings=settings) as layer:
        load = KeyedAwards(layer)
        await load.start()
        await asyncio.to_thread(synchronous_cluster.primary.stop, "immediate")
        await asyncio.to_thread(synchronous_cluster.standby.promote)
        await load.stop()
    stored = await stored_xp(synchronous_cluster.standby.url_for(database), list(load.awarded))
    report(f"crash and promote (synchronous standby, {retry_attempts} tries)", load, stored)
    if retry_attempts == 1:
        assert load.repeated > 0, "the crash should have failed some calls"
    assert stored == load.awarded
