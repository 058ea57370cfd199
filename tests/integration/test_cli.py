"""The mud-persistence command line, as a newcomer would run it."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import asyncpg
import pytest

from mud_persistence.cli import main
from mud_persistence.settings import default_migrations_location


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_demo_on_sqlite_verifies_every_invariant(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "demo", "--db", sqlite_url)
    assert code == 0, out + err
    verified = re.search(r"invariants verified: (\d+) of (\d+)", out)
    assert verified and verified.group(1) == verified.group(2) and int(verified.group(2)) >= 8
    assert "FAILED" not in out
    assert "total operations" in out


async def test_demo_migrates_a_new_postgres_database_and_runs_again_on_it(
    fresh_database, capsys: pytest.CaptureFixture[str]
) -> None:
    url = await fresh_database()
    for _ in range(2):
        code, out, err = await asyncio.to_thread(run, capsys, "demo", "--db", url)
        assert code == 0, out + err
        assert "FAILED" not in out


def test_upgrade_status_and_seed(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "status", "--db", sqlite_url)
    assert code == 0 and "pending  0_" in out and "schema is behind" in out
    code, out, _ = run(capsys, "upgrade", "--db", sqlite_url)
    migrations = sorted((default_migrations_location() / "models").glob("[0-9]*.py"))
    assert code == 0 and f"applied {len(migrations)} migration(s)" in out
    code, out, _ = run(capsys, "status", "--db", sqlite_url)
    assert code == 0 and "schema is current" in out
    code, out, _ = run(capsys, "seed", "--db", sqlite_url)
    assert code == 0 and out.strip() == "seeded 5 profession(s) and 10 item prototype(s)"


def test_seed_on_a_database_with_pending_migrations_says_what_to_run(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "seed", "--db", sqlite_url)
    assert code == 1 and out == ""
    assert err.startswith("mud-persistence seed: ") and "upgrade" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://game:pw@127.0.0.1:1/world", "cannot connect to the PostgreSQL database"),
        ("mysql://game:pw@127.0.0.1/world", "database_url"),
    ],
)
def test_bad_or_unreachable_databases_are_one_readable_line(
    url: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "status", "--db", url)
    assert code == 1
    assert expected in err and err.count("\n") == 1 and "Traceback" not in err
    assert ":pw@" not in err


@pytest.mark.parametrize("command", ["demo", "upgrade", "status", "seed", "bench"])
def test_every_command_explains_itself(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"] if command != "bench" else ["bench", "--help"])
    assert exited.value.code == 0
    assert "usage: mud-persistence" in capsys.readouterr().out


def test_an_unknown_command_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["explode"])
    assert exited.value.code == 2


def test_bench_passes_its_arguments_to_the_benchmark(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--operations", "no_such_operation"]) == 2  # bench.run refused it
    assert "invalid choice: 'no_such_operation'" in capfd.readouterr().err
    assert main(["bench", "--outbox-pairs", "3"]) == 2
    assert "--outbox-pairs must be an even number" in capfd.readouterr().err


async def test_demo_leaves_nothing_of_its_own_in_the_database(
    fresh_database, capsys: pytest.CaptureFixture[str]
) -> None:
    url = await fresh_database()
    code, out, err = await asyncio.to_thread(run, capsys, "demo", "--db", url)
    assert code == 0, out + err
    assert "Cleaned up: deleted the 8 investigators and 8 containers" in out
    connection = await asyncpg.connect(url)
    try:
        for table in ("players", "containers", "item_instances"):
            assert await connection.fetchval(f"SELECT count(*) FROM {table}") == 0, table
        assert await connection.fetchval("SELECT count(*) FROM item_prototypes") > 0
    finally:
        await connection.close()


def test_seed_with_one_file_loads_only_that_file(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prototypes = tmp_path / "prototypes.json"
    prototypes.write_text(
        json.dumps([{"prototype_id": "misc.pebble", "name": "a pebble", "item_type": "misc"}])
    )
    assert run(capsys, "upgrade", "--db", sqlite_url)[0] == 0
    code, out, err = run(capsys, "seed", "--db", sqlite_url, "--prototypes", str(prototypes))
    assert code == 0, err
    assert out.strip() == "seeded 0 profession(s) and 1 item prototype(s)"


def test_status_of_a_sqlite_file_that_does_not_exist_does_not_create_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "not_yet" / "game.sqlite3"
    code, out, _ = run(capsys, "status", "--db", f"sqlite:///{path}")
    assert code == 0 and "pending  0_" in out and "schema is behind" in out
    assert not path.parent.exists()


def test_a_bad_option_shows_the_usage_of_that_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["status", "--bogus"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: mud-persistence status [-h] [--db URL]")
    assert "unrecognized arguments: --bogus" in err
