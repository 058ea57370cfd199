"""`mud-persistence import-legacy`, as an operator runs it."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import asyncpg
import pytest

from bench.import_legacy import SCHEMA, generate
from mud_persistence.cli import main
from tests.integration import legacy_world as world
from tests.integration.test_import_legacy import snapshot


async def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def players_in(url: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM players"))
    finally:
        await connection.close()


async def test_import_migrates_a_new_target_shows_a_summary_and_verifies(
    old_game: str, fresh_database, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = await fresh_database()  # not migrated: the command migrates it first
    report_file = tmp_path / "report.json"
    code, out, err = await cli(
        capsys, "import-legacy", "--from", old_game, "--schema", world.SCHEMA, "--db", target,
        "--on-conflict", "fix", "--batch-size", "2", "--report", str(report_file),
    )  # fmt: skip

    assert code == 0, out + err
    assert "importing players" in err  # the progress bars
    assert "verified" in out and "VERIFICATION FAILED" not in out
    summary = next(line for line in out.splitlines() if line.startswith("│ players"))
    assert [cell.strip() for cell in summary.split("│")[2:8]] == ["7", "7", "7", "0", "3", "yes"]
    assert await players_in(target) == 7
    report = json.loads(report_file.read_text())
    assert report["outcome"] == "imported" and report["on_conflict"] == "fix"


async def test_stop_exits_1_with_one_line_and_writes_nothing(
    old_game: str, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = await players_in(pg_url)
    code, out, err = await cli(
        capsys, "import-legacy", "--from", old_game, "--schema", world.SCHEMA, "--db", pg_url
    )

    assert code == 1
    assert err.splitlines()[-1] == (
        "mud-persistence import-legacy: stopped on 11 problem(s); nothing was written"
    )
    assert "strength is 1200" in out and "--on-conflict skip" in out
    assert await players_in(pg_url) == before


async def test_dry_run_exits_0_and_writes_nothing(
    old_game: str, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = await players_in(pg_url)
    code, out, _ = await cli(
        capsys, "import-legacy", "--from", old_game, "--schema", world.SCHEMA, "--db", pg_url,
        "--dry-run", "--on-conflict", "skip",
    )  # fmt: skip

    assert code == 0
    assert "dry run: nothing was written" in out
    assert await players_in(pg_url) == before


async def test_a_report_file_that_cannot_be_written_is_one_readable_line(
    old_game: str, pg_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report_file = tmp_path / "no such folder" / "report.json"
    code, _, err = await cli(
        capsys, "import-legacy", "--from", old_game, "--schema", world.SCHEMA, "--db", pg_url,
        "--dry-run", "--report", str(report_file),
    )  # fmt: skip

    assert code == 1
    assert err.splitlines()[-1].startswith("mud-persistence import-legacy: cannot write the report")


async def test_an_unreachable_source_is_one_readable_line(
    pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = "postgres://someone:s3cret@127.0.0.1:1/old_game"
    code, out, err = await cli(capsys, "import-legacy", "--from", source, "--db", pg_url)

    assert code == 1 and out == ""
    assert err.startswith("mud-persistence import-legacy: connect failed on the source ")
    assert "'old_game' on 127.0.0.1:1" in err and "s3cret" not in err
    assert err.count("\n") == 1


def test_a_sqlite_target_is_refused_before_anything_is_created(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["import-legacy", "--from", "postgres://x/y", "--db", sqlite_url])
    err = capsys.readouterr().err

    assert code == 1 and "the target must be PostgreSQL" in err
    assert not Path(sqlite_url.removeprefix("sqlite://")).exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["import-legacy"],
        ["import-legacy", "--from", "postgres://x/y", "--on-conflict", "merge"],
        ["import-legacy", "--from", "postgres://x/y", "--batch-size", "many"],
        ["import-legacy", "--from", "postgres://x/y", "--batch-size", "0"],
        ["import-legacy", "--from", "postgres://x/y", "--batch-size", "100001"],
    ],
)
def test_a_bad_command_line_exits_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2


async def test_a_process_killed_mid_import_then_run_again_equals_a_clean_import(
    fresh_database, mud_persistence_server_url: str
) -> None:
    source = await fresh_database()
    await generate(source, players=3000, items=9000, containers=600)
    killed, clean = await fresh_database(), await fresh_database()
    command = [sys.executable, "-m", "mud_persistence.cli", "import-legacy", "--from", source,
               "--schema", SCHEMA, "--batch-size", "200"]  # fmt: skip

    process = await asyncio.create_subprocess_exec(
        *command,
        "--db",
        killed,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    watcher = await asyncpg.connect(killed)
    try:
        while process.returncode is None:  # kill it once the first players are committed
            present = await watcher.fetchval("SELECT to_regclass('players') IS NOT NULL")
            if present and await watcher.fetchval("SELECT count(*) FROM players"):
                process.send_signal(signal.SIGKILL)
                break
            await asyncio.sleep(0.05)
        assert await process.wait() == -signal.SIGKILL
        assert await watcher.fetchval("SELECT count(*) FROM item_instances") < 9000
    finally:
        await watcher.close()

    for target in (killed, clean):
        rerun = await asyncio.create_subprocess_exec(*command, "--db", target,
                                                     stdout=asyncio.subprocess.DEVNULL)  # fmt: skip
        assert await rerun.wait() == 0
    connections = [await asyncpg.connect(url) for url in (killed, clean)]
    try:
        assert await snapshot(connections[0]) == await snapshot(connections[1])
    finally:
        for connection in connections:
            await connection.close()
