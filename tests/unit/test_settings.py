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


def test_an_orphan_grace_within_one_relay_interval_is_refused() -> None:
    with pytest.raises(PydanticValidationError, match="outbox_orphan_grace"):
        PersistenceSettings(outbox_relay_interval=5, outbox_orphan_grace=5)


def test_descriptions_and_scrubbing_never_show_the_password() -> None:
    settings = PersistenceSettings(database_url="postgres://game:hunter2@db.example:6432/world")
    description = settings.describe_database()
    assert description == "PostgreSQL database 'world' on db.example:6432"
    assert settings.scrub("login failed: hunter2") == "login failed: ***"


def test_pool_mode_defaults_to_session_with_a_startup_statement_timeout() -> None:
    settings = PersistenceSettings(database_url="postgres://game@db:5432/world")
    assert settings.pool_mode == "session"
    credentials = tortoise_config(settings)["connections"]["postgres"]["credentials"]
    assert credentials["server_settings"] == {"statement_timeout": "30000"}
    assert "statement_cache_size" not in credentials


def test_transaction_pool_mode_drops_prepared_statements_and_startup_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MUD_PERSISTENCE_POOL_MODE", "transaction")
    settings = PersistenceSettings(database_url="postgres://game@db:6432/world")
    assert settings.pool_mode == "transaction"
    credentials = tortoise_config(settings)["connections"]["postgres"]["credentials"]
    assert credentials["statement_cache_size"] == 0
    assert "server_settings" not in credentials
    assert credentials["transaction_statement_timeout"] == 30.0


def test_an_unknown_pool_mode_is_refused() -> None:
    with pytest.raises(PydanticValidationError, match="pool_mode"):
        PersistenceSettings(pool_mode="statement")  # type: ignore[arg-type]


def test_replica_urls_are_separated_by_whitespace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "MUD_PERSISTENCE_REPLICA_URLS",
        "postgres://game@r1:5432,r2:5432/world  postgresql://game@r3/world\n",
    )
    assert PersistenceSettings().replica_urls == [
        "postgres://game@r1:5432,r2:5432/world",
        "postgresql://game@r3/world",
    ]


def test_replica_urls_default_to_none_and_must_be_postgres() -> None:
    assert PersistenceSettings().replica_urls == []
    with pytest.raises(PydanticValidationError, match="replica 2 is not a PostgreSQL URL"):
        PersistenceSettings(replica_urls=["postgres://r1/world", "sqlite://x"])
