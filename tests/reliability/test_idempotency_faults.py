"""Keyed writes the way they fail in life: the commit reaches the server, the answer never
reaches the client, and the game repeats the write with the same key. Nothing is applied twice
and nothing is lost."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from mud_persistence import AsyncPersistenceLayer, DatabaseError, PersistenceSettings, Player
from mud_persistence.events import PlayerXPAwarded, RecordingBus
from mud_persistence.repositories.idempotency import IdempotencyRepository
from mud_persistence.schemas.progress import XPAward
from tests.reliability.proxy import Proxy, proxy_in_front_of

AWARDS = 1000


async def connected(url: str, **settings: object) -> AsyncPersistenceLayer:
    layer = AsyncPersistenceLayer(
        settings=PersistenceSettings(database_url=url, retry_base_delay=0.005, **settings),  # type: ignore[arg-type]
        room_loader=list,
    )
    await layer.connect()
    return layer


@pytest.fixture
async def proxy(pg_url: str) -> AsyncIterator[Proxy]:
    async with proxy_in_front_of(pg_url) as running:
        yield running


async def award_until_it_succeeds(
    layer: AsyncPersistenceLayer, player: Player, amount: int, key: str
) -> tuple[XPAward, list[DatabaseError]]:
    """What a game does with a keyed award that failed: repeat it, with the same key."""
    failures: list[DatabaseError] = []
    for _ in range(20):
        try:
            award = await layer.gain_experience(player, amount, "kill", idempotency_key=key)
        except DatabaseError as exc:
            failures.append(exc)
        else:
            return award, failures
    raise AssertionError(f"{key} never succeeded: {failures[-1]}")


async def keys_and_xp(raw: asyncpg.Connection, player: Player, prefix: str) -> tuple[int, int]:
    """How many keys starting with ``prefix`` are stored, and the player's XP."""
    keys = await raw.fetchval(
        "SELECT count(*) FROM idempotency_keys WHERE starts_with(key, $1)", prefix
    )
    xp = await raw.fetchval(
        "SELECT experience_points FROM players WHERE player_id = $1", player.player_uuid
    )
    return int(keys), int(xp)


@pytest.mark.usefixtures("cleanup")
async def test_a_thousand_awards_whose_commit_answer_is_lost_are_applied_exactly_once(
    pg_url: str, proxy: Proxy, raw: asyncpg.Connection
) -> None:
    # One try per call, so that every lost answer reaches the game, as after a long outage.
    # outbox=False: the proxy cuts the next COMMIT it sees, which must be the award's, not
    # one of the outbox relay's background transactions
    layer = await connected(proxy.url(pg_url), retry_attempts=1, outbox=False)
    player = await layer.create_player(name="Slayer", user_id=uuid.uuid4())
    total = lost_before_commit = 0
    for n in range(AWARDS):
        amount = 1 + n % 9
        proxy.cut_after(b"COMMIT")  # the award commits; its answer is lost
        if n % 5 == 0:
            proxy.cut_at(b"COMMIT")  # and before it, one attempt whose COMMIT never arrives
            lost_before_commit += 1
        award, failures = await award_until_it_succeeds(layer, player, amount, f"kill-{n}")
        assert (award.amount, award.source) == (amount, "kill")
        # the layer said the truth each time: the write may or may not have been applied
        assert failures and all(failure.outcome_unknown for failure in failures), failures
        assert "repeat it with the same idempotency key" in str(failures[0])
        total += amount
    assert proxy.cut_count == AWARDS + lost_before_commit
    # 0 applied twice, 0 lost: one key and one award per kill
    assert await keys_and_xp(raw, player, "kill-") == (AWARDS, total)
    await layer.close()


@pytest.mark.usefixtures("cleanup")
async def test_the_layer_repeats_a_keyed_write_whose_answer_was_lost_by_itself(
    pg_url: str, proxy: Proxy, raw: asyncpg.Connection
) -> None:
    # outbox=False: the proxy cuts the next COMMIT it sees, which must be the award's, not
    # one of the outbox relay's background transactions
    layer = await connected(proxy.url(pg_url), retry_attempts=3, outbox=False)
    player = await layer.create_player(name="Quiet", user_id=uuid.uuid4())
    for n in range(100):
        proxy.cut_after(b"COMMIT")
        award = await layer.gain_experience(player, 2, idempotency_key=f"kill-{n}")
        assert award.new_xp == 2 * (n + 1)  # the recorded award, not a second one
    assert proxy.cut_count == 100
    assert await keys_and_xp(raw, player, "kill-") == (100, 200)
    # without a key, the same lost answer is a DatabaseError the layer cannot repeat
    proxy.cut_after(b"COMMIT")
    player.current_room_id = "hall"
    with pytest.raises(DatabaseError) as caught:
        await layer.save_players([player])
    assert caught.value.outcome_unknown
    await layer.close()


