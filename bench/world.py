"""The benchmark's database: a fresh PostgreSQL database, migrated and filled the same way for
every contender."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from mud_persistence import AsyncPersistenceLayer

ROOM = "bench_room_listing"
# Rooms of the bundled world: the facade moves a player found in an unknown room.
ROOMS = (
    "earth_arkhamcity_sanitarium_room_foyer_001",
    "earth_arkhamcity_sanitarium_room_hallway_001",
)
CONTAINERS_IN_ROOM = 20
ITEMS_PER_CONTAINER = 5


@dataclass
class World:
    url: str
    player_ids: list[uuid.UUID] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    rooms: list[str] = field(default_factory=list)  # each worker's player's current room
    # per worker: [item_instance_id, container holding it, the other container]
    shuttles: list[list] = field(default_factory=list)  # type: ignore[type-arg]

    def flip_room(self, worker: int) -> tuple[str, str]:
        old = self.rooms[worker]
        self.rooms[worker] = ROOMS[1] if old == ROOMS[0] else ROOMS[0]
        return old, self.rooms[worker]

    def flip_shuttle(self, worker: int) -> tuple[str, uuid.UUID, uuid.UUID]:
        item, here, there = self.shuttles[worker]
        self.shuttles[worker] = [item, there, here]
        return item, here, there


def database_url(server_url: str, name: str) -> str:
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


async def create_world(server_url: str, workers: int) -> World:
    name = f"mud_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    world = World(url=database_url(server_url, name))
    layer = AsyncPersistenceLayer(world.url)
    try:
        await layer.connect(migrate=True)
        await layer.seed_item_prototypes()
        for n in range(workers):
            player = await layer.create_player(
                name=f"Bench Player {n}",
                user_id=uuid.uuid4(),
                current_room_id=ROOMS[0],
                stats={"max_dp": 1_000_000, "current_dp": 1_000_000},
            )
            world.player_ids.append(player.player_uuid)
            world.names.append(player.name)
            world.rooms.append(ROOMS[0])
            here = await layer.create_container_data(
                "environment", room_id="bench_shuttle", items=[{"item_id": "misc.coin.silver"}]
            )
            there = await layer.create_container_data("environment", room_id="bench_shuttle")
            item = here.items[0].item_instance_id
            world.shuttles.append([item, here.container_id, there.container_id])
        for _ in range(CONTAINERS_IN_ROOM):
            await layer.create_container_data(
                "environment",
                room_id=ROOM,
                items=[{"item_id": "consumable.bandage"}] * ITEMS_PER_CONTAINER,
            )
    except BaseException:
        await layer.close()
        await drop_world(server_url, world)
        raise
    await layer.close()
    return world


async def drop_world(server_url: str, world: World) -> None:
    admin = await asyncpg.connect(server_url)
    name = urlsplit(world.url).path.lstrip("/")
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()
