"""The transactional outbox at run time: each operation's unit of work, the relay that numbers,
announces, re-delivers and prunes outbox rows, and ``subscribe()``'s subscriptions.

A write records its events with the current unit of work (``record``), which also writes their
outbox row in the write's transaction. The operation wrapper (``Outbox.run``) publishes them on
the local bus after the operation's outermost commit, as before the outbox existed, and wakes
the relay. The relay gives committed rows their ``event_id`` in commit order, NOTIFYs other
processes, marks the rows the local bus took, re-publishes those it refused (with backoff) and
those a dead writer never published, and prunes old rows. Subscribers read rows by event_id.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from mud_persistence.events import (
    CACHE_EVENTS,
    EVENTS_PER_CHANGE,
    Event,
    EventBus,
    event_payload,
    events_for,
    publish_safely,
)
from mud_persistence.repositories import outbox as rows
from mud_persistence.repositories.outbox import StoredChange
from mud_persistence.settings import PersistenceSettings

if TYPE_CHECKING:
    import asyncpg

    from mud_persistence.database import Database

logger = logging.getLogger(__name__)
T = TypeVar("T")
Handler = Callable[[Event], Any]


class UnitOfWork:
    """The changes one operation committed: (outbox row id or None, events), in order."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.changes: list[tuple[int | None, list[Event]]] = []

    @property
    def writes_rows(self) -> bool:
        """Whether changes get an outbox row (``settings.outbox``)."""
        return self.outbox.enabled

    @property
    def origin(self) -> str:
        return self.outbox.origin

    def add(self, row_id: int | None, events: list[Event]) -> None:
        self.changes.append((row_id, events))


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
    unit.add(row_id, events)


