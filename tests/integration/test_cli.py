"""The mud-persistence command line, as a newcomer would run it."""

from __future__ import annotations

import asyncio
import re

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
