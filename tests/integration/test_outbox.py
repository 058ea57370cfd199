"""The transactional outbox in one process: subscribe(), since= replay, a local bus that fails,
rolled-back changes, and the local bus's events unchanged."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest
from asyncpg.transaction import Transaction

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.errors import CapacityError, DatabaseError, ValidationError
from mud_persistence.events import (
    Event,
    ItemTransferred,
    PlayerDPUpdated,
    PlayerLeveledUp,
    PlayerXPAwarded,
    RecordingBus,
    RoomsSaved,
    event_payload,
)
from mud_persistence.repositories import outbox as rows
from mud_persistence.repositories.room import saved_rooms
from mud_persistence.schemas.room import Room
from mud_persistence.settings import load_settings
from tests.query_counter import counting_queries

pytestmark = pytest.mark.usefixtures("cleanup")


async def eventually(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@pytest.fixture
async def layer(pg_url: str) -> AsyncIterator[AsyncPersistenceLayer]:
    settings = load_settings(database_url=pg_url, xp_per_level=10, outbox_relay_interval=0.2)
    persistence = AsyncPersistenceLayer(settings=settings, event_bus=RecordingBus())
    await persistence.connect()
    yield persistence
    await persistence.close()


def bus_of(layer: AsyncPersistenceLayer) -> RecordingBus:
    bus = layer.event_bus
    assert isinstance(bus, RecordingBus)
    return bus


async def test_a_subscriber_gets_the_bus_events_numbered_in_commit_order(
    layer: AsyncPersistenceLayer,
) -> None:
    received: list[Event] = []
    subscription = await layer.subscribe(received.append)
    player = await layer.create_player(name="Numbered", user_id=uuid.uuid4())
    await layer.damage_player(player, 3)
    await layer.gain_experience(player, 12)  # levels up: two events of one change
    await layer.update_player_stat_field(player.player_id, "luck", 2, "test")
    await eventually(lambda: len(received) == 4)

    local = bus_of(layer).events
    assert [type(e) for e in received] == [type(e) for e in local]
    assert [strip(e) for e in received] == [strip(e) for e in local]
    assert all(e.event_id is None for e in local)
    ids = [e.event_id for e in received]
    assert ids == [1, 3, 4, 5]  # each change takes two numbers: the XP award and its level-up
    assert subscription.last_event_id == 6  # the last number the stat change holds
    await subscription.close()


async def test_a_subscriber_resuming_after_an_award_gets_its_level_up(
    layer: AsyncPersistenceLayer,
) -> None:
    # A handler that stores each event_id it handled and resumes from it (since=) must not lose
    # the second event of a change: every event has a number of its own.
    player = await layer.create_player(name="Resumed", user_id=uuid.uuid4())
    await layer.gain_experience(player, 12)
    first: list[Event] = []
    subscription = await layer.subscribe(first.append, since=0)
    await eventually(lambda: len(first) == 2)
    await subscription.close()
    award, level_up = first
    assert isinstance(award, PlayerXPAwarded) and isinstance(level_up, PlayerLeveledUp)
    assert award.event_id is not None and level_up.event_id is not None
    assert award.event_id < level_up.event_id

    resumed: list[Event] = []
    again = await layer.subscribe(resumed.append, since=award.event_id)
    await layer.damage_player(player, 1)
    await eventually(lambda: len(resumed) == 2)
    assert [type(e) for e in resumed] == [PlayerLeveledUp, PlayerDPUpdated]
    assert again.last_event_id > level_up.event_id
    await again.close()


def strip(event: Event) -> dict[str, Any]:
    """An event's own fields: not its number or time, which differ between bus and outbox."""
    fields = dict(vars(event))
    fields.pop("event_id")
    fields.pop("timestamp")
    return fields


async def test_since_replays_what_came_after_then_goes_on_live(
    layer: AsyncPersistenceLayer,
) -> None:
    player = await layer.create_player(name="Replayed", user_id=uuid.uuid4())
    for _ in range(3):
        await layer.damage_player(player, 1)
    early: list[Event] = []
    first = await layer.subscribe(early.append, since=0)
    await eventually(lambda: len(early) == 3)
    replay: list[Event] = []
    second = await layer.subscribe(replay.append, since=early[0].event_id)
    await layer.heal_player(player, 1)
    await eventually(lambda: len(replay) == 3 and len(early) == 4)
    assert [e.event_id for e in replay] == [3, 5, 7]  # two numbers per change
    assert [e.new_dp for e in replay if isinstance(e, PlayerDPUpdated)] == [18, 17, 18]
    await first.close()
    await second.close()


