"""The mud-persistence command line."""

from __future__ import annotations

import pytest

from mud_persistence.cli import main


def test_demo_builds_a_sqlite_database_and_reports_it_current(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--db", sqlite_url]) == 0
    assert "schema is current" in capsys.readouterr().out
    assert main(["demo", "--db", sqlite_url]) == 0  # a second run finds nothing to do
    assert "applied 0 migration(s)" in capsys.readouterr().out


def test_status_shows_pending_migrations_of_an_empty_database(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--db", sqlite_url]) == 0
    output = capsys.readouterr().out
    assert "pending  0_" in output and "schema is behind" in output


def test_an_unreachable_server_is_one_readable_line_and_exit_code_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["status", "--db", "postgres://game:pw@127.0.0.1:1/world"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("mud-persistence status: cannot connect to the PostgreSQL database")
    assert error.count("\n") == 1 and "Traceback" not in error


def test_an_unknown_command_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["explode"])
    assert exited.value.code == 2
