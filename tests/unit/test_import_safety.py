"""Importing the package never fails because of the environment; a bad URL is reported on use."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

NONSENSE = "not a url at all: s3cretPW"


def _run(code: str, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("MUD_PERSISTENCE_") and name.upper() != "DATABASE_URL"
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**env, **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+asyncpg://game:pw@db.example:5432/mythos_dev",
        NONSENSE,
        "postgres://game:pw@db:notaport/world?sslmode=sometimes",
    ],
)
def test_import_succeeds_whatever_database_url_holds(url: str) -> None:
    done = _run(
        "import mud_persistence, mud_persistence.settings, mud_persistence.testing; print('ok')",
        DATABASE_URL=url,
    )
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "ok", "")


def test_import_succeeds_with_bad_other_settings() -> None:
    done = _run("import mud_persistence; print('ok')", MUD_PERSISTENCE_POOL_MAX_SIZE="many")
    assert (done.returncode, done.stdout.strip()) == (0, "ok")


def test_aerich_config_is_built_from_a_game_url() -> None:
    done = _run(
        "from mud_persistence.settings import TORTOISE_ORM as c; "
        "print(c['connections']['postgres']['credentials']['host'])",
        DATABASE_URL="postgresql+asyncpg://game:pw@db.example:5432/mythos_dev",
    )
    assert (done.returncode, done.stdout.strip()) == (0, "db.example")


def test_a_bad_url_is_reported_when_aerich_asks_for_the_config() -> None:
    done = _run(
        "import mud_persistence.settings as s\n"
        "try:\n"
        "    s.TORTOISE_ORM\n"
        "except s.ValidationError as exc:\n"
        "    print(exc.field, '|', exc)\n",
        DATABASE_URL=NONSENSE,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        "database_url | invalid settings: database_url (from DATABASE_URL): "
    )
    assert "must start with postgresql://" in done.stdout
    assert "s3cretPW" not in done.stdout


def test_a_bad_url_is_reported_when_the_layer_is_made() -> None:
    done = _run(
        "from mud_persistence import AsyncPersistenceLayer, ValidationError\n"
        "try:\n"
        "    AsyncPersistenceLayer()\n"
        "except ValidationError as exc:\n"
        "    print(exc.field)\n",
        DATABASE_URL=NONSENSE,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "database_url")


def test_aerich_cli_reports_a_bad_url_without_the_password() -> None:
    aerich = os.path.join(os.path.dirname(sys.executable), "aerich")
    done = subprocess.run(
        [aerich, "heads"],
        env={**os.environ, "DATABASE_URL": NONSENSE},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    assert done.returncode != 0
    assert done.stderr.startswith("Error: invalid settings: database_url (from DATABASE_URL): ")
    assert "Traceback" not in done.stderr
    assert "s3cretPW" not in done.stderr + done.stdout
