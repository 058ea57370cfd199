"""Retrying transient database failures with exponential backoff and jitter, and translating
driver exceptions into DatabaseError so none leaks out of the facade."""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
from tortoise.exceptions import BaseORMException, DBConnectionError

from mud_persistence.backend import BeginFailedError, ConnectTimeoutError, PoolExhaustedError
from mud_persistence.errors import DatabaseError, PersistenceError
from mud_persistence.settings import PersistenceSettings

logger = logging.getLogger(__name__)
T = TypeVar("T")

# The statement never reached the server: retrying cannot apply a write twice.
NOT_SENT: tuple[type[BaseException], ...] = (
    ConnectionRefusedError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    DBConnectionError,
    ConnectTimeoutError,
    BeginFailedError,
    # several hosts and none is (yet) the primary, e.g. while a standby is being promoted
    asyncpg.TargetServerAttributeNotMatched,
)
# The server rolled the whole transaction back: retrying the unit of work is safe.
ROLLED_BACK: tuple[type[BaseException], ...] = (
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
)
# The connection died mid-flight: a read can be repeated, a write may already have committed.
MAYBE_SENT: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.AdminShutdownError,
    asyncpg.InternalClientError,  # seen when a backend is killed mid-statement
)
# SQLite's "database is locked" (another connection holds the write lock), as sqlite3 and
# Tortoise's wrappers of it word it
SQLITE_BUSY = "database is locked"
DRIVER_ERRORS: tuple[type[BaseException], ...] = (
    *MAYBE_SENT,
    asyncpg.PostgresError,
    sqlite3.Error,
    BaseORMException,
)


def is_retryable(exc: BaseException, *, idempotent: bool) -> bool:
    """Whether running the operation again is safe and may succeed."""
    if isinstance(exc, TimeoutError):
        # the pool stayed busy for the whole acquire timeout, or the server did not answer
        # within command_timeout: trying again would only wait as long again
        return False
    if isinstance(exc, asyncpg.InterfaceError) and "connection is closed" in str(exc):
        return True  # asyncpg refused before sending anything
    if isinstance(exc, NOT_SENT + ROLLED_BACK):
        return True
    if isinstance(exc, sqlite3.OperationalError | BaseORMException) and SQLITE_BUSY in str(exc):
        return True  # another process held the write lock past the busy timeout; nothing ran
    return idempotent and isinstance(exc, MAYBE_SENT)


LOST_AFTER_SENDING = (
    "; the connection was lost after the write was sent, so it may or may not have been "
    "applied (outcome unknown: {})"
)
UNKNOWN_OUTCOME = LOST_AFTER_SENDING.format("check before repeating it")
KEYED_UNKNOWN_OUTCOME = LOST_AFTER_SENDING.format("repeat it with the same idempotency key")


def outcome_unknown(exc: BaseException) -> bool:
    """Whether a write that failed with ``exc`` may nevertheless have committed."""
    if isinstance(exc, PoolExhaustedError):
        return False  # never got a connection
    return not is_retryable(exc, idempotent=False) and isinstance(exc, MAYBE_SENT)


def describe(exc: BaseException, settings: PersistenceSettings) -> str:
    if type(exc) is TimeoutError:  # asyncpg's command_timeout; it carries no message
        return f"the server did not answer within {settings.command_timeout:g} s (command_timeout)"
    return str(exc) or type(exc).__name__


def backoff_delay(attempt: int, settings: PersistenceSettings, *, least: float = 0.0) -> float:
    """Exponential backoff with jitter: a random wait between ``least`` times and the whole of
    base * 2**attempt, capped (full jitter by default)."""
    # the exponent is capped: a relay retries for as long as the server is down, and 2**1024
    # is too large for a float
    ceiling = min(settings.retry_max_delay, settings.retry_base_delay * 2 ** min(attempt, 64))
    return random.uniform(ceiling * least, ceiling)


async def run_with_retry(
    operation: Callable[[], Awaitable[T]],
    settings: PersistenceSettings,
    *,
    name: str,
    idempotent: bool,
    keyed: bool = False,
    failed: BaseException | None = None,
) -> T:
    """Run ``operation``, retrying transient failures; raise DatabaseError when it gives up.

    A ``keyed`` write (one with an idempotency key) is retried like a read, even when it may
    have committed: its key makes a repeat return the first result. If it still fails, its
    DatabaseError says whether the outcome is unknown, as any write's does.

    ``failed``: the first attempt was made by the caller and failed with this (a DRIVER_ERRORS
    one), so that a call that succeeds (nearly every one) goes through one coroutine less.

    Errors of the persistence layer's own (validation, conflicts, not found) pass through.
    """
    may_have_run = False  # a keyed write stays of unknown outcome once one attempt may have run
    attempt = 0 if failed is None else 1
    while True:
        if failed is not None:
            may_have_run = may_have_run or outcome_unknown(failed)
            if attempt >= settings.retry_attempts or not is_retryable(
                failed, idempotent=idempotent or keyed
            ):
                unknown = not idempotent and may_have_run
                raise DatabaseError(
                    f"{name} failed on the {settings.describe_database()}: "
                    f"{settings.scrub(describe(failed, settings))}"
                    + ((KEYED_UNKNOWN_OUTCOME if keyed else UNKNOWN_OUTCOME) if unknown else ""),
                    operation=name,
                    outcome_unknown=unknown,
                ) from failed
            delay = backoff_delay(attempt - 1, settings)
            logger.warning("%s: transient %s, retry in %.3fs", name, type(failed).__name__, delay)
            await asyncio.sleep(delay)
        attempt += 1
        try:
            return await operation()
        except PersistenceError:
            raise
        except DRIVER_ERRORS as exc:
            failed = exc
