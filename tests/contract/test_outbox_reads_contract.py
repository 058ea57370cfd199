"""The outbox's SQL holds the same way on PostgreSQL and SQLite: a reader of a few kinds gets only
those rows' payloads but every id (to tell an id is missing), and a dead process's rows after
its recorded position are handed to another process once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.events import first_event_id
from mud_persistence.models import OutboxEntry, OutboxOrigin
from mud_persistence.repositories import outbox as rows


async def test_a_filtered_read_gets_only_its_rows_but_every_id(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    written = [("dp", "here"), ("room_saved", "there"), ("dp", "there"), ("xp", "here")]
    with contract_persistence._database.bound():
        async with in_transaction():
            ids = [await rows.insert_change(kind, {"args": {}}, origin) for kind, origin in written]

        every_id, every = await rows.rows_after(0)
        assert every_id == ids == sorted(ids)
        assert [(c.kind, c.origin) for c in every] == written
        assert [c.event_id for c in every] == [first_event_id(i) for i in ids]

        all_ids, found = await rows.rows_after(0, kinds={"dp", "room_saved"}, skip_origin="here")
        assert all_ids == ids
        assert [(c.kind, c.origin) for c in found] == [("room_saved", "there"), ("dp", "there")]

        next_ids, none = await rows.rows_after(ids[0], limit=1, kinds={"xp"})
        assert next_ids == ids[1:2] and none == []


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
