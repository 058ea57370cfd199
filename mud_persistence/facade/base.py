"""The state every part of AsyncPersistenceLayer shares, declared once for the type checker."""

from __future__ import annotations

import asyncio

from mud_persistence.database import Database
from mud_persistence.events import EventBus
from mud_persistence.idempotency import Idempotency
from mud_persistence.outbox import Outbox
from mud_persistence.replicas import ReplicaRouter
from mud_persistence.repositories.container import ContainerRepository
from mud_persistence.repositories.effect import PlayerEffectRepository
from mud_persistence.repositories.experience import ExperienceRepository
from mud_persistence.repositories.health import HealthRepository
from mud_persistence.repositories.item import ItemRepository
from mud_persistence.repositories.player import PlayerRepository
from mud_persistence.repositories.profession import ProfessionRepository
from mud_persistence.repositories.room import RoomRepository
from mud_persistence.repositories.schema import SchemaManager
from mud_persistence.settings import PersistenceSettings


class LayerBase:
    """What the parts (one mixin per concern) read from ``self``; ``LifecycleMixin.__init__``
    sets every one of these."""

    settings: PersistenceSettings
    _event_bus: EventBus
    _database: Database
    _replicas: ReplicaRouter
    _outbox: Outbox
    _connecting: asyncio.Lock
    _closed: bool
    _schema: SchemaManager
    _players: PlayerRepository
    _health: HealthRepository
    _experience: ExperienceRepository
    _containers: ContainerRepository
    _items: ItemRepository
    _professions: ProfessionRepository
    _effects: PlayerEffectRepository
    _rooms: RoomRepository
    _idempotency: Idempotency
