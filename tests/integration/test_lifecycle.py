"""connect(), close() and the schema check on a real PostgreSQL server."""

from __future__ import annotations

import asyncio
import re
import shlex
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import pytest

from mud_persistence import AsyncPersistenceLayer, DatabaseError, SchemaError
from mud_persistence.models import Profession

PASSWORD = "s3cr3t-Pa55word"


def with_credentials(url: str, *, user: str, port: int | None = None) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{user}:{PASSWORD}@{host}" + (f":{port or parts.port}" if port or parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


async def test_unreachable_server_raises_database_error_naming_host_and_database() -> None:
    layer = AsyncPersistenceLayer(f"postgres://postgres:{PASSWORD}@127.0.0.1:1/gamedb")
    with pytest.raises(DatabaseError) as caught:
        await layer.connect()
    message = str(caught.value)
    assert "127.0.0.1:1" in message and "'gamedb'" in message
    assert PASSWORD not in message
    assert caught.value.operation == "connect"


async def test_wrong_credentials_raise_database_error_without_the_password(pg_url: str) -> None:
    layer = AsyncPersistenceLayer(with_credentials(pg_url, user="no_such_role"))
    with pytest.raises(DatabaseError) as caught:
        await layer.connect()
    assert "no_such_role" in str(caught.value)
    assert PASSWORD not in str(caught.value)


async def test_missing_database_raises_database_error(pg_url: str) -> None:
    url = urlunsplit(urlsplit(pg_url)._replace(path="/mud_no_such_database"))
    with pytest.raises(DatabaseError, match="mud_no_such_database"):
        await AsyncPersistenceLayer(url).connect()


async def test_pending_migrations_refuse_to_connect_and_name_the_command(fresh_database) -> None:
    url = await fresh_database()
    layer = AsyncPersistenceLayer(url)
    with pytest.raises(SchemaError, match="mud-persistence upgrade --db URL` or `aerich upgrade"):
        await layer.connect()
    await layer.connect(migrate=True)
    assert (await layer.migration_status()).is_current
    await layer.close()


async def test_a_task_created_before_connect_uses_the_layer_after_connect(pg_url: str) -> None:
    layer = AsyncPersistenceLayer(pg_url)
    connected = asyncio.Event()

    async def game_tick() -> tuple[bool, int]:
        await connected.wait()
        status = await layer.migration_status()
        return status.is_current, await Profession.all().count()

    tick = asyncio.create_task(game_tick())
    await layer.connect()
    connected.set()
    try:
        assert await tick == (True, 0)
    finally:
        await layer.close()


async def test_async_with_connects_and_closes(pg_url: str) -> None:
    async with AsyncPersistenceLayer(pg_url) as layer:
        assert (await layer.migration_status()).is_current
    await layer.close()  # closing twice is harmless


async def test_two_layers_on_one_database_work_side_by_side(pg_url: str) -> None:
    async with AsyncPersistenceLayer(pg_url) as first, AsyncPersistenceLayer(pg_url) as second:
        statuses = await asyncio.gather(first.migration_status(), second.migration_status())
    assert all(status.is_current for status in statuses)


async def test_a_sqlite_layer_cannot_open_beside_a_postgres_one(
    pg_url: str, sqlite_url: str
) -> None:
    async with AsyncPersistenceLayer(pg_url):
        with pytest.raises(DatabaseError, match="one SQL dialect at a time"):
            await AsyncPersistenceLayer(sqlite_url).connect(migrate=True)


async def test_a_new_sqlite_file_names_the_command_that_builds_it(sqlite_url: str) -> None:
    with pytest.raises(SchemaError) as caught:
        await AsyncPersistenceLayer(sqlite_url).connect()
    message = str(caught.value)
    assert "aerich" not in message  # Aerich's migrations are PostgreSQL SQL
    command = re.search(r"`(mud-persistence upgrade --db \S+)`", message)
    assert command is not None, message
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "mud_persistence.cli", *shlex.split(command.group(1))[1:]],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    async with AsyncPersistenceLayer(sqlite_url) as layer:
        assert (await layer.migration_status()).is_current