async def write_dp_row(
    connection: asyncpg.Connection, like: PlayerDPUpdated, new_dp: int, origin: str = "elsewhere"
) -> None:
    """Write an outbox row as another process would: ``like``'s event with ``new_dp``."""
    await write_row(connection, dataclasses.replace(like, new_dp=new_dp), origin)


async def write_row(
    connection: asyncpg.Connection, event: Event, origin: str = "elsewhere"
) -> None:
    """Write ``event``'s outbox row as another process would."""
    await connection.execute(
        "INSERT INTO outbox (kind, payload, origin) VALUES ($1, $2::json, $3)",
        event.event_type,
        json.dumps(event_payload(event)),
        origin,
    )


def a_dp_event() -> PlayerDPUpdated:
    """A DP event of a player of another process, as a template for write_dp_row."""
    return PlayerDPUpdated(
        player_id=uuid.uuid4(), old_dp=10, new_dp=9, max_dp=20, delta=-1, source="test"
    )


async def a_damaged_player(layer: AsyncPersistenceLayer, name: str) -> tuple[Any, PlayerDPUpdated]:
    """A new player, damaged once, and the DP event of that damage."""
    player = await layer.create_player(name=name, user_id=uuid.uuid4())
    await layer.damage_player(player, 1)
    return player, bus_of(layer).of(PlayerDPUpdated)[-1]


async def test_a_subscriber_waits_at_a_row_still_being_written_and_passes_one_rolled_back(
    layer: AsyncPersistenceLayer, pg_url: str
) -> None:
    player, template = await a_damaged_player(layer, "Waited")
    received: list[Event] = []
    subscription = await layer.subscribe(received.append)
    writer = await asyncpg.connect(pg_url)  # another process's write, held open

    async def begin_a_write() -> Transaction:
        transaction = writer.transaction()
        await transaction.start()
        await write_dp_row(writer, template, 5)
        return transaction

    try:
        held = await begin_a_write()  # takes the next id, not committed yet
        await layer.damage_player(player, 1)  # the id after it, committed
        await asyncio.sleep(0.5)
        assert received == []  # the earlier id may still commit: it waits there
        await held.commit()
        await eventually(lambda: len(received) == 2)
        assert [e.new_dp for e in received if isinstance(e, PlayerDPUpdated)] == [5, 18]

        doomed = await begin_a_write()
        await layer.damage_player(player, 1)
        await asyncio.sleep(0.3)
        assert len(received) == 2
        await doomed.rollback()  # its id stays missing: the subscriber goes past it
        await eventually(lambda: len(received) == 3)
        assert isinstance(received[-1], PlayerDPUpdated) and received[-1].new_dp == 17
    finally:
        await writer.close()
        await subscription.close()


async def test_a_subscriber_waits_for_a_write_whose_transaction_began_after_a_later_commit(
    pg_url: str, raw: asyncpg.Connection
) -> None:
    # B takes its transaction id first; A, with a later transaction id, takes outbox id N; B
    # takes N + 1 and commits. A is still running, with a transaction id above every completed
    # one: a subscriber polling (nothing else wakes it) must wait at N until A ends.
    # no relay tick meanwhile: its position update would complete a later transaction id
    settings = load_settings(
        database_url=pg_url,
        outbox_poll_interval=0.05,
        outbox_relay_interval=60,
        outbox_orphan_grace=120,
    )
    async with AsyncPersistenceLayer(settings=settings) as layer:
        player = await layer.create_player(name="Polled", user_id=uuid.uuid4())
        await layer.damage_player(player, 1)
        kind, payload = await raw.fetchrow("SELECT kind, payload::text FROM outbox")
        received: list[Event] = []
        subscription = await layer.subscribe(received.append)
        first, second = await asyncpg.connect(pg_url), await asyncpg.connect(pg_url)
        insert = "INSERT INTO outbox (kind, payload, origin) VALUES ($1, $2::jsonb, 'elsewhere')"
        try:
            b = await begin_with_a_transaction_id(second)
            a = first.transaction()
            await a.start()
            await first.execute(insert, kind, payload)  # id N, a later transaction id
            await second.execute(insert, kind, payload)  # id N + 1
            await b.commit()
            await asyncio.sleep(0.5)
            assert received == []  # N may still commit
            await a.commit()
            await eventually(lambda: len(received) == 2)
            ids = [e.event_id for e in received]
            assert ids == sorted(ids) and len(set(ids)) == 2
        finally:
            await first.close()
            await second.close()
            await subscription.close()


