"""The plain asyncio example: a world tick and player tasks sharing one layer lose nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from examples.asyncio_tick_loop import NAMES, XP_PER_FIGHT, run_game
from mud_persistence import AsyncPersistenceLayer
from mud_persistence.events import PlayerDPUpdated, PlayerXPAwarded, RecordingBus

ROOT = Path(__file__).resolve().parents[2]


async def test_the_tick_loop_and_the_players_never_lose_each_others_changes(pg_url: str) -> None:
    bus = RecordingBus()
    async with AsyncPersistenceLayer(pg_url, event_bus=bus) as persistence:
        await persistence.seed_item_prototypes()
        corpse = await persistence.create_container_data(
            "corpse",
            room_id="earth_arkhamcity_sanitarium_room_foyer_001",
            decay_at=datetime.now(UTC) - timedelta(minutes=1),
            items=[{"item_id": "misc.coin.silver"}],
        )
        summary = await run_game(persistence, ticks=10, tick_seconds=0.02)

        assert summary.ticks == 10 and summary.corpses_swept == 1
        assert await persistence.get_container_data(corpse.container_id) is None
        assert set(summary.fights) == set(NAMES) and all(summary.fights.values())
        for name, fights in summary.fights.items():
            player = await persistence.get_player_by_name(name)
            assert player is not None
            assert player.experience_points == fights * XP_PER_FIGHT
            dp_events = [e for e in bus.of(PlayerDPUpdated) if e.player_id == player.player_uuid]
            assert len(dp_events) == fights + summary.ticks  # every hit and every regeneration
            assert player.current_dp == 20 + sum(e.delta for e in dp_events)
        assert len(bus.of(PlayerXPAwarded)) == sum(summary.fights.values())


def test_the_example_runs_as_a_program_on_a_new_sqlite_file(tmp_path: Path) -> None:
    database = tmp_path / "game.sqlite3"
    done = subprocess.run(
        [sys.executable, "-m", "examples.asyncio_tick_loop"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{database}"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Armitage:" in done.stdout and "20 ticks, 0 corpses swept" in done.stdout
    assert done.stderr == ""
