"""The exceptions the persistence layer raises; every one derives from PersistenceError."""

from __future__ import annotations

import re
from typing import Any


class PersistenceError(Exception):
    """Root of every error the persistence layer raises."""


class DatabaseError(PersistenceError):
    """The database or the driver failed: unreachable, timed out, or refused the statement.

    ``outcome_unknown`` is True when a write lost its connection after it was sent: it may or
    may not have committed, so repeating it safely needs an idempotency key.
    """

    def __init__(
        self, message: str, *, operation: str | None = None, outcome_unknown: bool = False
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.outcome_unknown = outcome_unknown


class ValidationError(PersistenceError, ValueError):
    """Bad input; nothing was written."""

    def __init__(self, message: str, *, field: str | None = None, value: Any = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class ValidationTypeError(ValidationError, TypeError):
    """Bad input of the wrong type: a ValidationError that is also a TypeError, which is what
    the layer we replace raised for it."""


class NotFoundError(PersistenceError, LookupError):
    """The entity the caller named does not exist."""

    def __init__(self, entity: str, key: Any) -> None:
        # "ItemInstance" -> "item instance"; ids as people write them, not as Python reprs
        noun = re.sub(r"(?<!^)(?=[A-Z])", " ", entity).lower()
        shown = f"'{key}'" if isinstance(key, str) else str(key)
        super().__init__(f"{noun} {shown} not found")
        self.entity = entity
        self.key = key


class ConflictError(PersistenceError):
    """The write conflicts with what is already stored (duplicate key, unique name, ...)."""


class StaleDataError(ConflictError):
    """The object was changed in the database since it was loaded; nothing was written."""


class CapacityError(ConflictError):
    """A container has no free slot, or the item would exceed its weight limit."""


class SchemaError(PersistenceError):
    """The database schema is missing or behind the code's migrations."""
