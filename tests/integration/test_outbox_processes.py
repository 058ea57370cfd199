"""The outbox across OS processes: a writer killed with SIGKILL right after its commits loses
none of their events to the other process, which gets no rolled-back one, in commit order per
player; rooms saved and professions seeded in one process reach the other's cache."""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import subprocess
import sys
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.events import (
    Event,
    ItemTransferred,
    PlayerXPAwarded,
    ProfessionsSeeded,
    RecordingBus,
    RoomsSaved,
)
from mud_persistence.settings import load_settings
from tests.integration.outbox_child import ROOM_ID

pytestmark = pytest.mark.usefixtures("cleanup")
ROOT = Path(__file__).resolve().parents[2]


def start_child(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.outbox_child", *args],
        cwd=ROOT,
        stderr=subprocess.PIPE,
    )


async def wait_for(condition: Callable[[], object], seconds: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        met = condition()
        if inspect.isawaitable(met):
            met = await met
        if met:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        await asyncio.sleep(0.05)


async def test_a_writer_killed_after_its_commits_loses_no_event_to_the_other_process(
    pg_url: str, tmp_path: Path, raw: asyncpg.Connection
) -> None:
    bus = RecordingBus()
    settings = load_settings(
        database_url=pg_url, outbox_orphan_grace=1.0, outbox_relay_interval=0.2
    )
    async with AsyncPersistenceLayer(settings=settings, event_bus=bus) as layer:
        await layer.seed_item_prototypes()
        chest = await layer.create_container_data("corpse", room_id="hall", capacity_slots=20)
        for n in range(1000):
            await layer.create_item_instance(f"fine-{n}", "misc.coin.silver")
            await layer.create_item_instance(f"doomed-{n}", "misc.coin.silver")
        players = [
            str((await layer.create_player(name=f"Writer{n}", user_id=uuid.uuid4())).player_id)
            for n in range(4)
        ]
        received: list[Event] = []
        subscription = await layer.subscribe(received.append)

        log = tmp_path / "committed.log"
        child = start_child("awards", pg_url, str(log), str(chest.container_id), *players)
        try:
            await wait_for(lambda: log.exists() and log.read_text().count("\n") > 400, 60, "awards")
        finally:
            os.kill(child.pid, signal.SIGKILL)  # right after commits: mid-stream
            child.wait()
        assert child.returncode == -signal.SIGKILL, child.stderr.read().decode()  # type: ignore[union-attr]

        lines = log.read_text().splitlines()
        committed_xp = {(p, int(xp)) for kind, p, xp in _split(lines, "xp")}
        committed_moves = {item for (_, item) in _split(lines, "move")}

        def got_everything() -> bool:
            xp = {(str(e.player_id), e.new_xp) for e in received if isinstance(e, PlayerXPAwarded)}
            moved = {e.item_instance_id for e in received if isinstance(e, ItemTransferred)}
            return committed_xp <= xp and committed_moves <= moved

        await wait_for(got_everything, 30, "every committed event")
        # the orphans (committed, never published by the dead writer) reach this process's bus,
        # which then deletes the dead writer's position: only this process's is left
        positions = "SELECT array_agg(origin) FROM outbox_origins"
        only_this = [layer._outbox.origin]
        await wait_for(
            lambda: _equals(raw.fetchval(positions), only_this), 30, "orphans re-published"
        )
        await subscription.close()

    once = {(e.event_id, type(e)): e for e in received}.values()  # at least once: dedupe
    awards = [e for e in once if isinstance(e, PlayerXPAwarded)]
    per_player: dict[str, list[int]] = defaultdict(list)
    for event in awards:
        per_player[str(event.player_id)].append(event.new_xp)
    for player, totals in per_player.items():
        # in commit order, and none missing: every award up to the last one received
        assert totals == list(range(1, totals[-1] + 1)), f"{player}: {totals}"
    moved = {e.item_instance_id for e in once if isinstance(e, ItemTransferred)}
    in_chest = {r[0] for r in await raw.fetch("SELECT item_instance_id FROM container_contents")}
    assert moved == in_chest  # every committed move, and no rolled-back (doomed) one
    assert not [item for item in moved if item.startswith("doomed")]
    ids = [e.event_id for e in received]
    assert ids == sorted(ids)
    # what the dead writer's bus never got, this process's bus did
    orphans = {(str(e.player_id), e.new_xp) for e in bus.of(PlayerXPAwarded)}
    assert orphans, "no orphan was re-published here"
    assert orphans <= {(str(e.player_id), e.new_xp) for e in awards}


async def _equals(value: Awaitable[object], expected: object) -> bool:
    return await value == expected


def _split(lines: list[str], kind: str) -> list[tuple[str, ...]]:
    return [tuple(line.split()) for line in lines if line.startswith(kind + " ")]


async def test_rooms_and_professions_from_another_process_reach_this_one(pg_url: str) -> None:
    settings = load_settings(database_url=pg_url, outbox_relay_interval=0.2)
    async with AsyncPersistenceLayer(settings=settings) as layer:
        assert layer.get_room_by_id(ROOM_ID) is None
        seen: list[Event] = []
        subscription = await layer.subscribe(seen.append)
        child = start_child("rooms", pg_url)
        assert await asyncio.to_thread(child.wait) == 0, child.stderr.read().decode()  # type: ignore[union-attr]
        await wait_for(lambda: layer.get_room_by_id(ROOM_ID) is not None, 15, "room cached")
        await wait_for(
            lambda: any(isinstance(e, ProfessionsSeeded) for e in seen), 15, "seeding seen"
        )
        room = layer.get_room_by_id(ROOM_ID)
        assert room.name == "A room made elsewhere"
        assert [e.rooms[0]["id"] for e in seen if isinstance(e, RoomsSaved)] == [ROOM_ID]
        await subscription.close()
