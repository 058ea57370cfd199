"""Calls that would wait for a pooled connection, sent together: one statement for all of them.

When every connection of the pool is busy, a call would wait for one anyway. A call of a
statement that has a batched form (player lookups, counter changes) then joins a batch instead:
the batch waits for a connection as one caller, and once it holds one it sends the values of
every call that joined meanwhile as arrays, one per parameter, in one statement. That costs one
checkout, one round trip and one statement instead of one each, on the client and the server.

The batched statement takes the callers' values column by column (``$1`` is the array of every
caller's first value, ...) and returns at most one row per caller, with the caller's 1-based
position as ``lookup_index``. A caller whose position has no row gets None.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

# sends a batched statement with its arrays on a pooled connection; returns its rows
Send = Callable[[Any, str, list[list[Any]]], Awaitable[Sequence[Any]]]


class _Batch:
    """The calls of one batched statement waiting for a connection."""

    __slots__ = ("answers", "positions", "values")

    def __init__(self) -> None:
        self.positions: dict[Any, int] = {}  # key -> index into values and answers
        self.values: list[tuple[Any, ...]] = []
        self.answers: list[list[asyncio.Future[Any]]] = []

    def join(self, key: Any, values: tuple[Any, ...], *, shared: bool) -> asyncio.Future[Any]:
        position = self.positions.get(key) if shared else None
        if position is None:
            position = self.positions[key] = len(self.values)
            self.values.append(values)
            self.answers.append([])
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.answers[position].append(answer)
        return answer

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
        for answers in self.answers:
            for answer in answers:
                if answer.done():
                    continue
                if isinstance(exc, Exception):
                    answer.set_exception(exc)
                else:  # the batch was cancelled: the event loop is closing
                    answer.cancel()


class Batcher:
    """The batches of one connection pool, by batched statement (see the module's text)."""

    def __init__(self, acquire: Callable[[], AbstractAsyncContextManager[Any]], send: Send) -> None:
        """``acquire``: a context manager holding a pooled connection (it waits for one);
        ``send``: runs a batched statement with its arrays on that connection."""
        self._acquire = acquire
        self._send = send
        self._waiting: dict[str, list[_Batch]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def is_waiting(self, query: str) -> bool:
        """Whether a batch of ``query`` waits for a connection: a call joins it."""
        return query in self._waiting

    async def fetch_row(
        self, query: str, key: Any, values: tuple[Any, ...], *, shared: bool
    ) -> Any:
        """The row the batched ``query`` gives this call, or None.

        ``shared``: calls with equal ``key`` take one position (lookups: one row answers
        them all). Otherwise a batch holds one call per key, and a second call with a key
        goes in the next batch (a statement changes a row at most once).
        """
        batches = self._waiting.setdefault(query, [])
        batch = next(
            (b for b in batches if shared or key not in b.positions),
            None,
        )
        if batch is None:
            batch = _Batch()
            batches.append(batch)
            task = asyncio.get_running_loop().create_task(self._run(query, batch))
            self._tasks.add(task)  # a reference until it is done
            task.add_done_callback(self._tasks.discard)
        return await batch.join(key, values, shared=shared)

    async def _run(self, query: str, batch: _Batch) -> None:
        taken = False
        try:
            async with self._acquire() as connection:
                self._take(query, batch)  # no call joins it from here on
                taken = True
                rows = await self._send(connection, query, batch.arrays())
        except BaseException as exc:
            if not taken:
                self._take(query, batch)
            batch.fail(exc)
            if not isinstance(exc, Exception):
                raise
            return
        batch.answer(rows)

    def _take(self, query: str, batch: _Batch) -> None:
        batches = self._waiting[query]
        batches.remove(batch)
        if not batches:
            del self._waiting[query]
