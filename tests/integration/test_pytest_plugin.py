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


def test_a_game_project_gets_a_migrated_isolated_persistence_fixture(
    pytester: pytest.Pytester, mud_persistence_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUD_PERSISTENCE_TEST_SERVER_URL", mud_persistence_server_url)
    pytester.makeconftest('pytest_plugins = ["mud_persistence.testing"]')
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    pytester.makepyfile(test_game=GAME_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


STRICT_GAME_TESTS = """
import uuid

import pytest


@pytest.mark.asyncio
async def test_hits_hurt(persistence):
    player = await persistence.create_player(name="Armitage", user_id=uuid.uuid4())
    assert await persistence.damage_player(player, 5) == 15
"""


def test_the_plugin_works_in_pytest_asyncio_strict_mode(
    pytester: pytest.Pytester, mud_persistence_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUD_PERSISTENCE_TEST_SERVER_URL", mud_persistence_server_url)
    pytester.makeconftest('pytest_plugins = ["mud_persistence.testing"]')
    pytester.makeini("[pytest]\nasyncio_mode = strict\n")
    pytester.makepyfile(test_game=STRICT_GAME_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
