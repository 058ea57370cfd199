"""Profession queries and seeding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tortoise.transactions import in_transaction

from mud_persistence.events import ProfessionsSeeded, event_payload
from mud_persistence.models import Profession
from mud_persistence.outbox import record
from mud_persistence.schemas.profession import ProfessionSeed, ProfessionSeeds
from mud_persistence.schemas.validation import check_amount, read_json_file, validate
from mud_persistence.settings import DATA_DIR

BUNDLED_PROFESSIONS = DATA_DIR / "professions.json"
SEEDED_FIELDS = tuple(name for name in ProfessionSeed.model_fields if name not in ("id", "name"))


class ProfessionRepository:
    async def get_available(self) -> list[Profession]:
        return await Profession.filter(is_available=True).order_by("id")

    async def get_all(self) -> list[Profession]:
        return await Profession.all().order_by("id")

    async def get_by_id(self, profession_id: int) -> Profession | None:
        return await Profession.get_or_none(id=check_amount(profession_id, field="profession_id"))

    async def seed(self, source: Path | list[dict[str, Any]] | None = None) -> int:
        """Insert or update professions, in one transaction; return how many. A profession
        with an ``id`` is matched by id (the bundled ones have ids: 0 is Tramp, the profession
        new characters get by default), one without by name.

        Args:
            source: a JSON file holding a list of professions, or the list itself;
                the bundled professions when omitted.
        """
        if source is None or isinstance(source, Path):
            path = source or BUNDLED_PROFESSIONS
            source = read_json_file(path, what="professions")
        seeds = validate(ProfessionSeeds, {"professions": source}, what="profession").professions
        async with in_transaction():
            for seed in seeds:
                values = seed.model_dump(include=set(SEEDED_FIELDS))
                if seed.id is None:
                    await Profession.update_or_create(name=seed.name, defaults=values)
                else:
                    await Profession.update_or_create(
                        id=seed.id, defaults={**values, "name": seed.name}
                    )
            if any(seed.id is not None for seed in seeds):
                await _continue_ids_after_the_highest()
            seeded = ProfessionsSeeded(count=len(seeds))
            await record(seeded.event_type, event_payload(seeded), [seeded])
        return len(seeds)


async def _continue_ids_after_the_highest() -> None:
    """Let PostgreSQL's id sequence skip the ids seeded explicitly, so that a profession added
    later without an id gets a free one (SQLite does this by itself)."""
    connection = Profession._meta.db
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query(
            "SELECT setval(pg_get_serial_sequence('professions', 'id'),"
            " GREATEST((SELECT MAX(id) FROM professions), 1))"
        )
