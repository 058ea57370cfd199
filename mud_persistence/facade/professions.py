"""Professions: the character classes a player picks from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mud_persistence.facade.base import LayerBase
from mud_persistence.facade.operation import _stale_ok_read, _write
from mud_persistence.models import Profession


class ProfessionsMixin(LayerBase):
    """Reading and seeding professions."""

    @_stale_ok_read
    async def get_professions(self) -> list[Profession]:
        """The professions a new character can pick, by id."""
        return await self._professions.get_available()

    @_stale_ok_read
    async def get_all_professions(self) -> list[Profession]:
        """Every profession, available or not, by id."""
        return await self._professions.get_all()

    @_stale_ok_read
    async def get_profession_by_id(self, profession_id: int) -> Profession | None:
        """The profession with this id, available or not, or None."""
        return await self._professions.get_by_id(profession_id)

    @_write
    async def seed_professions(
        self,
        source: Path | list[dict[str, Any]] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> int:
        """Insert or update professions by name (the bundled ones by default); return how many."""
        return await self._professions.seed(source)
