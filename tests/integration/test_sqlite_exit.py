"""SQLite programs end cleanly: no hang when close() is forgotten, no thread noise on failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FORGETS_TO_CLOSE = """
import asyncio, sys
from mud_persistence import AsyncPersistenceLayer

async def main():
    persistence = AsyncPersistenceLayer(sys.argv[1])
    await persistence.connect(migrate=True)
    raise RuntimeError("the game crashed before calling close()")

asyncio.run(main())
"""


def python(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *argv], capture_output=True, text=True, timeout=60, check=False
    )


def test_a_program_that_never_closes_a_sqlite_layer_still_exits(tmp_path: Path) -> None:
    try:
        done = subprocess.run(
            [sys.executable, "-c", FORGETS_TO_CLOSE, f"sqlite:///{tmp_path / 'game.sqlite3'}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError("the process hung at exit: aiosqlite's thread kept it") from None
    assert done.returncode == 1
    assert "the game crashed before calling close()" in done.stderr


def test_a_cli_command_failing_on_sqlite_prints_one_line_and_nothing_else(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'x.sqlite3'}"
    # the thread's noise came from a race with the loop closing: several runs catch it
    for _ in range(5):
        done = python("-m", "mud_persistence.cli", "upgrade", "--db", url)
        assert done.returncode == 1
        assert done.stderr.startswith("mud-persistence upgrade: cannot connect to the SQLite file")
        assert done.stderr.count("\n") == 1, done.stderr
