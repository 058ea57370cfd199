"""PersistenceSettings reads the environment and builds Tortoise's config."""

from __future__ import annotations

import pytest
from pydantic import ValidationError as PydanticValidationError

from mud_persistence.settings import DEFAULT_DATABASE_URL, PersistenceSettings, tortoise_config

pytestmark = pytest.mark.usefixtures("clean_env")


def test_defaults_need_no_environment() -> None:
    settings = PersistenceSettings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.dialect == "sqlite"
    assert (settings.pool_min_size, settings.pool_max_size) == (2, 10)
    assert settings.dp_floor == -10 and settings.xp_per_level is None
    assert (settings.migrations_location / "models").is_dir()


def test_database_url_comes_from_database_url_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://game@db.example:6432/world")
    monkeypatch.setenv("MUD_PERSISTENCE_POOL_MAX_SIZE", "40")
    settings = PersistenceSettings()
    assert settings.dialect == "postgres"
    assert settings.pool_max_size == 40


def test_pool_sizes_reach_the_asyncpg_pool() -> None:
    settings = PersistenceSettings(
        database_url="postgres://game@db:5432/world", pool_min_size=3, pool_max_size=7
    )
    credentials = tortoise_config(settings)["connections"]["postgres"]["credentials"]
    assert (credentials["minsize"], credentials["maxsize"]) == (3, 7)


def test_pool_minimum_above_maximum_is_refused() -> None:
    with pytest.raises(PydanticValidationError, match="pool_min_size"):
        PersistenceSettings(pool_min_size=9, pool_max_size=3)


def test_descriptions_and_scrubbing_never_show_the_password() -> None:
    settings = PersistenceSettings(database_url="postgres://game:hunter2@db.example:6432/world")
    description = settings.describe_database()
    assert description == "PostgreSQL database 'world' on db.example:6432"
    assert settings.scrub("login failed: hunter2") == "login failed: ***"
