"""The retry policy: what is retried, how long it waits, and what reaches the caller."""

from __future__ import annotations

import sqlite3

import asyncpg
import pytest
from tortoise.exceptions import OperationalError, TransactionManagementError

from mud_persistence.backend import BeginFailedError, PoolExhaustedError
from mud_persistence.database import Database
from mud_persistence.errors import DatabaseError, NotFoundError
from mud_persistence.events import RecordingBus
from mud_persistence.outbox import Outbox
from mud_persistence.retry import backoff_delay, run_with_retry
from mud_persistence.settings import PersistenceSettings

SETTINGS = PersistenceSettings(
    database_url="postgres://game:pw@db:5432/world",
    retry_attempts=3,
    retry_base_delay=0.001,
    retry_max_delay=0.002,
)


def failing(*errors: BaseException) -> tuple[list[int], object]:
    calls: list[int] = []

    async def operation() -> str:
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return "done"

    return calls, operation


async def test_a_read_is_retried_after_a_lost_connection() -> None:
    calls, operation = failing(asyncpg.ConnectionDoesNotExistError("gone"))
    assert await run_with_retry(operation, SETTINGS, name="read", idempotent=True) == "done"  # type: ignore[arg-type]
    assert len(calls) == 2


async def test_a_write_is_not_retried_when_it_may_have_run() -> None:
    calls, operation = failing(asyncpg.ConnectionDoesNotExistError("gone"))
    with pytest.raises(DatabaseError, match="write failed") as caught:
        await run_with_retry(operation, SETTINGS, name="write", idempotent=False)  # type: ignore[arg-type]
    assert len(calls) == 1 and caught.value.operation == "write"
    assert caught.value.outcome_unknown is True
    assert "may or may not have been applied" in str(caught.value)


@pytest.mark.parametrize(
    ("error", "idempotent"),
    [
        (asyncpg.ConnectionDoesNotExistError("gone"), True),  # a read changes nothing
        (asyncpg.QueryCanceledError("statement timeout"), False),  # rolled back
        (asyncpg.UniqueViolationError("duplicate"), False),
        (PoolExhaustedError("all busy"), False),  # never got a connection
        (ConnectionRefusedError("refused"), False),  # never reached a server
        (asyncpg.TargetServerAttributeNotMatched("no primary"), False),
    ],
    ids=lambda value: type(value).__name__,
)
async def test_the_outcome_is_known_when_nothing_can_have_committed(
    error: BaseException, idempotent: bool
) -> None:
    _, operation = failing(*[error] * SETTINGS.retry_attempts)
    with pytest.raises(DatabaseError) as caught:
        await run_with_retry(operation, SETTINGS, name="op", idempotent=idempotent)  # type: ignore[arg-type]
    assert caught.value.outcome_unknown is False
    assert "may or may not" not in str(caught.value)


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError("refused"),
        asyncpg.TooManyConnectionsError("too many"),
        asyncpg.DeadlockDetectedError("deadlock"),
        asyncpg.InterfaceError("cannot call Connection.fetch(): connection is closed"),
        BeginFailedError("the connection failed at BEGIN: connection reset"),
        sqlite3.OperationalError("database is locked"),
        OperationalError(sqlite3.OperationalError("database is locked")),
        TransactionManagementError(sqlite3.OperationalError("database is locked")),
    ],
    ids=type,
)
async def test_a_write_is_retried_when_nothing_ran(error: BaseException) -> None:
    calls, operation = failing(error)
    assert await run_with_retry(operation, SETTINGS, name="write", idempotent=False) == "done"  # type: ignore[arg-type]
    assert len(calls) == 2


async def test_it_gives_up_after_the_configured_attempts() -> None:
    calls, operation = failing(*[ConnectionRefusedError("refused")] * 5)
    with pytest.raises(DatabaseError, match="refused"):
        await run_with_retry(operation, SETTINGS, name="read", idempotent=True)  # type: ignore[arg-type]
    assert len(calls) == 3


async def test_errors_of_the_layer_itself_pass_through_untouched() -> None:
    calls, operation = failing(NotFoundError("Player", "x"))
    with pytest.raises(NotFoundError):
        await run_with_retry(operation, SETTINGS, name="read", idempotent=True)  # type: ignore[arg-type]
    assert len(calls) == 1


def test_backoff_grows_with_jitter_up_to_the_cap() -> None:
    settings = PersistenceSettings(retry_base_delay=0.1, retry_max_delay=0.3)
    for attempt, ceiling in [(0, 0.1), (1, 0.2), (2, 0.3), (6, 0.3)]:
        delays = [backoff_delay(attempt, settings) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2  # jittered, not fixed


def test_backoff_stays_at_the_cap_however_many_attempts_failed() -> None:
    # a relay or subscriber retries for as long as the database is down: thousands of attempts
    settings = PersistenceSettings(retry_base_delay=0.02, retry_max_delay=0.5)
    assert all(0 <= backoff_delay(attempt, settings) <= 0.5 for attempt in (1023, 1024, 10**6))


def test_the_outbox_waits_at_least_half_the_backoff_so_that_a_failing_relay_does_not_spin() -> None:
    settings = PersistenceSettings(retry_base_delay=0.1, retry_max_delay=0.3)
    outbox = Outbox(settings, RecordingBus(), Database(settings))
    for attempt, ceiling in [(1, 0.1), (2, 0.2), (3, 0.3), (7, 0.3)]:
        delays = [outbox.backoff(attempt) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling / 10  # jittered, not fixed


async def test_a_server_that_did_not_answer_in_time_is_not_asked_again() -> None:
    calls, operation = failing(TimeoutError())
    with pytest.raises(DatabaseError, match=r"did not answer within 40 s \(command_timeout\)"):
        await run_with_retry(operation, SETTINGS, name="read", idempotent=True)  # type: ignore[arg-type]
    assert len(calls) == 1


async def test_a_keyed_write_is_retried_when_it_may_have_run() -> None:
    calls, operation = failing(asyncpg.ConnectionDoesNotExistError("gone"))
    assert (
        await run_with_retry(operation, SETTINGS, name="write", idempotent=False, keyed=True)
        == "done"
    )  # type: ignore[arg-type]
    assert len(calls) == 2


async def test_a_keyed_write_that_keeps_failing_says_to_repeat_it_with_its_key() -> None:
    lost = asyncpg.ConnectionDoesNotExistError("gone")
    calls, operation = failing(lost, lost, lost)
    with pytest.raises(DatabaseError) as caught:
        await run_with_retry(operation, SETTINGS, name="write", idempotent=False, keyed=True)  # type: ignore[arg-type]
    assert len(calls) == 3
    assert caught.value.outcome_unknown is True
    assert "repeat it with the same idempotency key" in str(caught.value)


async def test_a_keyed_write_stays_of_unknown_outcome_once_one_attempt_may_have_run() -> None:
    # the first attempt lost its answer; the later ones found no server: it may have committed
    refused = ConnectionRefusedError("refused")
    calls, operation = failing(asyncpg.ConnectionDoesNotExistError("gone"), refused, refused)
    with pytest.raises(DatabaseError) as caught:
        await run_with_retry(operation, SETTINGS, name="write", idempotent=False, keyed=True)  # type: ignore[arg-type]
    assert len(calls) == 3
    assert caught.value.outcome_unknown is True
    assert "repeat it with the same idempotency key" in str(caught.value)
