"""A layer whose pool holds one connection, and a way to keep that connection busy."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from tortoise import connections

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.models import Player
from mud_persistence.testing import empty_tables
from tests.conftest import settings_for
from tests.query_counter import counting_queries


@asynccontextmanager
async def one_connection(
    pg_url: str, event_bus: Any = None, **settings: Any
) -> AsyncIterator[AsyncPersistenceLayer]:
    """A connected layer with one pooled connection (and ``settings``); tables emptied after."""
    layer_settings = settings_for(pg_url, pool_min_size=1, pool_max_size=1, **settings)
    async with AsyncPersistenceLayer(settings=layer_settings, event_bus=event_bus) as connected:
        yield connected
    await empty_tables(pg_url)


@pytest.fixture
async def one_connection_layer(pg_url: str) -> AsyncIterator[AsyncPersistenceLayer]:
    """A layer with one pooled connection, so every call gets the same one back; without the
    outbox, whose relay and subscriptions would send their own statements on it meanwhile."""
    async with one_connection(pg_url, outbox=False) as connected:
        yield connected


async def closable(pg_url: str) -> tuple[AsyncPersistenceLayer, Any]:
    """A connected layer with one pooled connection and no outbox, for a test that closes it
    itself, and the batcher of its pool (mud_persistence.batching)."""
    layer = AsyncPersistenceLayer(
        settings=settings_for(pg_url, pool_min_size=1, pool_max_size=1, outbox=False)
    )
    await layer.connect()
    with layer._database.bound():
        return layer, connections.get(layer.settings.connection_name)._batcher


async def created(layer: AsyncPersistenceLayer, *names: str) -> list[Player]:
    """New players with these names."""
    return [await layer.create_player(name=name, user_id=uuid.uuid4()) for name in names]


@asynccontextmanager
async def pooled(layer: AsyncPersistenceLayer) -> AsyncIterator[Any]:
    """The layer's pooled connection, taken from the pool and given back."""
    with layer._database.bound():
        client = connections.get(layer.settings.connection_name)
        async with client.acquire_connection() as connection:
            yield connection


async def waiting(*calls: Any) -> list[asyncio.Task[Any]]:
    """The calls as tasks, once each has reached the point where it waits for a connection."""
    tasks = [asyncio.create_task(call) for call in calls]
    await asyncio.sleep(0.05)
    assert not any(task.done() for task in tasks), "a call did not wait for the connection"
    return tasks


async def sent_while_busy(layer: AsyncPersistenceLayer, *calls: Any) -> tuple[list[Any], list[str]]:
    """What the calls return (or raise) when they all wait for the pool's one connection, and
    the statements sent meanwhile."""
    with counting_queries(every_task=True) as queries:
        async with pooled(layer):  # the pool's one connection is busy
            tasks = await waiting(*calls)
        found = await asyncio.gather(*tasks, return_exceptions=True)
    return found, queries.statements
