"""``subscribe()``'s subscriptions: each reads the outbox in id order and hands every event
after its position to its handler, at least once, waiting at an id that may still commit."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mud_persistence.events import Event, events_for, last_event_of_row, last_row_done
from mud_persistence.repositories import outbox as rows
from mud_persistence.repositories.outbox import StoredChange

if TYPE_CHECKING:
    from mud_persistence.outbox import Outbox

logger = logging.getLogger(__name__)
Handler = Callable[[Event], Any]


class Subscription:
    """One ``subscribe()`` handler: gets every event after its position, in event_id order, at
    least once (a handler that raises gets the same event again after a backoff).

    It reads rows in id order. On PostgreSQL an id can be missing while a later one is there:
    its transaction rolled back, or is still running and may yet commit. The subscription waits
    there until every transaction that started before it saw the gap has ended
    (``rows.gap_bound``, ``rows.ended_before``), then reads again and goes on.
    """

    def __init__(
        self,
        outbox: Outbox,
        handler: Handler,
        start: Start,
        *,
        kinds: frozenset[str] | None = None,
        skip_origin: str | None = None,
    ) -> None:
        self._outbox = outbox
        self._handler = handler
        self._last = start.last_event_id
        self._kinds = kinds
        self._skip_origin = skip_origin
        # an id up to _settled that is missing stays missing; one above it waits for the
        # transactions below _gap = (a transaction id then, the highest id read then) to end
        self._settled = last_row_done(start.last_event_id)
        self._gap: tuple[int, int] | None = None
        # ids before the start that were missing then, and the transaction id that bounds
        # the writes that may still commit them (see Outbox._start)
        self._late, self._late_bound = start.late or (frozenset(), 0)
        self._wake = asyncio.Event()
        # it reads and delivers from now on, until close()
        self._task = asyncio.create_task(self._run(), name="outbox subscription")

    @property
    def last_event_id(self) -> int:
        """The event_id of the last event handled: pass it as ``since`` to resume."""
        return self._last

    def wants(self, writer: str | None, kinds: Collection[str] | None) -> bool:
        """Whether rows of ``kinds`` written by ``writer`` (None: any kind, any writer) may
        hold events for this subscription: not those of the origin it skips
        (``skip_origin``), nor of kinds it does not read (``kinds``)."""
        if writer is not None and writer == self._skip_origin:
            return False
        return self._kinds is None or kinds is None or not self._kinds.isdisjoint(kinds)

    def wake(self) -> None:
        """Read now: rows may have been written (a NOTIFY, or a commit in this process)."""
        self._wake.set()

    async def close(self) -> None:
        """Stop delivering. Safe to call twice."""
        self._outbox.forget(self)
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        failures = 0
        while True:
            self._wake.clear()  # before the read: a wake-up during it means read again
            try:
                with self._outbox.bound("subscribe"):
                    blocked = await self._read_and_deliver()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                logger.exception("reading the outbox for a subscriber failed; trying again")
                await asyncio.sleep(self._outbox.backoff(failures))
                continue
            if blocked:
                await wait_for_wake(self._wake, _GAP_RECHECK)
            elif blocked is None:
                await wait_for_wake(self._wake, self._outbox.poll_interval)

    async def _read_and_deliver(self) -> bool | None:
        """One read: deliver what follows the position in order. Returns True when stopped at
        a gap that is not settled yet, False when there may be more to read, None when all
        was read."""
        if self._gap is not None and not await self._gap_settled():
            return True
        # checked before the reads: once settled, they see every late row there will be
        late_settled = bool(self._late) and (await rows.ended_before(self._late_bound))[0]
        read = await rows.rows_after(
            last_row_done(self._last),
            settled=self._settled,
            kinds=self._kinds,
            skip_origin=self._skip_origin,
        )
        if self._late:
            # read after the rows above: a late row of a player whose later row that read
            # found had committed before it, so it is found here and handed over first
            late = await rows.rows_by_id(self._late)
            self._late -= {change.id for change in late}
            for change in late:
                if self.wants(change.origin, (change.kind,)):
                    await self._deliver(change, late=True)
        if late_settled:
            self._late = frozenset()
        for change in read.changes:
            await self._deliver(change)
        if read.last is not None:  # past every number its rows hold, whether or not wanted
            self._last = max(self._last, last_event_of_row(read.last))
        if read.stopped_at is not None:
            bound = await rows.gap_bound()
            assert bound is not None and read.highest is not None  # (only PostgreSQL stops)
            self._gap = (bound, read.highest)
            return True
        return False if read.found == rows.BATCH else None

    async def _gap_settled(self) -> bool:
        assert self._gap is not None
        bound, highest = self._gap
        ended, oldest = await rows.ended_before(bound)
        if not ended:
            return False
        self._gap = None
        self._settled = max(self._settled, highest)
        first_missing = last_row_done(self._last) + 1
        if self._kinds is None and first_missing < oldest:
            logger.warning(
                "outbox events %d..%d are not in the outbox: pruned before this subscriber "
                "read them (outbox_retention), or never committed",
                self._last + 1,
                last_event_of_row(oldest - 1),
            )
        return True

    async def _deliver(self, change: StoredChange, *, late: bool = False) -> None:
        for event in events_of(change):
            assert event.event_id is not None
            if late:  # numbered before the position it started from: it stays there
                await self._hand_over(event)
            elif event.event_id > self._last:  # a resumed subscriber may have had the first
                await self._hand_over(event)
                self._last = event.event_id

    async def _hand_over(self, event: Event) -> None:
        attempt = 0
        while True:
            try:
                result = self._handler(event)
                if inspect.isawaitable(result):
                    await result
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                attempt += 1
                logger.exception(
                    "subscriber failed on %s (event %s); it gets it again",
                    event.event_type,
                    event.event_id,
                )
                await asyncio.sleep(self._outbox.backoff(attempt))


@dataclass(frozen=True)
class Start:
    """Where a subscription starts: after event ``last_event_id``, and with ``late``, ids
    before it that were missing then and the transaction id below which every write that may
    still commit them runs."""

    last_event_id: int
    late: tuple[frozenset[int], int] | None = None


# how soon a subscriber stopped at a missing id looks again whether its transaction ended
_GAP_RECHECK = 0.05


def events_of(change: StoredChange) -> list[Event]:
    """The events of a stored change; none, logged, for a row this version cannot read (a
    kind a newer version wrote during a rolling deploy): it must not hold up the rest."""
    try:
        return events_for(
            change.kind, change.payload, event_id=change.event_id, timestamp=change.created_at
        )
    except Exception:
        logger.exception("outbox row %d (%s) cannot be read; it is skipped", change.id, change.kind)
        return []


async def wait_for_wake(event: asyncio.Event, seconds: float) -> None:
    """Until ``event`` is set or ``seconds`` have passed."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(max(0.0, seconds)):
            await event.wait()
