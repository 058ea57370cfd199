"""The outbox's SQL holds the same way on PostgreSQL and SQLite: a reader of a few kinds gets only
those rows, and where a missing id stops it (on PostgreSQL), and a dead process's rows after its
recorded position are handed to another process once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.events import first_event_id
from mud_persistence.models import OutboxEntry, OutboxOrigin
from mud_persistence.repositories import outbox as rows


async def test_a_filtered_read_gets_only_its_rows_and_how_far_it_got(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    written = [("dp", "here"), ("room_saved", "there"), ("dp", "there"), ("xp", "here")]
    with contract_persistence._database.bound():
        async with in_transaction():
            ids = [await rows.insert_change(kind, {"args": {}}, origin) for kind, origin in written]

        before = ids[0] - 1
        every = await rows.rows_after(before, settled=before)
        assert ids == sorted(ids)
        assert (every.found, every.highest, every.last, every.stopped_at) == (
            4,
            ids[-1],
            ids[-1],
            None,
        )
        assert [(c.kind, c.origin) for c in every.changes] == written
        assert [c.event_id for c in every.changes] == [first_event_id(i) for i in ids]

        some = await rows.rows_after(
            before, settled=before, kinds={"dp", "room_saved"}, skip_origin="here"
        )
        assert (some.found, some.last) == (4, ids[-1])
        assert [(c.kind, c.origin) for c in some.changes] == [
            ("room_saved", "there"),
            ("dp", "there"),
        ]

        next_one = await rows.rows_after(ids[0], limit=1, settled=ids[0], kinds={"xp"})
        assert (next_one.found, next_one.last, next_one.changes) == (1, ids[1], [])

        nothing = await rows.rows_after(ids[-1])
        assert (nothing.found, nothing.highest, nothing.last, nothing.changes) == (
            0,
            None,
            None,
            [],
        )


async def test_a_read_stops_after_a_missing_id_that_may_still_commit_on_postgresql_only(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    with contract_persistence._database.bound():
        async with in_transaction():
            ids = [await rows.insert_change("dp", {"args": {}}, "there") for _ in range(4)]
        await OutboxEntry.filter(id=ids[1]).delete()  # as if its transaction rolled back

        read = await rows.rows_after(ids[0] - 1, settled=ids[0])
        if contract_persistence.settings.dialect == "postgres":
            # ids[1] is missing above the settled ids: it may still commit
            assert (read.found, read.highest, read.stopped_at, read.last) == (
                3,
                ids[3],
                ids[2],
                ids[0],
            )
            assert [c.id for c in read.changes] == [ids[0]]
        else:  # SQLite takes ids in commit order: a missing one is never filled
            assert (read.stopped_at, read.last) == (None, ids[3])
            assert [c.id for c in read.changes] == [ids[0], ids[2], ids[3]]

        settled = await rows.rows_after(ids[0] - 1, settled=ids[1])  # known to be gone
        assert (settled.stopped_at, settled.last) == (None, ids[3])
        assert [c.id for c in settled.changes] == [ids[0], ids[2], ids[3]]


async def test_a_dead_process_position_is_leased_to_one_relay_and_its_rows_kept_for_it(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    me = contract_persistence._outbox.origin
    with contract_persistence._database.bound():
        async with in_transaction():
            ids = [await rows.insert_change("dp", {"args": {}}, "dead") for _ in range(3)]
        await rows.heartbeat("dead", ids[0])  # it published its first row, then died
        await rows.prune(datetime.now(UTC) + timedelta(hours=1))  # every row is old enough
        left = [entry.id for entry in await OutboxEntry.filter(origin="dead").order_by("id")]
        assert left == ids[1:]  # only what its writer published goes

        assert await rows.claim_dead_origin(me, 60) is None  # seen just now: alive
        await OutboxOrigin.filter(origin="dead").update(seen_at=datetime(2000, 1, 1, tzinfo=UTC))
        assert await rows.claim_dead_origin(me, 60) == ("dead", ids[0])
        assert await rows.claim_dead_origin(me, 60) is None  # leased to the first claim
        after = await rows.rows_of_origin_after("dead", ids[0])
        assert [change.id for change in after] == ids[1:]
        await rows.move_position("dead", ids[1])
        await rows.forget_origin("dead")
        assert [o.origin for o in await OutboxOrigin.all()] == [me]
