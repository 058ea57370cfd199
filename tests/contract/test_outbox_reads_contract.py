"""Reading the outbox holds the same way on PostgreSQL and SQLite: a reader of a few kinds gets
only those rows from the database, and learns how far its read went past the others."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.repositories import outbox as rows


async def test_a_filtered_read_gets_only_its_rows_and_goes_past_the_others(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    written = [("dp", "here"), ("room_saved", "there"), ("dp", "there"), ("xp", "here")]
    with contract_persistence._database.bound():
        async with in_transaction():
            for kind, origin in written:
                await rows.insert_change(kind, {"args": {}}, origin)
        await rows.number_committed([], notify=False)  # the relay may have numbered them first

        every, through = await rows.numbered_after(0)
        assert [(c.kind, c.origin) for c in every] == written
        ids = [c.event_id for c in every]
        assert ids == sorted(ids) and through == ids[-1] + 1  # each row holds two numbers

        found, filtered_through = await rows.numbered_after(
            0, kinds={"dp", "room_saved"}, skip_origin="here"
        )
        assert [(c.kind, c.origin) for c in found] == [("room_saved", "there"), ("dp", "there")]
        assert filtered_through == through  # past the last row, which the filters left out

        first, first_through = await rows.numbered_after(0, limit=1, kinds={"dp"})
        assert [c.event_id for c in first] == ids[:1] and first_through == ids[0] + 1

        none, none_through = await rows.numbered_after(through, kinds={"dp"})
        assert none == [] and none_through == through
