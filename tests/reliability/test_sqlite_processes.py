"""Several processes sharing one SQLite file: writers wait for each other instead of failing
with "database is locked"."""

from __future__ import annotations

import sqlite3
import textwrap
import time
from pathlib import Path

from tests.migrations.test_migrating_processes import run_processes

SETUP = textwrap.dedent(
    """
    import asyncio, sys, uuid
    from mud_persistence import AsyncPersistenceLayer

    async def setup(url: str) -> None:
        layer = AsyncPersistenceLayer(url)
        await layer.connect(migrate=True)
        player = await layer.create_player(name="Shared", user_id=uuid.uuid4())
        print(player.player_id)
        await layer.close()

    asyncio.run(setup(sys.argv[1]))
    """
)

# Each process sleeps until the same moment, then writes as fast as it can: a new player, XP
# for the shared player (a read-then-write transaction on SQLite) and a batch save.
WRITE = textwrap.dedent(
    """
    import asyncio, sys, time, uuid
    from mud_persistence import AsyncPersistenceLayer

    async def main(url: str, shared_id: str, start: float, rounds: int) -> None:
        layer = AsyncPersistenceLayer(url)
        await layer.connect()
        shared = await layer.get_player_by_id(shared_id)
        time.sleep(max(0.0, start - time.time()))
        try:
            for n in range(rounds):
                name = f"W{uuid.uuid4().hex[:12]}"
                mine = await layer.create_player(name=name, user_id=uuid.uuid4())
                await layer.gain_experience(shared, 1)
                mine.current_room_id = f"room_{n}"
                await layer.save_players([mine])
        finally:
            await layer.close()

    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])))
    """
)


async def test_fault_14_three_processes_writing_one_sqlite_file_all_succeed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shared.sqlite3"
    url = f"sqlite:///{path}"
    [(code, output)] = await run_processes(SETUP, url, count=1, stdout=True)
    assert code == 0, output
    shared_id = output.split()[-1]

    rounds = 40
    start = time.time() + 4  # after every process has imported the package and connected
    results = await run_processes(WRITE, url, shared_id, str(start), str(rounds), count=3)
    failures = [stderr.strip().splitlines()[-1] for code, stderr in results if code != 0]
    assert not failures, failures

    with sqlite3.connect(path) as database:
        players = database.execute("SELECT count(*) FROM players").fetchone()[0]
        xp = database.execute(
            "SELECT experience_points FROM players WHERE name = 'Shared'"
        ).fetchone()[0]
        journal = database.execute("PRAGMA journal_mode").fetchone()[0]
    assert players == 1 + 3 * rounds
    assert xp == 3 * rounds
    assert journal == "wal"
