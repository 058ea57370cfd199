"""SQL echo (``MUD_PERSISTENCE_ECHO=1``): each statement logged with its duration, scrubbed.

The lines go to the logger ``mud_persistence.sql`` at INFO. When the program has configured no
logging at all, echo adds a handler printing them to stderr, as SQLAlchemy's ``echo=True`` does.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

LOGGER = logging.getLogger("mud_persistence.sql")


def enable() -> None:
    """Make the echo lines visible."""
    LOGGER.setLevel(logging.INFO)
    if not LOGGER.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        LOGGER.addHandler(handler)


def log_statement(
    sql: str,
    parameters: Sequence[Any] | None,
    seconds: float,
    *,
    password: str | None,
    error: BaseException | None = None,
) -> None:
    """One line: duration, statement, parameters (and the error, if it failed)."""
    line = f"{seconds * 1000:.2f} ms  {' '.join(sql.split())}"
    if parameters:
        shown = repr(list(parameters))
        line += f"  parameters: {shown if len(shown) <= 300 else shown[:297] + '...'}"
    if error is not None:
        line += f"  failed: {type(error).__name__}: {error}"
    if password:
        line = line.replace(password, "***")
    LOGGER.info("%s", line)
