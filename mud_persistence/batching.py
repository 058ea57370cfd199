"""Calls that would wait for a pooled connection, sent together: one statement for all of them.

When every connection of the pool is busy, a call would wait for one anyway. A call of a
statement that has a batched form (player lookups, counter changes, saves) then joins a batch
instead: the batch waits for a connection as one caller, and once it holds one it sends the
values of every call that joined meanwhile as arrays, one per parameter, in one statement. That
costs one checkout, one round trip and one statement instead of one each, on the client and the
server.

The batched statement takes the callers' values column by column (``$1`` is the array of every
caller's first value, ...) and returns at most one row per caller, with the caller's 1-based
position as ``lookup_index``. A caller whose position has no row gets None. A change (not a
lookup) gets None also when a change of the same row waits in the batch already: one statement
changes a row at most once. None tells a change's caller to run its statement alone.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

# sends a batched statement with its arrays on a pooled connection; returns its rows
Send = Callable[[Any, str, list[list[Any]]], Awaitable[Sequence[Any]]]


class BatchCancelledError(ConnectionError):
    """The batch holding this call was stopped before it answered: the pool is closing."""


class _Batch:
    """The calls of one batched statement waiting for a connection."""

    __slots__ = ("answers", "positions", "taken", "values")

    def __init__(self) -> None:
        self.positions: dict[Any, int] = {}  # key -> index into values and answers
        self.values: list[tuple[Any, ...]] = []
        self.answers: list[list[asyncio.Future[Any]]] = []
        self.taken = False  # no call joins it any more

    def join(self, key: Any, values: tuple[Any, ...]) -> asyncio.Future[Any]:
        """This call's answer; a call whose key has a position (a shared lookup) takes it."""
        position = self.positions.get(key)
        if position is None:
            position = self.positions[key] = len(self.values)
            self.values.append(values)
            self.answers.append([])
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.answers[position].append(answer)
        return answer

    def drop_cancelled(self) -> bool:
        """Leave out the calls whose callers were all cancelled while the batch waited (a call
        cancelled before it was sent changes nothing, as alone); whether any call is left."""
        live = [n for n, answers in enumerate(self.answers) if not all(a.done() for a in answers)]
        if len(live) < len(self.answers):
            self.values = [self.values[n] for n in live]
            self.answers = [self.answers[n] for n in live]
        return bool(live)

    def arrays(self) -> list[list[Any]]:
        return [list(column) for column in zip(*self.values, strict=True)]

    def answer(self, rows: Sequence[Any]) -> None:
        found = {row["lookup_index"]: row for row in rows}
        for index, answers in enumerate(self.answers, start=1):
            row = found.get(index)
            for answer in answers:
                if not answer.done():  # its caller was cancelled
                    answer.set_result(row)

    def fail(self, exc: BaseException) -> None:
        if not isinstance(exc, Exception):  # the batch's task was cancelled
            exc = BatchCancelledError("the batch was stopped before it answered")
        for answers in self.answers:
            for answer in answers:
                if not answer.done():
                    answer.set_exception(_own_copy(exc))


def _own_copy(exc: Exception) -> Exception:
    """``exc`` for one caller: each raising its own copy, the callers' tracebacks do not pile
    up on one object. The copy keeps the type, arguments and fields the retry rules read."""
    try:
        own = copy.copy(exc)
    except Exception:
        return exc
    if type(own) is not type(exc):
        return exc
    own.__cause__, own.__context__ = exc.__cause__, exc.__context__
    return own.with_traceback(exc.__traceback__)


class Batcher:
    """The batches of one connection pool, by batched statement (see the module's text)."""

    def __init__(self, acquire: Callable[[], AbstractAsyncContextManager[Any]], send: Send) -> None:
        """``acquire``: a context manager holding a pooled connection (it waits for one);
        ``send``: runs a batched statement with its arrays on that connection."""
        self._acquire = acquire
        self._send = send
        self._waiting: dict[str, _Batch] = {}  # by statement: the batch waiting to be sent
        self._tasks: set[asyncio.Task[None]] = set()

    def is_waiting(self, query: str) -> bool:
        """Whether a batch of ``query`` waits for a connection: a call joins it, or runs alone
        if it changes a row the batch changes already."""
        return query in self._waiting

    async def fetch_row(
        self, query: str, key: Any, values: tuple[Any, ...], *, shared: bool
    ) -> Any:
        """The row the batched ``query`` gives this call, or None.

        ``shared``: calls with equal ``key`` take one position (lookups: one row answers
        them all). Otherwise a batch holds one call per key (a statement changes a row at
        most once), and a call whose key is in the waiting batch already gets None at once:
        its caller runs it alone. In a batch of its own it would wait for a connection, most
        likely find the row locked by the change before it (a key this busy), be skipped,
        and wait for a connection again.
        """
        batch = self._waiting.get(query)
        if batch is not None:
            if not shared and key in batch.positions:
                return None
            return await batch.join(key, values)
        batch = self._waiting[query] = _Batch()
        answer = batch.join(key, values)  # before its task can take it
        task = asyncio.get_running_loop().create_task(self._run(query, batch))
        self._tasks.add(task)  # a reference until it is done
        task.add_done_callback(self._tasks.discard)
        return await answer

    async def close(self, error: Exception) -> None:
        """Fail the calls still waiting with ``error``, and stop every batch's task."""
        waiting, self._waiting = self._waiting, {}
        for batch in waiting.values():
            batch.taken = True
            batch.fail(error)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, query: str, batch: _Batch) -> None:
        try:
            async with self._acquire() as connection:
                self._take(query, batch)  # no call joins it from here on
                if batch.drop_cancelled():
                    batch.answer(await self._send(connection, query, batch.arrays()))
        except BaseException as exc:
            self._take(query, batch)
            batch.fail(exc)  # the calls not answered yet
            if not isinstance(exc, Exception):
                raise

    def _take(self, query: str, batch: _Batch) -> None:
        if batch.taken:
            return
        batch.taken = True
        del self._waiting[query]
