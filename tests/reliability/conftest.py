"""Fixtures shared by the reliability tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mud_persistence.testing import empty_tables


@pytest.fixture
async def cleanup(pg_url: str) -> AsyncIterator[None]:
    """Empties every table after the test, for tests that use layers of their own."""
    yield
    await empty_tables(pg_url)
