"""Contender 1: AsyncPersistenceLayer, the code under test."""

from __future__ import annotations

import uuid
from typing import Any

from mud_persistence import AsyncPersistenceLayer, PersistenceSettings
from mud_persistence.models import Player


class FacadeContender:
    name = "facade"
    outbox = True
    batch_when_busy = True

    def __init__(self, url: str, pool_size: int) -> None:
        settings = PersistenceSettings(
            database_url=url,
            pool_min_size=pool_size,
            pool_max_size=pool_size,
            outbox=self.outbox,
            batch_when_busy=self.batch_when_busy,
        )
        self.layer = AsyncPersistenceLayer(settings=settings)
        self._players: dict[uuid.UUID, Player] = {}

    async def start(self) -> None:
        await self.layer.connect()

    async def stop(self) -> None:
        await self.layer.close()

    async def _player(self, player_id: uuid.UUID) -> Player:
        if player_id not in self._players:
            player = await self.layer.get_player_by_id(player_id)
            assert player is not None
            self._players[player_id] = player
        return self._players[player_id]

    async def get_player_by_id(self, player_id: uuid.UUID) -> Any:
        return await self.layer.get_player_by_id(player_id)

    async def get_player_by_name(self, name: str) -> Any:
        return await self.layer.get_player_by_name(name)

    async def damage_player(self, player_id: uuid.UUID) -> Any:
        return await self.layer.damage_player(await self._player(player_id), 1)

    async def gain_experience(self, player_id: uuid.UUID) -> Any:
        return await self.layer.gain_experience(await self._player(player_id), 1)

    async def heal_player(self, player_id: uuid.UUID) -> Any:
        return await self.layer.heal_player(await self._player(player_id), 1)

    async def update_player_stat_field(self, player_id: uuid.UUID) -> Any:
        return await self.layer.update_player_stat_field(player_id, "magic_points", 1)

    async def save_player(self, player_id: uuid.UUID, old_room: str, new_room: str) -> None:
        player = await self._player(player_id)
        if player.saved_value("current_room_id") != old_room:  # another contender moved it
            self._players.pop(player_id)
            player = await self._player(player_id)
        player.current_room_id = new_room
        await self.layer.save_player(player)

    async def get_containers_by_room_id(self, room_id: str) -> Any:
        return await self.layer.get_containers_by_room_id(room_id)

    async def transfer_item(self, item_id: str, source: uuid.UUID, target: uuid.UUID) -> Any:
        return await self.layer.transfer_item(
            item_id, from_container_id=source, to_container_id=target
        )


class FacadeWithoutOutboxContender(FacadeContender):
    """The facade with ``outbox=False``: events to the local bus only. Against ``facade`` it
    gives what the transactional outbox costs."""

    name = "facade_no_outbox"
    outbox = False


class FacadeWithoutBatchingContender(FacadeContender):
    """The facade with ``batch_when_busy=False``: one statement per call, as every other
    contender. Against raw best it gives the layer's own cost per call."""

    name = "facade_no_batching"
    batch_when_busy = False
