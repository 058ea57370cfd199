"""Pydantic models: validated inputs and the shapes the facade returns."""

from mud_persistence.schemas.migration import MigrationStatus

__all__ = ["MigrationStatus"]
