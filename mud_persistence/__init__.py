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
)
from mud_persistence.facade import AsyncPersistenceLayer
from mud_persistence.schemas import MigrationStatus
from mud_persistence.settings import PersistenceSettings

__all__ = [
    "AsyncPersistenceLayer",
    "CapacityError",
    "ConflictError",
    "DatabaseError",
    "MigrationStatus",
    "NotFoundError",
    "PersistenceError",
    "PersistenceSettings",
    "SchemaError",
    "StaleDataError",
    "ValidationError",
]
