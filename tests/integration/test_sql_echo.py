"""MUD_PERSISTENCE_ECHO=1: every SQL statement logged with its duration, passwords scrubbed."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from tortoise import connections

from mud_persistence import AsyncPersistenceLayer, PersistenceSettings

PASSWORD = "Echo-s3cret"
LINE = re.compile(r"^\d+\.\d\d ms  \S")


def echoed(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "mud_persistence.sql"]


def with_password(url: str) -> str:
    parts = urlsplit(url)
    user = parts.username or "postgres"
    netloc = f"{user}:{PASSWORD}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


async def test_echo_logs_each_statement_with_its_duration_and_no_password(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mud_persistence.sql")
    settings = PersistenceSettings(database_url=with_password(pg_url), echo=True)
    async with AsyncPersistenceLayer(settings=settings) as layer:
        await layer.get_player_by_name("Armitage")
        with layer._database.bound():  # a statement that carries the password as a value
            await connections.get("postgres").execute_query("SELECT $1::text", [PASSWORD])
    lines = echoed(caplog)
    assert any('FROM "players"' in line and "['armitage'" in line.lower() for line in lines)
    assert all(LINE.match(line) for line in lines), lines
    assert any("SELECT $1::text  parameters: ['***']" in line for line in lines)
    assert not any(PASSWORD in line for line in lines)
    assert not any("pg_advisory_unlock_all" in line for line in lines)  # asyncpg's own


async def test_echo_on_sqlite_logs_statements_with_durations(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mud_persistence.sql")
    settings = PersistenceSettings(database_url=sqlite_url, echo=True)
    layer = AsyncPersistenceLayer(settings=settings)
    await layer.connect(migrate=True)
    try:
        await layer.list_players()
    finally:
        await layer.close()
    lines = echoed(caplog)
    assert any(LINE.match(line) and 'FROM "players"' in line for line in lines), lines


async def test_without_echo_nothing_is_logged(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mud_persistence.sql")
    async with AsyncPersistenceLayer(pg_url) as layer:
        await layer.get_player_by_name("Armitage")
    assert echoed(caplog) == []


def test_the_environment_switch_prints_statements_on_stderr(tmp_path: Path) -> None:
    environment = {**os.environ, "MUD_PERSISTENCE_ECHO": "1"}
    url = f"sqlite:///{tmp_path / 'echo.sqlite3'}"
    done = subprocess.run(
        [sys.executable, "-m", "mud_persistence.cli", "upgrade", "--db", url],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"mud_persistence\.sql \d+\.\d\d ms  CREATE TABLE", done.stderr)
