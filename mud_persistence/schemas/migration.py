"""What migration_status() reports."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, computed_field


class MigrationStatus(BaseModel):
    """Which migration files the database has applied, and which it still needs."""

    model_config = ConfigDict(frozen=True)

    applied: list[str]
    pending: list[str]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def is_current(self) -> bool:
        return not self.pending
