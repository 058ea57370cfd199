"""A second game process for the outbox tests (run with ``python -m``).

``awards URL LOG PLAYER...``: award 1 XP to each player, forever, from one task per player,
appending ``player_id new_xp`` to LOG after each award returned (that is, committed); every
tenth round also moves an item into a chest and logs it, and tries a move that fails after
its outbox row was written (rolled back: the item's id starts with ``doomed``). The test kills
this process with SIGKILL.

``rooms URL``: save a room and seed the professions, then close.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from typing import Any

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.repositories import container
from mud_persistence.schemas.room import Room

ROOM_ID = "earth_far_shard_room_new_001"


def fail_doomed_moves() -> None:
    real = container.record

    async def record(kind: str, payload: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        await real(kind, payload, *args, **kwargs)
        if str(payload.get("item_instance_id", "")).startswith("doomed"):
            raise RuntimeError("rolled back after the outbox row was written")

    container.record = record  # type: ignore[assignment]


async def award_forever(layer: AsyncPersistenceLayer, player_id: str, log: Any) -> None:
    while True:
        award = await layer.update_player_xp(player_id, 1, "child")
        log.write(f"xp {player_id} {award.new_xp}\n")
        log.flush()


async def move_items(layer: AsyncPersistenceLayer, chest: str, log: Any) -> None:
    for n in range(1000):
        await asyncio.sleep(0.01)
        with contextlib.suppress(RuntimeError):
            await layer.add_item_to_container(chest, f"doomed-{n}")
        await layer.add_item_to_container(chest, f"fine-{n}")
        log.write(f"move fine-{n}\n")
        log.flush()


async def awards(url: str, log_path: str, chest: str, players: list[str]) -> None:
    fail_doomed_moves()
    layer = AsyncPersistenceLayer(url)
    await layer.connect()
    with open(log_path, "a", encoding="utf-8") as log:  # noqa: ASYNC230 (a line per award)
        log.write(f"pid {os.getpid()}\n")
        log.flush()
        tasks = [award_forever(layer, player, log) for player in players]
        await asyncio.gather(move_items(layer, chest, log), *tasks)


async def rooms(url: str) -> None:
    async with AsyncPersistenceLayer(url) as layer:
        layer.save_room(Room(id=ROOM_ID, name="A room made elsewhere"))
        await layer.seed_professions()


if __name__ == "__main__":
    if sys.argv[1] == "awards":
        asyncio.run(awards(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]))
    else:
        asyncio.run(rooms(sys.argv[2]))
