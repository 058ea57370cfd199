"""Test harness: the project's own pytest plugin (one migrated PostgreSQL database per session,
tables emptied between tests, embedded PostgreSQL when no server answers) plus fixtures for
tests that work below the facade or on every backend."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from mud_persistence import AsyncPersistenceLayer, PersistenceSettings
from mud_persistence.models import Player
from mud_persistence.testing import create_database, drop_database, empty_tables
from tests.cluster.servers import (
    PgBouncer,
    StreamingCluster,
    missing_programs,
    run_coroutine,
    started,
)

pytest_plugins = ["mud_persistence.testing", "pytester"]


@pytest.fixture(scope="session")
def pg_url(mud_persistence_database_url: str) -> str:
    return mud_persistence_database_url


@pytest.fixture(scope="session")
async def fresh_database(
    mud_persistence_server_url: str,
) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Factory for empty, unmigrated databases; each is dropped at session end."""
    created: list[str] = []

    async def create() -> str:
        created.append(await create_database(mud_persistence_server_url, migrate=False))
        return created[-1]

    yield create
    for url in created:
        await drop_database(mud_persistence_server_url, url)


@pytest.fixture
async def cleanup(pg_url: str) -> AsyncIterator[None]:
    """Empties every table after the test, for tests that open layers of their own."""
    yield
    await empty_tables(pg_url)


@pytest.fixture
async def raw(pg_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain asyncpg connection to the session's database, for checks below the ORM."""
    connection = await asyncpg.connect(pg_url)
    yield connection
    await connection.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mud.sqlite3'}"


@pytest.fixture(scope="session")
def pgbouncer_database() -> Iterator[tuple[str, str]]:
    """A migrated database on a private PostgreSQL behind PgBouncer in transaction mode:
    (URL through PgBouncer, direct URL)."""
    reason = missing_programs()
    if reason:
        pytest.skip(reason)
    with (
        started(StreamingCluster(with_standby=False)) as server,
        started(PgBouncer(server.primary.port)) as bouncer,
    ):
        direct = run_coroutine(server.create_database())
        yield bouncer.url_for(urlsplit(direct).path.lstrip("/")), direct


@pytest.fixture(params=["postgres", "sqlite", pytest.param("pgbouncer", marks=pytest.mark.cluster)])
async def contract_persistence(
    request: pytest.FixtureRequest, pg_url: str, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[AsyncPersistenceLayer]:
    """The facade on each backend in turn, migrated and empty; ``pgbouncer`` is PostgreSQL
    through PgBouncer in transaction mode, with ``pool_mode="transaction"``."""
    if request.param == "pgbouncer":
        url, direct = request.getfixturevalue("pgbouncer_database")
        # as a deployment behind PgBouncer would: layers built from the environment know too
        monkeypatch.setenv("MUD_PERSISTENCE_POOL_MODE", "transaction")
        layer = AsyncPersistenceLayer(settings=settings_for(url, pool_mode="transaction"))
    else:
        url = direct = pg_url if request.param == "postgres" else sqlite_url
        layer = AsyncPersistenceLayer(url)
    await layer.connect(migrate=True)
    yield layer
    await layer.close()
    if request.param != "sqlite":
        await empty_tables(direct)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No MUD_PERSISTENCE_* or DATABASE_URL variables, so settings show their defaults."""
    for name in list(os.environ):
        if name.startswith("MUD_PERSISTENCE_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    yield


async def stored_player(layer: AsyncPersistenceLayer, player: Player) -> Player:
    """``player`` as the database holds it now, read again through ``layer``."""
    found = await layer.get_player_by_id(player.player_id)
    assert found is not None, f"{player} is not in the database"
    return found


def settings_for(url: str, **overrides: object) -> PersistenceSettings:
    return PersistenceSettings(database_url=url, **overrides)  # type: ignore[arg-type]


@pytest.fixture
async def pg_layer(pg_url: str) -> AsyncIterator[AsyncPersistenceLayer]:
    """A connected layer with the default settings on the test PostgreSQL; tables emptied
    after the test."""
    async with AsyncPersistenceLayer(settings=settings_for(pg_url)) as connected:
        yield connected
    await empty_tables(pg_url)


# import_legacy's old-schema game, for the facade and the CLI tests
from tests.integration.legacy_world import old_game  # noqa: E402, F401
from tests.integration.one_connection import one_connection_layer  # noqa: E402, F401