@pytest.mark.usefixtures("cleanup")
async def test_keyed_awards_under_killed_backends_add_up_exactly(
    pg_url: str, raw: asyncpg.Connection
) -> None:
    layer = await connected(pg_url, retry_attempts=2)
    player = await layer.create_player(name="Target", user_id=uuid.uuid4())

    async def killer() -> int:
        killed = 0
        for _ in range(30):
            await asyncio.sleep(0.02)
            killed += await raw.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        return killed

    async def awards(task: int) -> list[list[DatabaseError]]:
        seen = []
        for n in range(40):
            _, failures = await award_until_it_succeeds(layer, player, 3, f"t{task}-{n}")
            seen.append(failures)
        return seen

    *tasks, killed = await asyncio.gather(*(awards(t) for t in range(8)), killer())
    assert killed > 0
    assert any(failures for task in tasks for failures in task)  # the kills did hit calls
    assert await keys_and_xp(raw, player, "t") == (8 * 40, 8 * 40 * 3)
    await layer.close()


@pytest.fixture
def record_fails_once(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The keyed transaction rolls back once, after the call's own statements ran (as a lost
    COMMIT or a deadlock at the end would): the layer repeats the call itself. Append to the
    returned list to make the next record fail again."""
    real_record = IdempotencyRepository.record
    failures = [1]

    async def record_once_failing(self: IdempotencyRepository, key: str, result: str) -> None:
        await real_record(self, key, result)
        if failures:
            failures.pop()
            raise asyncpg.exceptions.DeadlockDetectedError("injected: transaction rolled back")

    monkeypatch.setattr(IdempotencyRepository, "record", record_once_failing)
    return failures


@pytest.mark.usefixtures("cleanup")
async def test_a_keyed_save_the_layer_repeats_after_a_rollback_is_written(
    pg_url: str, raw: asyncpg.Connection, record_fails_once: list[int]
) -> None:
    layer = await connected(pg_url, retry_attempts=3)
    try:
        player = await layer.create_player(name="Lucky", user_id=uuid.uuid4())
        player.luck = 77
        await layer.save_player(player, idempotency_key=f"save-{player.player_id}")
        assert not record_fails_once  # the first attempt rolled back
        stored = await raw.fetchval(
            "SELECT luck FROM players WHERE player_id = $1", player.player_uuid
        )
        assert (stored, player.changed_fields()) == (77, {})
        # a new player: the repeat inserts it
        record_fails_once.append(1)
        new = Player(user_id=uuid.uuid4(), name=f"n{uuid.uuid4().hex[:8]}")
        await layer.save_players([new], idempotency_key=f"new-{new.player_id}")
        assert not record_fails_once
        assert (await layer.get_player_by_id(new.player_id)) is not None
        assert new.changed_fields() == {}
        # a save of several players, one of them lowering its max DP (read back)
        record_fails_once.append(1)
        player.constitution, new.luck = 10, 5
        await layer.save_players([player, new], idempotency_key=f"both-{player.player_id}")
        rows = await raw.fetch(
            "SELECT luck, constitution FROM players WHERE player_id = ANY($1::uuid[])"
            " ORDER BY luck",
            [player.player_uuid, new.player_uuid],
        )
        assert [tuple(row) for row in rows] == [(5, 50), (77, 10)]
    finally:
        await layer.close()


@pytest.mark.usefixtures("cleanup")
async def test_a_keyed_call_the_layer_repeats_publishes_its_events_once_after_the_commit(
    pg_url: str, record_fails_once: list[int]
) -> None:
    bus = RecordingBus()
    layer = AsyncPersistenceLayer(
        settings=PersistenceSettings(database_url=pg_url, retry_base_delay=0.005),
        event_bus=bus,
    )
    await layer.connect()
    try:
        player = await layer.create_player(name="Heard", user_id=uuid.uuid4())
        award = await layer.gain_experience(player, 40, "quest", idempotency_key="quest-1")
        assert not record_fails_once  # the first attempt rolled back; the layer repeated it
        assert [(event.xp_amount, event.new_xp) for event in bus.of(PlayerXPAwarded)] == [
            (40, award.new_xp)
        ]
        # a call whose every attempt rolls back publishes nothing
        record_fails_once.extend([1] * layer.settings.retry_attempts)
        with pytest.raises(DatabaseError):
            await layer.gain_experience(player, 5, "quest", idempotency_key="quest-2")
        assert len(bus.of(PlayerXPAwarded)) == 1
    finally:
        await layer.close()
