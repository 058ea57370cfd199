"""mud-persistence: the async persistence layer of a MUD game server."""

from mud_persistence.errors import (
    CapacityError,
    ConflictError,
    DatabaseError,
    NotFoundError,
    PersistenceError,
    SchemaError,
    StaleDataError,
    ValidationError,
    ValidationTypeError,
)
from mud_persistence.facade import AsyncPersistenceLayer
from mud_persistence.models import ItemInstance, Player, Profession
from mud_persistence.schemas import MigrationStatus
from mud_persistence.schemas.container import ContainerCreateParams, ContainerData, ContainerItem
from mud_persistence.schemas.effect import PlayerEffectData
from mud_persistence.schemas.legacy import ImportReport, ProblemRow
from mud_persistence.schemas.progress import XPAward
from mud_persistence.schemas.room import Room
from mud_persistence.settings import PersistenceSettings

__all__ = [
    "AsyncPersistenceLayer",
    "CapacityError",
    "ConflictError",
    "ContainerCreateParams",
    "ContainerData",
    "ContainerItem",
    "DatabaseError",
    "ImportReport",
    "ItemInstance",
    "MigrationStatus",
    "NotFoundError",
    "PersistenceError",
    "PersistenceSettings",
    "Player",
    "PlayerEffectData",
    "ProblemRow",
    "Profession",
    "Room",
    "SchemaError",
    "StaleDataError",
    "ValidationError",
    "ValidationTypeError",
    "XPAward",
]