async def test_a_gap_is_not_settled_while_a_transaction_with_a_later_id_still_runs(
    layer: AsyncPersistenceLayer, pg_url: str
) -> None:
    # A running transaction can hold an id no transaction completed after: one past the last
    # completed id (a snapshot's xmax) is no bound for it; a new transaction id is.
    first, second = await asyncpg.connect(pg_url), await asyncpg.connect(pg_url)
    try:
        b = await begin_with_a_transaction_id(second)
        a = await begin_with_a_transaction_id(first)  # above b's
        await b.commit()  # a is now the only transaction running, above every completed one
        with layer._database.bound():
            bound = await rows.gap_bound()
            assert bound is not None
            assert (await rows.ended_before(bound))[0] is False
            await a.commit()
            # (other writers on the server, in other databases too, may still be running)
            for _ in range(200):
                if (await rows.ended_before(bound))[0]:
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the gap stayed unsettled after every writer ended")
    finally:
        await first.close()
        await second.close()


@pytest.mark.parametrize("older_row", [True, False], ids=["older_row", "no_older_row"])
async def test_a_subscriber_from_now_on_gets_a_write_running_when_it_subscribed(
    layer: AsyncPersistenceLayer, raw: asyncpg.Connection, pg_url: str, older_row: bool
) -> None:
    # without an older row, as after pruning, the running write's number is below every row
    # subscribe() sees
    like = a_dp_event()
    if older_row:
        await write_dp_row(raw, like, 7)
    writer = await asyncpg.connect(pg_url)
    received: list[Event] = []
    try:
        running = writer.transaction()
        await running.start()
        await write_dp_row(writer, like, 5)  # id N
        await write_dp_row(raw, like, 4)  # id N + 1, committed before subscribe()
        subscription = await layer.subscribe(received.append)
        await running.commit()  # after subscribe(): it is news
        await notify_from_elsewhere(raw, like.event_type)

        await eventually(lambda: len(received) == 1)
        await asyncio.sleep(0.3)
        assert [e.new_dp for e in received if isinstance(e, PlayerDPUpdated)] == [5]
        await subscription.close()
    finally:
        await writer.close()


async def notify_from_elsewhere(connection: asyncpg.Connection, *kinds: str) -> None:
    """The NOTIFY another process's relay sends after it committed rows of ``kinds``."""
    await connection.execute(
        "SELECT pg_notify($1, $2)", rows.CHANNEL, rows.notice_payload("elsewhere", kinds)
    )


