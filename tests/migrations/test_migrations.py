"""The committed Aerich migrations build the schema the models describe, and can be undone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.models import ALL_MODELS, EXPRESSION_INDEXES, check_constraints
from mud_persistence.repositories.schema import SchemaManager
from tests.conftest import settings_for

REPO = Path(__file__).resolve().parents[2]
AERICH = Path(sys.executable).with_name("aerich")
TABLES = {model._meta.db_table for model in ALL_MODELS} | {"aerich"}


def run_aerich(cwd: Path, url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": url}
    result = subprocess.run(
        [str(AERICH), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


async def table_names(url: str) -> set[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await connection.close()
    return {row["tablename"] for row in rows}


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """The repository's Aerich config and migrations, so `aerich migrate` cannot touch them."""
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(REPO / "migrations", tmp_path / "migrations")
    return tmp_path


async def test_aerich_cli_upgrade_creates_every_table_and_migrate_finds_no_drift(
    fresh_database, repo_copy: Path
) -> None:
    url = await fresh_database()
    output = run_aerich(repo_copy, url, "upgrade")
    assert "Success upgrading" in output
    assert await table_names(url) == TABLES

    output = run_aerich(repo_copy, url, "migrate", "--name", "drift_check")
    assert "No changes detected" in output
    assert sorted(p.name for p in (repo_copy / "migrations/models").iterdir()) == sorted(
        p.name for p in (REPO / "migrations/models").iterdir()
    )


async def test_upgrade_downgrade_upgrade_on_an_empty_database(fresh_database) -> None:
    url = await fresh_database()
    manager_layer = AsyncPersistenceLayer(url)
    files = SchemaManager(settings_for(url)).migration_files

    assert await manager_layer.upgrade() == files
    assert (await manager_layer.migration_status()).is_current

    undone = await SchemaManager(settings_for(url)).downgrade_latest()
    assert undone == files[-1:]
    status = await manager_layer.migration_status()
    assert status.pending == files[-1:]

    assert await manager_layer.upgrade() == files[-1:]
    assert await table_names(url) == TABLES
    assert await manager_layer.upgrade() == []


async def test_every_rule_the_models_declare_exists_in_the_migrated_database(raw) -> None:
    rows = await raw.fetch(
        "SELECT conrelid::regclass::text AS table_name, conname FROM pg_constraint"
        " WHERE contype = 'c' AND conrelid <> 0"
    )
    in_database = {(row["table_name"], row["conname"]) for row in rows}
    declared = {
        (table, constraint.name)
        for table, constraints in check_constraints().items()
        for constraint in constraints
    }
    assert declared == in_database

    indexes = {row["indexname"] for row in await raw.fetch("SELECT indexname FROM pg_indexes")}
    assert set(EXPRESSION_INDEXES) <= indexes


async def test_migration_status_before_and_after_upgrade(fresh_database) -> None:
    url = await fresh_database()
    layer = AsyncPersistenceLayer(url)
    before = await layer.migration_status()
    assert before.applied == [] and not before.is_current
    await layer.upgrade()
    after = await layer.migration_status()
    assert after.pending == [] and after.is_current
    assert after.applied == before.pending
