"""The transactional outbox at run time: each operation's unit of work, the relay, and
``subscribe()``'s subscriptions.

A write records its events with the current unit of work (``record``), which also writes their
outbox row in the write's transaction; the row's id, taken in that transaction, numbers its
events. The operation wrapper (``Outbox.run``) publishes them on the local bus after the
operation's outermost commit, as before the outbox existed, and wakes the relay. The relay
NOTIFYs other processes, re-publishes what the local bus refused (with backoff), records how far
this process has published (``outbox_origins``), publishes the rows of processes that died
before publishing theirs, and prunes old rows. Subscribers read rows in id order, waiting at a
missing id until it is settled (``mud_persistence.subscription``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Collection, Coroutine
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from mud_persistence.errors import PersistenceError
from mud_persistence.events import (
    CACHE_EVENTS,
    Event,
    EventBus,
    event_payload,
    last_event_of_row,
    last_row_done,
    publish_safely,
)
from mud_persistence.repositories import outbox as rows
from mud_persistence.repositories.outbox import StoredChange
from mud_persistence.retry import DRIVER_ERRORS, backoff_delay, outcome_unknown
from mud_persistence.settings import PersistenceSettings
from mud_persistence.subscription import (
    Handler,
    Start,
    Subscription,
    events_of,
    wait_for_wake,
)

if TYPE_CHECKING:
    import asyncpg

    from mud_persistence.database import Database

logger = logging.getLogger(__name__)
T = TypeVar("T")


class UnitOfWork:
    """The changes one operation committed: (outbox row id or None, the row's kind, events),
    in order."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.changes: list[tuple[int | None, str, list[Event]]] = []

    @property
    def writes_rows(self) -> bool:
        """Whether changes get an outbox row (``settings.outbox``)."""
        return self.outbox.enabled

    @property
    def origin(self) -> str:
        return self.outbox.origin

    def add(self, row_id: int | None, kind: str, events: list[Event]) -> None:
        self.changes.append((row_id, kind, events))


_current: ContextVar[UnitOfWork | None] = ContextVar("mud_persistence_unit_of_work", default=None)


def current_unit() -> UnitOfWork:
    """The unit of work of the operation running in this task."""
    unit = _current.get()
    if unit is None:
        raise RuntimeError("a change was recorded outside a persistence operation")
    return unit


async def record(
    kind: str, payload: dict[str, Any], events: list[Event], *, player_id: uuid.UUID | None = None
) -> None:
    """Record one change's events with the current unit of work, writing its outbox row in the
    current transaction. Call it after the change's row locks are taken, so that rows of one
    player are written in the order their changes commit."""
    unit = current_unit()
    row_id = None
    if unit.writes_rows:
        row_id = await rows.insert_change(kind, payload, unit.origin, player_id)
    unit.add(row_id, kind, events)


class Outbox:
    """One layer's outbox: units of work, the relay task, the LISTEN connection, subscriptions."""

    def __init__(self, settings: PersistenceSettings, bus: EventBus, database: Database) -> None:
        self.settings = settings
        host = "-".join(socket.gethostname()[:40].split())  # a NOTIFY's payload splits at spaces
        self.origin = f"{host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._bus = bus
        self._database = database
        # how far this process has published its own rows: every row it wrote up to
        # _published is published, but for those in _retry and those of units still running
        self._published = 0
        self._retry: dict[int, tuple[int, float]] = {}  # row id -> (attempts, due at)
        self._running: dict[int, int] = {}  # a running unit's rows come after its key
        # units that failed after their write may have committed: (their floor, when), and
        # the rows published since the first of them, to tell which rows after it were not
        self._unsure: list[tuple[int, float]] = []
        self._published_ids: set[int] = set()
        self._committed: set[str] = set()  # kinds of the rows committed since the last NOTIFY
        self._registered = False  # this process's position is in outbox_origins
        self._announcements: list[tuple[str, dict[str, Any]]] = []
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._subscriptions: set[Subscription] = set()
        self._listening = False
        self._last_prune = 0.0

    @property
    def enabled(self) -> bool:
        """Whether changes get an outbox row (``settings.outbox``)."""
        return self.settings.outbox

    # -- units of work -----------------------------------------------------------------------

    async def run(self, call: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run one operation as a unit of work; publish its events once it returned, that is
        after its outermost commit. A nested operation joins the outer one's unit."""
        if _current.get() is not None:
            return await call()
        if not self._registered and self._tasks:
            # The position was not recorded at start (the server was a standby then). Record it
            # before this write can commit, so that another process publishes the write's
            # events if this one dies before its relay's next round.
            self._registered = await self._register()
        unit = UnitOfWork(self)
        floor = self._published  # any row this unit writes gets a higher id
        self._running[floor] = self._running.get(floor, 0) + 1
        try:
            token = _current.set(unit)
            try:
                result = await call()
            except BaseException as exc:
                if _may_have_committed(exc):  # its rows may be committed, and unpublished
                    self._unsure.append((floor, time.monotonic()))
                raise
            finally:
                _current.reset(token)
            if unit.changes:
                await self._publish(unit)
        finally:
            left = self._running.pop(floor) - 1
            if left:
                self._running[floor] = left
        return result

    async def _publish(self, unit: UnitOfWork) -> None:
        pending = list(unit.changes)
        try:
            while pending:
                row_id, kind, events = pending[0]
                took = await self._publish_events(events)
                pending.pop(0)
                if row_id is not None:
                    self._published_row(row_id, kind, took=took)
        finally:  # cancelled while a handler ran: that row and the rest are published later
            for row_id, kind, _ in pending:
                if row_id is not None:
                    self._published_row(row_id, kind, took=False)
            self._wake.set()

    def _published_row(self, row_id: int, kind: str, *, took: bool) -> None:
        self._published = max(self._published, row_id)
        self._committed.add(kind)
        if self._unsure:
            self._published_ids.add(row_id)
        if not took:
            self._retry_later(row_id)

    def published_through(self) -> int:
        """The row id up to which every row of this process is published on its bus."""
        bounds = [self._published, *(floor for floor, _ in self._unsure)]
        if self._retry:
            bounds.append(min(self._retry) - 1)
        if self._running:
            bounds.append(min(self._running))
        return min(bounds)

    def announce(self, event: Event) -> None:
        """Queue an event for other processes from sync code (``save_room``): the relay writes
        its outbox row on its next round. No transaction to join: it describes no database
        change."""
        if self.enabled:
            self._announcements.append((event.event_type, event_payload(event)))
            self._wake.set()

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def is_running(self) -> bool:
        return bool(self._tasks)

    async def start(self, on_cache_event: Handler, cache_kinds: frozenset[str]) -> None:
        """Record this process's position, start the relay, the LISTEN connection (PostgreSQL)
        and the layer's own subscription to other processes' rows of ``cache_kinds``."""
        if not self.enabled or self._tasks:
            return
        with self._database.bound("subscribe"):
            start = await self._start()
            self._published = last_row_done(start.last_event_id)
            self._registered = await self._register()
        self._wake = asyncio.Event()
        self._tasks.append(asyncio.create_task(self._relay_loop(), name="outbox relay"))
        if self._listen_url is not None:
            self._tasks.append(asyncio.create_task(self._listen_loop(), name="outbox listen"))
        self._add(
            Subscription(self, on_cache_event, start, kinds=cache_kinds, skip_origin=self.origin)
        )

    async def stop(self) -> None:
        """Stop every task and subscription. Rooms saved just before are still announced to
        other processes; with every row published and no call in flight, this process's
        position is deleted (else another process publishes the rest after
        ``outbox_orphan_grace``)."""
        tasks, self._tasks = self._tasks, []
        subscriptions, self._subscriptions = self._subscriptions, set()
        for task in tasks:
            task.cancel()
        closing = [subscription.close() for subscription in subscriptions]
        await asyncio.gather(*tasks, *closing, return_exceptions=True)
        self._listening = False
        # with calls still in flight (close() cuts them off), nothing that could wait: another
        # process publishes what they leave, from the position of the last tick
        if tasks and (self._announcements or not self._running):
            with contextlib.suppress(Exception), self._database.bound("close"):
                await self._round(tick=False)
                if not (self._retry or self._running or self._unsure):
                    await rows.forget_origin(self.origin)
                elif self._registered:  # another process publishes the rest, from here
                    await rows.heartbeat(self.origin, self.published_through())

    # -- subscriptions -------------------------------------------------------------------------

    async def subscribe(self, handler: Handler, since: int | None) -> Subscription:
        if since is None:
            with self._database.bound("subscribe"):
                start = await self._start()
        else:
            start = Start(since)
        return self._add(Subscription(self, handler, start))

    async def _start(self) -> Start:
        """Where a subscriber from now on starts: after the newest committed row, but with
        the numbers of the LATE_WINDOW below it that no committed row holds, whose writes may
        still be running (even below the oldest row left: after pruning, the outbox may hold
        one). Not on SQLite, where a lower number never commits later, nor on a standby,
        which cannot take the transaction id that tells when those writes have ended."""
        ids = await rows.newest_ids(LATE_WINDOW)
        if not ids:
            return Start(0)
        missing = frozenset(range(max(1, ids[0] - LATE_WINDOW), ids[0])) - frozenset(ids)
        bound = await rows.gap_bound() if missing else None
        late = (missing, bound) if bound is not None else None
        return Start(last_event_of_row(ids[0]), late)

    def _add(self, subscription: Subscription) -> Subscription:
        self._subscriptions.add(subscription)
        return subscription

    def forget(self, subscription: Subscription) -> None:
        """Stop waking ``subscription`` (it is closing)."""
        self._subscriptions.discard(subscription)

    def bound(self, operation: str) -> contextlib.AbstractContextManager[None]:
        """The layer's database context, for a task of the outbox's own (Database.bound)."""
        return self._database.bound(operation)

    def _wake_subscriptions(
        self, writer: str | None = None, kinds: Collection[str] | None = None
    ) -> None:
        """Wake the subscriptions that want rows of ``kinds`` that ``writer`` wrote (None: any
        writer, any kind). The layer's cache subscription skips this layer's own rows and
        wants only saved rooms, so neither this layer's commits nor other layers' other changes
        wake it: it reads when another writer saves rooms, and every poll interval, not once
        per relay round of each busy layer."""
        for subscription in self._subscriptions:
            if subscription.wants(writer, kinds):
                subscription.wake()

    @property
    def _listen_url(self) -> Any:
        settings = self.settings
        if settings.dialect != "postgres":
            return None
        if settings.listen_url is None and settings.pool_mode == "transaction":
            return None  # PgBouncer would drop the LISTEN: subscriptions poll instead
        return settings.parsed_listen_url

    @property
    def poll_interval(self) -> float:
        """How long a subscription waits for a wake-up before it looks anyway."""
        if self._listening:
            return self.settings.outbox_poll_interval
        return self.settings.outbox_relay_interval

    # -- the relay -------------------------------------------------------------------------

    async def _relay_loop(self) -> None:
        interval = self.settings.outbox_relay_interval
        next_tick = time.monotonic() + interval
        failures = 0
        while True:
            await wait_for_wake(self._wake, next_tick - time.monotonic())
            # let the commits of the next few milliseconds join this round: one NOTIFY, and
            # one read by each subscriber, for many writes
            await asyncio.sleep(_GATHER)
            self._wake.clear()
            tick = time.monotonic() >= next_tick
            if tick:
                next_tick = time.monotonic() + interval
            try:
                with self._database.bound("outbox relay"):
                    await self._round(tick=tick)
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                logger.exception("outbox relay round failed; trying again")
                await asyncio.sleep(self.backoff(failures))

    async def _round(self, *, tick: bool) -> None:
        while self._announcements:
            kind, payload = self._announcements[0]
            row_id = await rows.insert_change(kind, payload, self.origin)
            self._published = max(self._published, row_id)  # no local bus event to publish
            self._committed.add(kind)
            self._announcements.pop(0)
        if self._committed:
            if not self._registered:  # run() could not record it, yet the write committed
                self._registered = await self._register()
            kinds, self._committed = self._committed, set()
            try:
                await self._notify(self.origin, kinds)
            except BaseException:  # the next round sends it
                self._committed |= kinds
                raise
        now = time.monotonic()
        due = {row_id: n for row_id, (n, at) in self._retry.items() if at <= now}
        if due:
            await self._republish_own(due)
        if not tick:
            return
        settings = self.settings
        if self._unsure:
            await self._publish_unsure(now)
        if self._registered:  # a layer on a standby writes, takes over and prunes nothing
            with contextlib.suppress(Exception):  # the next tick tries again
                await rows.heartbeat(self.origin, self.published_through())
            while claimed := await rows.claim_dead_origin(
                self.origin, settings.outbox_orphan_grace
            ):
                if not await self._take_over(*claimed):
                    break  # its bus refused a row: that process's rest after another grace
            if now - self._last_prune >= settings.outbox_relay_interval * 60:
                retention = timedelta(seconds=settings.outbox_retention)
                if await rows.prune(datetime.now(UTC) - retention) < rows.PRUNE_BATCH:
                    self._last_prune = now  # else more are old enough: the next tick goes on

    async def _notify(self, writer: str, kinds: Collection[str] | None = None) -> None:
        """Wake the subscriptions, in every process, that want rows ``writer`` committed, of
        ``kinds`` (None: of any kind)."""
        if self.settings.dialect == "postgres":
            await rows.notify(writer, kinds)
        if not self._listening:  # else the NOTIFY wakes this process's too
            self._wake_subscriptions(writer, kinds)

    async def _register(self) -> bool:
        """Record this process's position, so that another process takes over its rows if it
        dies; False on a server that refuses writes (a standby)."""
        try:
            await rows.heartbeat(self.origin, self.published_through())
        except Exception as exc:
            logger.debug("outbox position not recorded (%s); it is once this process writes", exc)
            return False
        return True

    async def _republish_own(self, due: dict[int, int]) -> None:
        """Publish again the rows whose events the local bus refused."""
        found = {change.id: change for change in await rows.rows_by_id(due)}
        for row_id, attempts in due.items():
            change = found.get(row_id)
            if change is None or await self._publish_stored(change):  # pruned: given up
                del self._retry[row_id]
            else:
                self._retry_later(row_id, attempts + 1)

    async def _publish_unsure(self, now: float) -> None:
        """Publish the rows that units which failed after their write may have committed did
        commit: after ``outbox_orphan_grace``, this process's rows after such a unit's floor
        that it has not published (not those of units still running: they publish their own).
        A row that other units published before the failure may be published again."""
        grace = self.settings.outbox_orphan_grace
        due = [entry for entry in self._unsure if now - entry[1] >= grace]
        if not due:
            return
        floor = min(floor for floor, _ in due)
        upto = min(self._running, default=None)
        changes = await rows.rows_of_origin_after(self.origin, floor)
        for change in changes:
            if upto is not None and change.id > upto:
                return  # the rest on a later tick
            if change.id not in self._published_ids and not await self._publish_stored(change):
                self._retry_later(change.id)
            self._published_ids.add(change.id)
            self._committed.add(change.kind)  # no NOTIFY told other processes of it
        self._unsure = [entry for entry in self._unsure if entry not in due]
        if len(changes) == rows.BATCH:  # more after them
            self._unsure.append((changes[-1].id, min(at for _, at in due)))
        elif not self._unsure:
            self._published_ids.clear()

    async def _take_over(self, origin: str, after: int) -> bool:
        """Publish, on this process's bus, the rows of the dead process ``origin`` after
        ``after``, in order, outside any transaction; record how far it got, or forget the
        process once all are published. Whether all were."""
        notified = False
        while True:
            changes = await rows.rows_of_origin_after(origin, after)
            if changes and not notified:  # it may have died before its relay's NOTIFY
                await self._notify(origin)
                notified = True
            for change in changes:
                if not await self._publish_stored(change):
                    await rows.move_position(origin, after)
                    return False
                after = change.id
            if len(changes) < rows.BATCH:
                await rows.forget_origin(origin)
                return True

    async def _publish_stored(self, change: StoredChange) -> bool:
        return await self._publish_events(events_of(change))

    async def _publish_events(self, events: list[Event]) -> bool:
        """Publish ``events`` on the local bus; whether it took every one."""
        return all([await publish_safely(self._bus, event) for event in _local(events)])

    def _retry_later(self, row_id: int, attempt: int = 1) -> None:
        """Publish row ``row_id`` again after a backoff (``attempt`` from 1)."""
        self._retry[row_id] = (attempt, time.monotonic() + self.backoff(attempt))

    def backoff(self, attempt: int) -> float:
        """How long to wait before attempt ``attempt`` (from 1) again: the layer's retry backoff,
        never less than half its ceiling, so that a failing relay or subscriber does not spin."""
        return backoff_delay(attempt - 1, self.settings, least=0.5)

    # -- LISTEN ----------------------------------------------------------------------------

    async def _listen_loop(self) -> None:
        failures = 0
        while True:
            lost = asyncio.Event()
            connection: asyncpg.Connection | None = None

            def on_lost(_: object, lost: asyncio.Event = lost) -> None:
                lost.set()

            try:
                connection = await rows.listen(
                    self._listen_url, self.settings.connect_timeout, self._on_notify
                )
                connection.add_termination_listener(on_lost)
                self._listening, failures = True, 0
                self._wake_subscriptions()  # catch up on what was sent while not listening
                await lost.wait()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                logger.warning(
                    "outbox LISTEN connection failed (%s); subscriptions poll meanwhile",
                    self.settings.scrub(str(exc) or type(exc).__name__),
                )
            finally:
                if self._listening:  # waits begun with the LISTEN poll interval begin again
                    self._listening = False
                    self._wake_subscriptions()
                if connection is not None and not connection.is_closed():
                    await asyncio.shield(_close_quietly(connection))
            await asyncio.sleep(self.backoff(failures + 1) * 10)

    def _on_notify(self, payload: str) -> None:
        self._wake_subscriptions(*rows.notice(payload))


# how many numbers below the newest committed row a subscriber from now on watches for writes
# still running when it started (their rows are news when they commit, though numbered lower);
# a write takes its number late in its transaction, so a running one holds one of the last
LATE_WINDOW = 1000
# how long the relay lets commits gather before a round (one NOTIFY and one read by each
# subscriber for all of them), at the price of subscribers seeing events up to 50 ms later
# (the local bus is not delayed)
_GATHER = 0.05


def _may_have_committed(exc: BaseException) -> bool:
    """Whether an operation that raised ``exc`` may have committed its rows: not when the
    layer refused it, or the database did and rolled it back; when the connection was lost
    after sending, the task was cancelled, or anything else went wrong."""
    if isinstance(exc, PersistenceError):
        return False
    return outcome_unknown(exc) or not isinstance(exc, DRIVER_ERRORS)


def _local(events: list[Event]) -> list[Event]:
    """The events the local bus gets: not the cache events it never had."""
    return [event for event in events if not isinstance(event, CACHE_EVENTS)]


async def _close_quietly(connection: asyncpg.Connection) -> None:
    with contextlib.suppress(Exception):
        await connection.close(timeout=1)


__all__ = ["Handler", "Outbox", "UnitOfWork", "current_unit", "record"]