async def test_a_late_row_goes_before_a_later_row_of_its_player_committed_during_a_read(
    layer: AsyncPersistenceLayer, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    player, template = await a_damaged_player(layer, "Ordered")
    writer = await asyncpg.connect(pg_url)
    received: list[Event] = []
    try:
        running = writer.transaction()
        await running.start()
        await write_dp_row(writer, template, 5)  # late: still running at subscribe()
        await layer.damage_player(player, 1)  # a later id, committed before subscribe()
        armed = [False]

        async def then_commit(result: Any) -> Any:
            # right after the subscription's first read of rows: the late row commits, and
            # then a later row of the same player
            if armed[0]:
                armed[0] = False
                await running.commit()
                await write_dp_row(writer, template, 4)
            return result

        reads_after, reads_by_id = rows.rows_after, rows.rows_by_id

        async def rows_after(*args: Any, **kwargs: Any) -> Any:
            found = await reads_after(*args, **kwargs)
            # not the layer's cache subscription's reads (of a few kinds)
            return found if kwargs.get("kinds") else await then_commit(found)

        async def rows_by_id(*args: Any, **kwargs: Any) -> Any:
            return await then_commit(await reads_by_id(*args, **kwargs))

        monkeypatch.setattr(rows, "rows_after", rows_after)
        monkeypatch.setattr(rows, "rows_by_id", rows_by_id)
        subscription = await layer.subscribe(received.append)
        armed[0] = True  # its task has not run yet: its first read is next
        await eventually(lambda: len(received) == 2)
        assert [e.new_dp for e in received if isinstance(e, PlayerDPUpdated)] == [5, 4]
        await subscription.close()
    finally:
        await writer.close()


async def begin_with_a_transaction_id(connection: asyncpg.Connection) -> Transaction:
    transaction = connection.transaction()
    await transaction.start()
    await connection.fetchval("SELECT pg_current_xact_id()")
    return transaction


async def test_a_handler_that_raises_gets_the_same_event_again_and_later_ones_wait(
    layer: AsyncPersistenceLayer,
) -> None:
    seen: list[int | None] = []
    failures = [2]

    async def flaky(event: Event) -> None:
        seen.append(event.event_id)
        if event.event_id == 1 and failures[0]:
            failures[0] -= 1
            raise RuntimeError("handler broke")

    subscription = await layer.subscribe(flaky)
    player = await layer.create_player(name="Flaky", user_id=uuid.uuid4())
    await layer.damage_player(player, 1)
    await layer.damage_player(player, 1)
    await eventually(lambda: 3 in seen)
    assert seen == [1, 1, 1, 3]  # two numbers per change
    await subscription.close()


async def test_a_failing_local_bus_leaves_the_write_and_gets_the_event_again(
    pg_url: str, raw: asyncpg.Connection
) -> None:
    class BrokenOnce:
        def __init__(self) -> None:
            self.calls: list[Event] = []

        def publish(self, event: Event) -> None:
            self.calls.append(event)
            if len(self.calls) == 1:
                raise RuntimeError("bus down")

    bus = BrokenOnce()
    settings = load_settings(database_url=pg_url, outbox_relay_interval=0.2)
    async with AsyncPersistenceLayer(settings=settings, event_bus=bus) as layer:
        player = await layer.create_player(name="Retried", user_id=uuid.uuid4())
        assert await layer.damage_player(player, 5) == 15  # the write stands
        await eventually(lambda: len(bus.calls) == 2)
        first, again = bus.calls
        assert isinstance(again, PlayerDPUpdated) and strip(again) == strip(first)
        assert again.event_id == 1
        await eventually_recorded_as_published(raw)
    assert await raw.fetchval("SELECT current_dp FROM players") == 15
    # stopped cleanly with everything published: no position left for another process
    assert await raw.fetchval("SELECT count(*) FROM outbox_origins") == 0


@pytest.mark.parametrize("ending", ["the connection died", "the call was cancelled"])
async def test_a_write_that_ended_unsure_reaches_the_bus_once_it_had_committed(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, ending: str
) -> None:
    from mud_persistence.repositories import health

    real = health.change_counters

    async def commit_then_no_reply(*args: Any, **kwargs: Any) -> Any:
        await real(*args, **kwargs)
        if ending == "the connection died":
            raise ConnectionResetError("the connection died before the reply")
        await asyncio.Event().wait()  # waits for the reply until the caller gives up

    bus = RecordingBus()
    settings = load_settings(
        database_url=pg_url, outbox_relay_interval=0.1, outbox_orphan_grace=0.3
    )
    async with AsyncPersistenceLayer(settings=settings, event_bus=bus) as layer:
        player = await layer.create_player(name="Unsure", user_id=uuid.uuid4())
        monkeypatch.setattr(health, "change_counters", commit_then_no_reply)
        if ending == "the connection died":
            with pytest.raises(DatabaseError) as caught:
                await layer.damage_player(player, 4)
            assert caught.value.outcome_unknown
        else:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(layer.damage_player(player, 4), 0.2)
        monkeypatch.undo()
        await layer.damage_player(player, 1)  # published at once
        await eventually(lambda: len(bus.of(PlayerDPUpdated)) == 2)
        await asyncio.sleep(0.5)  # and the unsure one once only
    assert sorted(e.new_dp for e in bus.of(PlayerDPUpdated)) == [15, 16]


async def test_an_event_whose_handler_was_cancelled_is_published_again(pg_url: str) -> None:
    class SlowOnce:
        def __init__(self) -> None:
            self.took: list[Event] = []
            self.calls = 0

        async def publish(self, event: Event) -> None:
            self.calls += 1
            if self.calls == 1:
                await asyncio.Event().wait()  # still handling it when the caller gives up
            self.took.append(event)

    bus = SlowOnce()
    settings = load_settings(database_url=pg_url, outbox_relay_interval=0.1)
    async with AsyncPersistenceLayer(settings=settings, event_bus=bus) as layer:
        player = await layer.create_player(name="Impatient", user_id=uuid.uuid4())
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(layer.damage_player(player, 4), 0.3)
        await eventually(lambda: len(bus.took) == 1)
    assert isinstance(bus.took[0], PlayerDPUpdated) and bus.took[0].new_dp == 16


async def test_a_dead_process_rows_reach_this_bus_even_if_it_refuses_one_at_first(
    pg_url: str, raw: asyncpg.Connection
) -> None:
    class RefusesOnce(RecordingBus):
        def __init__(self) -> None:
            super().__init__()
            self.calls = 0

        def publish(self, event: Event) -> None:
            self.calls += 1
            if self.calls == 2:
                raise RuntimeError("bus down")
            super().publish(event)

    bus = RefusesOnce()
    settings = load_settings(
        database_url=pg_url, outbox_relay_interval=0.1, outbox_orphan_grace=0.3
    )
    async with AsyncPersistenceLayer(settings=settings, event_bus=bus) as layer:
        player = await layer.create_player(name="Inherited", user_id=uuid.uuid4())
        await layer.damage_player(player, 1)
        (event,) = bus.of(PlayerDPUpdated)
        # a process that wrote three more DP changes and died before publishing them
        for new_dp in (18, 17, 16):
            await write_dp_row(raw, event, new_dp, origin="dead")
        await raw.execute(
            "INSERT INTO outbox_origins (origin, published_id, seen_at) "
            "VALUES ('dead', 0, now() - interval '1 hour')"
        )
        await eventually(lambda: len(bus.of(PlayerDPUpdated)) == 4)
        # 18 was refused once: the rest waited for it, one lease (a grace period) later
        assert [e.new_dp for e in bus.of(PlayerDPUpdated)] == [19, 18, 17, 16]
        assert bus.calls == 5
        dead = "SELECT count(*) FROM outbox_origins WHERE origin = 'dead'"
        for _ in range(100):  # then it forgets the dead process
            if await raw.fetchval(dead) == 0:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the dead process's position is still there")


async def test_a_process_that_could_not_record_its_position_at_start_records_it_before_writing(
    pg_url: str, raw: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process whose position could not be recorded when it started (a standby, promoted
    since) records it before its first write commits: if it dies before its relay's next
    round, another process still publishes that write's events."""
    heartbeat = rows.heartbeat
    calls = 0

    async def refused_at_start(origin: str, published_id: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise asyncpg.ReadOnlySQLTransactionError(
                "cannot execute UPDATE in a read-only transaction"
            )
        await heartbeat(origin, published_id)

    monkeypatch.setattr(rows, "heartbeat", refused_at_start)
    settings = load_settings(
        database_url=pg_url, outbox_relay_interval=0.1, outbox_orphan_grace=0.3
    )
    dying = AsyncPersistenceLayer(settings=settings, event_bus=RecordingBus())
    await dying.connect()
    try:
        player = await dying.create_player(name="Promoted", user_id=uuid.uuid4())
        await dying.damage_player(player, 1)
        # it dies now, before its relay's next round
        for task in dying._outbox._tasks:
            task.cancel()
        assert await raw.fetchval("SELECT count(*) FROM outbox_origins") == 1
        await raw.execute("UPDATE outbox_origins SET seen_at = now() - interval '1 hour'")
        heir = RecordingBus()
        async with AsyncPersistenceLayer(settings=settings, event_bus=heir):
            await eventually(lambda: len(heir.of(PlayerDPUpdated)) == 1)
        assert heir.of(PlayerDPUpdated)[0].player_id == player.player_uuid
    finally:
        await dying.close()


async def eventually_recorded_as_published(raw: asyncpg.Connection) -> None:
    """Until the process's recorded position (``outbox_origins``) covers every row."""
    for _ in range(200):
        if await raw.fetchval(
            "SELECT published_id >= (SELECT MAX(id) FROM outbox) FROM outbox_origins"
        ):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the process's position stays before the last row")


async def test_a_rolled_back_change_leaves_no_event(
    layer: AsyncPersistenceLayer, raw: asyncpg.Connection
) -> None:
    await layer.seed_item_prototypes()
    full = await layer.create_container_data("environment", room_id="hall", capacity_slots=1)
    await layer.create_item_instance("coin-1", "misc.coin.silver")
    await layer.create_item_instance("coin-2", "misc.coin.silver")
    await layer.add_item_to_container(full.container_id, "coin-1")
    with pytest.raises(CapacityError):
        await layer.add_item_to_container(full.container_id, "coin-2")
    kinds = await raw.fetch("SELECT kind, payload->>'item_instance_id' AS item FROM outbox")
    moves = [row["item"] for row in kinds if row["kind"] == ItemTransferred.event_type]
    assert moves == ["coin-1"]
    assert [e.item_instance_id for e in bus_of(layer).of(ItemTransferred)] == ["coin-1"]


async def test_a_write_that_fails_after_its_outbox_row_rolls_the_row_back(
    layer: AsyncPersistenceLayer, raw: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mud_persistence.repositories import container

    real = container.record

    async def record_then_fail(*args: Any, **kwargs: Any) -> None:
        await real(*args, **kwargs)
        raise RuntimeError("failed after the outbox insert")

    await layer.seed_item_prototypes()
    chest = await layer.create_container_data("environment", room_id="hall")
    await layer.create_item_instance("coin-1", "misc.coin.silver")
    monkeypatch.setattr(container, "record", record_then_fail)
    with pytest.raises(Exception, match="outbox insert"):
        await layer.add_item_to_container(chest.container_id, "coin-1")
    assert await raw.fetchval("SELECT count(*) FROM outbox WHERE kind = 'item_transferred'") == 0
    assert bus_of(layer).of(ItemTransferred) == []


async def test_levels_and_xp_reach_the_bus_as_before(layer: AsyncPersistenceLayer) -> None:
    player = await layer.create_player(name="Leveller", user_id=uuid.uuid4())
    award = await layer.gain_experience(player, 25, "quest")
    assert (award.old_level, award.new_level, award.amount) == (1, 3, 25)
    bus = bus_of(layer)
    assert [e.new_xp for e in bus.of(PlayerXPAwarded)] == [25]
    assert [(e.old_level, e.new_level) for e in bus.of(PlayerLeveledUp)] == [(1, 3)]


async def test_subscribe_refuses_without_the_outbox_or_with_a_bad_since(pg_url: str) -> None:
    off = AsyncPersistenceLayer(settings=load_settings(database_url=pg_url, outbox=False))
    with pytest.raises(ValidationError, match="outbox"):
        await off.subscribe(print)
    await off.close()
    on = AsyncPersistenceLayer(pg_url)
    with pytest.raises(ValidationError, match="since"):
        await on.subscribe(print, since=-1)
    await on.close()


async def test_without_the_outbox_events_reach_the_bus_and_no_row_is_written(
    pg_url: str, raw: asyncpg.Connection
) -> None:
    bus = RecordingBus()
    settings = load_settings(database_url=pg_url, outbox=False)
    async with AsyncPersistenceLayer(settings=settings, event_bus=bus) as layer:
        player = await layer.create_player(name="Plain", user_id=uuid.uuid4())
        await layer.damage_player(player, 2)
    assert [e.new_dp for e in bus.of(PlayerDPUpdated)] == [18]
    assert await raw.fetchval("SELECT count(*) FROM outbox") == 0


async def test_old_rows_are_pruned_but_the_numbering_goes_on(
    pg_url: str, raw: asyncpg.Connection
) -> None:
    settings = load_settings(database_url=pg_url, outbox_relay_interval=0.05, outbox_retention=0)
    async with AsyncPersistenceLayer(settings=settings) as layer:
        player = await layer.create_player(name="Pruned", user_id=uuid.uuid4())
        for _ in range(3):
            await layer.damage_player(player, 1)
        await eventually_pruned(raw, keep=1)
        await layer.damage_player(player, 1)
        await eventually_pruned(raw, keep=1)
    assert await raw.fetchval("SELECT max(id) FROM outbox") == 4  # the fourth change


async def test_a_backlog_of_old_rows_is_pruned_batch_after_batch_not_one_batch_a_period(
    pg_url: str, raw: asyncpg.Connection
) -> None:
    # 2.5 batches of rows old enough, left by a process that is gone (no position recorded)
    backlog = rows.PRUNE_BATCH * 5 // 2
    await raw.execute(
        "INSERT INTO outbox (kind, payload, origin, created_at) SELECT 'rooms_saved',"
        " '{}'::json, 'gone:1:0000', now() - interval '1 day'"
        " FROM generate_series(1, $1)",
        backlog,
    )
    # a prune period of 60 relay intervals: 12 s
    settings = load_settings(database_url=pg_url, outbox_relay_interval=0.2)
    async with AsyncPersistenceLayer(settings=settings) as layer:
        await layer.get_player_by_id(uuid.uuid4())  # opens the layer: its relay starts
        for _ in range(200):  # the first prune, at the relay's first tick
            if await raw.fetchval("SELECT count(*) FROM outbox") < backlog:
                break
            await asyncio.sleep(0.05)
        # the rest follows at the next ticks, not a prune period later
        await eventually_pruned(raw, keep=1, within=6.0)


async def eventually_pruned(raw: asyncpg.Connection, keep: int, within: float = 20.0) -> None:
    for _ in range(int(within / 0.05)):
        if await raw.fetchval("SELECT count(*) FROM outbox") == keep:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"outbox holds {await raw.fetchval('SELECT count(*) FROM outbox')}")


def subscription_reads(statements: list[str]) -> list[str]:
    """The reads of a subscription (``rows.rows_after``) among ``statements``."""
    return [statement for statement in statements if "LAG(id" in statement]


# a poll interval no test waits for: what arrives, arrives because a NOTIFY woke its reader
NO_POLL = {"outbox_poll_interval": 600, "outbox_relay_interval": 0.1}


async def test_this_layers_own_writes_do_not_wake_its_cache_subscription(pg_url: str) -> None:
    settings = load_settings(database_url=pg_url, **NO_POLL)
    async with AsyncPersistenceLayer(settings=settings) as layer:
        player = await layer.create_player(name="Quiet", user_id=uuid.uuid4())
        await asyncio.sleep(0.3)  # the cache subscription's first read, and a relay round
        with counting_queries(every_task=True) as sent:
            for _ in range(5):
                await layer.damage_player(player, 1)
            await asyncio.sleep(0.3)  # a relay round: its NOTIFY reaches this layer's LISTEN

    assert any("pg_notify" in statement for statement in sent.statements)
    assert not subscription_reads(sent.statements)


async def test_another_layers_rooms_reach_this_layers_cache_at_its_notify(pg_url: str) -> None:
    settings = load_settings(database_url=pg_url, **NO_POLL)
    async with (
        AsyncPersistenceLayer(settings=settings) as here,
        AsyncPersistenceLayer(settings=settings) as elsewhere,  # another origin, as a process
    ):
        await eventually(lambda: here._outbox._listening)  # else it would not hear the NOTIFY
        elsewhere.save_room(Room(id="notified_room", name="Saved elsewhere"))

        await eventually(lambda: here.get_room_by_id("notified_room") is not None, 5)


async def test_another_layers_counter_changes_do_not_wake_this_layers_cache_subscription(
    pg_url: str,
) -> None:
    settings = load_settings(database_url=pg_url, **NO_POLL)
    async with (
        AsyncPersistenceLayer(settings=settings) as here,
        AsyncPersistenceLayer(settings=settings) as elsewhere,  # another origin, as a process
    ):
        # until it listens, a cache subscription polls every relay interval
        await eventually(lambda: here._outbox._listening and elsewhere._outbox._listening)
        player = await elsewhere.create_player(name="Busy", user_id=uuid.uuid4())
        await asyncio.sleep(0.3)  # the cache subscriptions' first reads, and a relay round
        with counting_queries(every_task=True) as sent:
            for _ in range(5):
                await elsewhere.damage_player(player, 1)
            await asyncio.sleep(0.3)  # a relay round: its NOTIFY reaches this layer's LISTEN
        elsewhere.save_room(Room(id="announced_room", name="Saved elsewhere"))
        await eventually(lambda: here.get_room_by_id("announced_room") is not None, 5)

    assert any("pg_notify" in statement for statement in sent.statements)
    assert not subscription_reads(sent.statements)


@pytest.mark.parametrize(
    ("payload", "wakes"),
    [
        ("", True),  # from a version before NOTIFYs named their writer
        ("elsewhere", True),  # from a version before they named kinds, or a take-over
        (f"elsewhere dp {RoomsSaved.event_type}", True),
        ("elsewhere dp xp item_transferred", False),
        (f"{{own}} {RoomsSaved.event_type}", False),
    ],
)
async def test_a_notify_wakes_the_cache_subscription_for_rooms_another_writer_saved(
    pg_url: str, payload: str, wakes: bool
) -> None:
    settings = load_settings(database_url=pg_url, **NO_POLL)
    async with AsyncPersistenceLayer(settings=settings) as layer:
        [cache_subscription] = layer._outbox._subscriptions
        cache_subscription._wake.clear()
        layer._outbox._on_notify(payload.format(own=layer._outbox.origin))

        assert cache_subscription._wake.is_set() == wakes


async def test_a_notify_that_failed_is_sent_at_the_next_round(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(database_url=pg_url, **NO_POLL)
    sent = rows.notify
    failures = []

    async def failing_once(origin: str, kinds: Any = None) -> None:
        if not failures:
            failures.append(origin)
            raise ConnectionResetError("lost while sending the NOTIFY")
        await sent(origin, kinds)

    async with (
        AsyncPersistenceLayer(settings=settings) as here,
        AsyncPersistenceLayer(settings=settings) as elsewhere,
    ):
        await eventually(lambda: here._outbox._listening)
        monkeypatch.setattr(rows, "notify", failing_once)
        elsewhere.save_room(Room(id="announced_late", name="Saved elsewhere"))

        await eventually(lambda: here.get_room_by_id("announced_late") is not None, 5)
    assert failures == [elsewhere._outbox.origin]


async def test_a_dead_process_rooms_reach_this_cache_when_this_layer_takes_them_over(
    pg_url: str, raw: asyncpg.Connection
) -> None:
    settings = load_settings(database_url=pg_url, outbox_orphan_grace=0.3, **NO_POLL)
    async with AsyncPersistenceLayer(settings=settings) as layer:
        await eventually(lambda: layer._outbox._listening)
        # a process that saved a room and died before its relay's NOTIFY
        saved = saved_rooms([Room(id="inherited_room", name="Saved by the dead")])
        await raw.execute(
            "INSERT INTO outbox (kind, payload, origin) VALUES ($1, $2::jsonb, 'dead')",
            saved.event_type,
            json.dumps(event_payload(saved)),
        )
        await raw.execute(
            "INSERT INTO outbox_origins (origin, published_id, seen_at) "
            "VALUES ('dead', 0, now() - interval '1 hour')"
        )

        await eventually(lambda: layer.get_room_by_id("inherited_room") is not None, 5)


async def test_without_listen_another_layers_rooms_arrive_within_the_relay_interval(
    pg_url: str,
) -> None:
    async with (
        AsyncPersistenceLayer(
            settings=load_settings(database_url=pg_url, pool_mode="transaction", **NO_POLL)
        ) as here,
        AsyncPersistenceLayer(settings=load_settings(database_url=pg_url, **NO_POLL)) as there,
    ):
        assert not here._outbox._listening
        there.save_room(Room(id="polled_room", name="Saved elsewhere"))

        await eventually(lambda: here.get_room_by_id("polled_room") is not None, 5)


async def test_a_saved_room_still_being_written_when_the_cache_subscription_started_arrives(
    pg_url: str, raw: asyncpg.Connection
) -> None:
    # Rows another process was writing when this layer started are late rows of its cache
    # subscription, which wants saved rooms only: the saved room reaches the cache once it
    # commits; a DP change written alongside it does not reach the cache's handler.
    settings = load_settings(database_url=pg_url, **NO_POLL)
    saved = saved_rooms([Room(id="late_room", name="Saved while this layer started")])
    dp = a_dp_event()
    writer = await asyncpg.connect(pg_url)
    try:
        running = writer.transaction()
        await running.start()
        for event in (saved, dp):  # ids N and N + 1, committed after the start
            await write_row(writer, event)
        await write_dp_row(raw, dp, 8)  # N + 2, the only row committed before the start
        async with AsyncPersistenceLayer(settings=settings) as layer:
            [cache] = layer._outbox._subscriptions
            handled: list[Event] = []
            apply_event = cache._handler

            def recording(event: Event) -> Any:
                handled.append(event)
                return apply_event(event)

            cache._handler = recording
            await eventually(lambda: layer._outbox._listening)
            await running.commit()
            await notify_from_elsewhere(raw, saved.event_type, dp.event_type)

            await eventually(lambda: layer.get_room_by_id("late_room") is not None, 5)
            await asyncio.sleep(0.3)  # time for a wrongly delivered DP change to arrive too
        assert [type(event) for event in handled] == [RoomsSaved]
    finally:
        await writer.close()
