"""Counting the SQL statements Tortoise sends, from its db_client debug log."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager


class QueryCounter(logging.Handler):
    def __init__(self, *, every_task: bool = False) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []
        # the operation's own statements: not those of the outbox relay or of subscriptions,
        # which run in their own tasks, off the operation's path (unless every_task)
        self.every_task = every_task
        self.task = _current_task()

    @property
    def count(self) -> int:
        return len(self.statements)

    def emit(self, record: logging.LogRecord) -> None:
        if not self.every_task and _current_task() is not self.task:
            return
        if record.args:  # queries are logged as ("%s: %s", sql, values); pool messages are not
            self.statements.append(str(record.args[0]))


@contextmanager
def counting_queries(*, every_task: bool = False) -> Iterator[QueryCounter]:
    """The statements sent by the current task (by any task with ``every_task``)."""
    logger = logging.getLogger("tortoise.db_client")
    counter, level = QueryCounter(every_task=every_task), logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)


def _current_task() -> asyncio.Task[object] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no event loop running
        return None
