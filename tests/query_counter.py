"""Counting the SQL statements Tortoise sends, from its db_client debug log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


class QueryCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def emit(self, record: logging.LogRecord) -> None:
        if record.args:  # queries are logged as ("%s: %s", sql, values); pool messages are not
            self.statements.append(str(record.args[0]))


@contextmanager
def counting_queries() -> Iterator[QueryCounter]:
    logger = logging.getLogger("tortoise.db_client")
    counter, level = QueryCounter(), logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)
