"""`mud-persistence shell` and `dbshell`, driven through a terminal as a person would."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pexpect
import pytest

from mud_persistence import PersistenceSettings
from mud_persistence.shell import dbshell_command

PROMPT = ">>> "


def spawn(*argv: str, cwd: Path) -> pexpect.spawn:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "mud_persistence.cli", *argv],
        cwd=str(cwd),
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 200),
    )
    return child


def ask(child: pexpect.spawn, line: str, expected: str = "") -> None:
    """Type ``line`` at the prompt; ``expected`` must appear in the answer, before the next
    prompt (the terminal's echo of the line itself does not count)."""
    child.sendline(line)
    child.expect_exact(line)
    child.expect_exact(PROMPT)
    assert expected in child.before, child.before


def leave(child: pexpect.spawn) -> int:
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    return int(child.exitstatus or 0)


def test_shell_on_a_new_sqlite_file_builds_the_schema_and_awaits_at_the_prompt(
    tmp_path: Path,
) -> None:
    database = tmp_path / "world.sqlite3"
    child = spawn("shell", "--db", f"sqlite:///{database}", cwd=tmp_path)
    child.expect_exact(f"mud-persistence shell on the SQLite file {database}")
    child.expect_exact(PROMPT)
    ask(child, "import uuid")
    ask(child, 'p = await persistence.create_player(name="Armitage", user_id=uuid.uuid4())')
    ask(child, '(await persistence.get_player_by_name("ARMITAGE")).name', "'Armitage'")
    ask(child, "await Player.filter(name='Armitage').count()", "1")
    ask(child, "await persistence.damage_player(p, 5)", "15")
    ask(child, "persistence.list_rooms()[0].name", "'")  # sync methods are called plainly
    ask(child, "await persistence.get_player_by_id('nope')", "ValidationError")
    assert leave(child) == 0
    assert database.exists()


def test_shell_on_postgres_reads_the_configured_database(pg_url: str, tmp_path: Path) -> None:
    child = spawn("shell", "--db", pg_url, cwd=tmp_path)
    child.expect_exact("mud-persistence shell on the PostgreSQL database")
    child.expect_exact(PROMPT)
    ask(child, 'print(await persistence.get_player_by_name("Nobody"))', "None")
    ask(child, "(await persistence.migration_status()).is_current", "True")
    assert leave(child) == 0


def test_dbshell_opens_sqlite3_on_the_file(tmp_path: Path) -> None:
    database = tmp_path / "world.sqlite3"
    sqlite3.connect(database).close()  # an existing file: dbshell never creates one
    child = spawn("dbshell", "--db", f"sqlite:///{database}", cwd=tmp_path)
    child.expect_exact("sqlite>")
    child.sendline("create table t (x); insert into t values (42); select x * 2 from t;")
    child.expect_exact("84")
    child.sendline(".quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_dbshell_opens_psql_on_the_database(pg_url: str, tmp_path: Path) -> None:
    child = spawn("dbshell", "--db", pg_url, cwd=tmp_path)
    child.expect(r"=[#>] ")
    child.sendline("select count(*) * 7 as answer from players;")
    child.expect_exact("answer")
    child.expect_exact("0")
    child.sendline("\\q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_dbshell_hands_psql_the_password_in_its_environment_only() -> None:
    settings = PersistenceSettings(
        database_url="postgresql://game:s3cret@db1:5433,db2/world?sslmode=require"
    )
    command, environment = dbshell_command(settings)
    assert command[-1].endswith("psql") and "s3cret" not in " ".join(command)
    assert environment["PGPASSWORD"] == "s3cret"
    assert (environment["PGHOST"], environment["PGPORT"]) == ("db1,db2", "5433,5432")
    assert (environment["PGUSER"], environment["PGDATABASE"]) == ("game", "world")
    assert environment["PGSSLMODE"] == "require"


def test_dbshell_refuses_an_in_memory_database(capsys: pytest.CaptureFixture[str]) -> None:
    from mud_persistence.cli import main

    assert main(["dbshell", "--db", "sqlite:///:memory:"]) == 1
    assert "in-memory SQLite database" in capsys.readouterr().err


def test_dbshell_on_a_sqlite_file_that_does_not_exist_does_not_create_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # as `status`: a mistyped path must not leave an empty database file behind
    from mud_persistence.cli import main

    missing = tmp_path / "typo.sqlite3"
    assert main(["dbshell", "--db", f"sqlite:///{missing}"]) == 1
    err = capsys.readouterr().err
    assert "does not exist" in err and "upgrade" in err and err.count("\n") == 1
    assert not missing.exists()
