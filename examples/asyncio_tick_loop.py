"""A plain asyncio game loop on mud-persistence: one world tick task, one task per player.

Run it with ``python -m examples.asyncio_tick_loop`` from the repository root: it uses
``DATABASE_URL``, else the SQLite file ``mud_persistence.sqlite3``, and builds the schema first.

Every task shares the one layer. The world tick regenerates 1 DP for each player and sweeps
decayed corpses; each player task fights (damage), learns (XP) and rests until the game ends.
Nothing here holds a lock or re-reads a value to write it back: each counter call is atomic, so
the tick and the players never lose each other's changes.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.models import Player

NAMES = ("Armitage", "Rice", "Morgan", "Wilmarth")
XP_PER_FIGHT = 5


@dataclass
class GameSummary:
    ticks: int
    fights: dict[str, int]  # player name -> fights fought
    corpses_swept: int


async def world_tick(
    persistence: AsyncPersistenceLayer, party: list[Player], ticks: int, seconds: float
) -> int:
    """Run ``ticks`` world ticks, ``seconds`` apart; return how many corpses decayed away."""
    swept = 0
    for _ in range(ticks):
        await asyncio.sleep(seconds)
        await asyncio.gather(*(persistence.heal_player(player, 1) for player in party))
        for corpse in await persistence.get_decayed_container_data():
            swept += await persistence.delete_container(corpse.container_id)
    return swept


async def play(persistence: AsyncPersistenceLayer, player: Player, game_over: asyncio.Event) -> int:
    """One connected player until the game ends; return how many fights it fought."""
    fights = 0
    while not game_over.is_set():
        await persistence.damage_player(player, random.randint(1, 3), "claw")
        await persistence.gain_experience(player, XP_PER_FIGHT, "ghoul")
        fights += 1
        await asyncio.sleep(random.uniform(0.005, 0.02))  # resting
    return fights


async def join(persistence: AsyncPersistenceLayer, name: str) -> Player:
    """The player called ``name``, created on first login."""
    player = await persistence.get_player_by_name(name)
    if player is None:
        player = await persistence.create_player(name=name, user_id=uuid.uuid4())
    return player


async def run_game(
    persistence: AsyncPersistenceLayer, *, ticks: int = 20, tick_seconds: float = 0.05
) -> GameSummary:
    """Log the party in, run the world for ``ticks`` ticks alongside the players, log out."""
    party = [await join(persistence, name) for name in NAMES]
    game_over = asyncio.Event()
    players = [asyncio.create_task(play(persistence, p, game_over)) for p in party]
    try:
        swept = await world_tick(persistence, party, ticks, tick_seconds)
    finally:
        game_over.set()  # players finish their current action, then log out
        fights = await asyncio.gather(*players)
    return GameSummary(ticks, {p.name: n for p, n in zip(party, fights, strict=True)}, swept)


async def main() -> None:
    persistence = AsyncPersistenceLayer()
    await persistence.upgrade()  # a new database gets its schema
    async with persistence:
        summary = await run_game(persistence)
        for name, fights in summary.fights.items():
            player = await persistence.get_player_by_name(name)
            assert player is not None
            print(f"{name}: {fights} fights, {player.current_dp} DP, level {player.level}")
    print(f"{summary.ticks} ticks, {summary.corpses_swept} corpses swept")


if __name__ == "__main__":
    asyncio.run(main())
