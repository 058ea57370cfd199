"""The pytest plugin, used the way a game project would use it."""

from __future__ import annotations

import pytest

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
