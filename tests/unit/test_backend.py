"""The pool's timeouts: a full wait is an exhausted pool; a failed connect is not."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mud_persistence.backend import ConnectTimeoutError, PoolExhaustedError, TimedPool
from mud_persistence.retry import is_retryable


class StubPool(TimedPool):
    """A TimedPool whose underlying acquire only waits, then times out."""

    def __init__(self, wait: float) -> None:  # no real pool behind it
        self._wait = wait

    def get_max_size(self) -> int:
        return 3


async def fake_acquire(self: StubPool, timeout: float | None) -> Any:  # noqa: ASYNC109
    await asyncio.sleep(self._wait)
    raise TimeoutError


@pytest.fixture(autouse=True)
def stub_asyncpg_acquire(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("asyncpg.Pool._acquire", fake_acquire)


async def test_waiting_the_whole_timeout_means_the_pool_is_exhausted() -> None:
    with pytest.raises(PoolExhaustedError, match="all 3 of the pool are busy") as caught:
        await StubPool(wait=0.05)._acquire(0.05)
    assert not is_retryable(caught.value, idempotent=True)


async def test_an_early_timeout_is_a_connect_failure_that_may_be_retried() -> None:
    with pytest.raises(ConnectTimeoutError) as caught:
        await StubPool(wait=0.0)._acquire(5.0)
    assert is_retryable(caught.value, idempotent=False)