class Outbox:
    """One layer's outbox: units of work, the relay task, the LISTEN connection, subscriptions."""

    def __init__(self, settings: PersistenceSettings, bus: EventBus, database: Database) -> None:
        self.settings = settings
        self.enabled = settings.outbox
        self.origin = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._bus = bus
        self._database = database
        self._delivered: set[int] = set()  # published locally, not yet marked in the table
        self._retry: dict[int, tuple[int, float]] = {}  # row id -> (attempts, due at)
        self._announcements: list[tuple[str, dict[str, Any]]] = []
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._subscriptions: set[Subscription] = set()
        self._listening = False
        self._last_prune = 0.0

    # -- units of work -----------------------------------------------------------------------

    async def run(self, call: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run one operation as a unit of work; publish its events once it returned, that is
        after its outermost commit. A nested operation joins the outer one's unit."""
        if _current.get() is not None:
            return await call()
        unit = UnitOfWork(self)
        token = _current.set(unit)
        try:
            result = await call()
        finally:
            _current.reset(token)
        if unit.changes:
            await self._publish(unit)
        return result

    async def _publish(self, unit: UnitOfWork) -> None:
        for row_id, events in unit.changes:
            took = [await publish_safely(self._bus, event) for event in _local(events)]
            if row_id is None:
                continue
            if all(took):
                self._delivered.add(row_id)
            else:
                self._retry[row_id] = (1, time.monotonic() + self._backoff(1))
        self._wake.set()

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

    async def start(self, on_cache_event: Handler) -> None:
        """Start the relay, the LISTEN connection (PostgreSQL) and the layer's own subscription
        to other processes' cache events."""
        if not self.enabled or self._tasks:
            return
        self._wake = asyncio.Event()
        self._tasks.append(asyncio.create_task(self._relay_loop(), name="outbox relay"))
        if self._listen_url is not None:
            self._tasks.append(asyncio.create_task(self._listen_loop(), name="outbox listen"))
        with self._database.bound("subscribe"):
            last = await rows.last_event_id()
        self._add(
            Subscription(self, on_cache_event, last, kinds=_CACHE_KINDS, skip_origin=self.origin)
        )

    async def stop(self) -> None:
        """Stop every task and subscription; events not yet marked delivered are re-published
        by the next relay after ``outbox_orphan_grace``. Rooms saved just before are still
        announced to other processes."""
        tasks, self._tasks = self._tasks, []
        subscriptions, self._subscriptions = self._subscriptions, set()
        for task in [*tasks, *(s._task for s in subscriptions)]:
            task.cancel()
        await asyncio.gather(*tasks, *(s._task for s in subscriptions), return_exceptions=True)
        self._listening = False
        if tasks and self._announcements:
            with contextlib.suppress(Exception), self._database.bound("close"):
                await self._round(tick=False)

    # -- subscriptions -------------------------------------------------------------------------

    async def subscribe(self, handler: Handler, since: int | None) -> Subscription:
        if since is None:
            with self._database.bound("subscribe"):
                since = await rows.last_event_id()
        return self._add(Subscription(self, handler, since))

    def _add(self, subscription: Subscription) -> Subscription:
        self._subscriptions.add(subscription)
        subscription._task = asyncio.create_task(subscription._run(), name="outbox subscription")
        return subscription

    def _wake_subscriptions(self) -> None:
        for subscription in self._subscriptions:
            subscription._wake.set()

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
            await _wait(self._wake, next_tick - time.monotonic())
            # let the writes of the next few milliseconds join this round: one numbering
            # transaction for many writes, not one each
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
                await asyncio.sleep(self._backoff(failures))

    async def _round(self, *, tick: bool) -> None:
        while self._announcements:
            kind, payload = self._announcements[0]
            self._delivered.add(await rows.insert_change(kind, payload, self.origin))
            self._announcements.pop(0)
        marking = set(self._delivered)
        last, marked = await rows.number_committed(
            marking, notify=self.settings.dialect == "postgres"
        )
        self._delivered -= marked
        if last is not None:
            self._wake_subscriptions()
        now = time.monotonic()
        due = {row_id: n for row_id, (n, at) in self._retry.items() if at <= now}
        if due or tick:
            for row_id in due:
                del self._retry[row_id]
            grace = self.settings.outbox_orphan_grace
            cutoff = datetime.now(UTC) - timedelta(seconds=grace) if tick else _EPOCH
            await rows.claim_undelivered(due, cutoff, lambda found: self._republish(found, due))
        if tick and now - self._last_prune >= self.settings.outbox_relay_interval * 60:
            self._last_prune = now
            retention = timedelta(seconds=self.settings.outbox_retention)
            await rows.prune(datetime.now(UTC) - retention)

    async def _republish(self, changes: list[StoredChange], attempts: dict[int, int]) -> set[int]:
        published: set[int] = set()
        for change in changes:
            events = events_for(
                change.kind, change.payload, event_id=change.event_id, timestamp=change.created_at
            )
            if all([await publish_safely(self._bus, event) for event in _local(events)]):
                published.add(change.id)
            else:
                tries = attempts.get(change.id, 0) + 1
                self._retry[change.id] = (tries, time.monotonic() + self._backoff(tries))
        return published

    def _backoff(self, attempt: int) -> float:
        settings = self.settings
        delay: float = min(
            settings.retry_max_delay, settings.retry_base_delay * 2.0 ** (attempt - 1)
        )
        return delay * (0.5 + random.random() / 2)

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
                self._listening = False
                if connection is not None and not connection.is_closed():
                    await asyncio.shield(_close_quietly(connection))
            await asyncio.sleep(self._backoff(failures + 1) * 10)

    def _on_notify(self, payload: str) -> None:
        self._wake_subscriptions()


class Subscription:
    """One ``subscribe()`` handler: gets every numbered event after its position, in event_id
    order, at least once (a handler that raises gets the same event again after a backoff)."""

    def __init__(
        self,
        outbox: Outbox,
        handler: Handler,
        last_event_id: int,
        *,
        kinds: frozenset[str] | None = None,
        skip_origin: str | None = None,
    ) -> None:
        self._outbox = outbox
        self._handler = handler
        self._last = last_event_id
        self._kinds = kinds
        self._skip_origin = skip_origin
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None]

    @property
    def last_event_id(self) -> int:
        """The event_id of the last change handled: pass it as ``since`` to resume."""
        return self._last

    async def close(self) -> None:
        """Stop delivering. Safe to call twice."""
        self._outbox._subscriptions.discard(self)
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        failures = 0
        while True:
            self._wake.clear()  # before the read: a wake-up during it means read again
            try:
                with self._outbox._database.bound("subscribe"):
                    changes, through = await rows.numbered_after(
                        self._last, kinds=self._kinds, skip_origin=self._skip_origin
                    )
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                logger.exception("reading the outbox for a subscriber failed; trying again")
                await asyncio.sleep(self._outbox._backoff(failures))
                continue
            if changes and self._kinds is None and self._skip_origin is None:
                first = changes[0].event_id
                assert first is not None  # numbered_after reads numbered rows only
                if self._last and first > self._last + 1:
                    logger.warning(
                        "outbox events %d..%d were pruned before this subscriber read them",
                        self._last + 1,
                        first - 1,
                    )
            for change in changes:
                await self._deliver(change)
                assert change.event_id is not None
                # past every number the row holds, whether or not it had that many events
                self._last = max(self._last, change.event_id + EVENTS_PER_CHANGE - 1)
            self._last = max(self._last, through)  # past the rows the filters left out
            if not changes:
                await _wait(self._wake, self._outbox.poll_interval)

    async def _deliver(self, change: StoredChange) -> None:
        events = events_for(
            change.kind, change.payload, event_id=change.event_id, timestamp=change.created_at
        )
        for event in events:
            assert event.event_id is not None
            if event.event_id > self._last:  # a resumed subscriber may have had the first
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
                await asyncio.sleep(self._outbox._backoff(attempt))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# how long the relay lets writes gather before a round: fewer numbering transactions under load
# (with 10 ms, 26-44% outbox cost at 50 tasks in one bench run; with 50 ms, 7-23%), at the
# price of subscribers seeing events up to 50 ms later (the local bus is not delayed)
_GATHER = 0.05
_CACHE_KINDS = frozenset(cls.event_type for cls in CACHE_EVENTS)


def _local(events: list[Event]) -> list[Event]:
    """The events the local bus gets: not the cache events it never had."""
    return [event for event in events if not isinstance(event, CACHE_EVENTS)]


async def _wait(event: asyncio.Event, seconds: float) -> None:
    """Until ``event`` is set or ``seconds`` have passed."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(max(0.0, seconds)):
            await event.wait()


async def _close_quietly(connection: asyncpg.Connection) -> None:
    with contextlib.suppress(Exception):
        await connection.close(timeout=1)


__all__ = ["Outbox", "Subscription", "UnitOfWork", "current_unit", "record"]
