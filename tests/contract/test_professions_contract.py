"""Professions as the game reads them: the bundled ones (id 0 is the default, Tramp), the
fields and helpers game code uses. PostgreSQL and SQLite."""

from __future__ import annotations

import uuid

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.models import Player


async def test_the_bundled_professions_include_the_default_id_0(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    await contract_persistence.seed_professions()
    tramp = await contract_persistence.get_profession_by_id(0)
    assert tramp is not None and (tramp.id, tramp.name, tramp.is_available) == (0, "Tramp", True)
    assert tramp.description.startswith("A drifter") and tramp.flavor_text
    assert tramp.get_requirement_display_text() == "No requirements"
    assert [p.id for p in await contract_persistence.get_professions()] == [
        0,
        1,
        2,
        3,
    ]  # 4 is unavailable
    scholar = next(p for p in await contract_persistence.get_professions() if p.name == "Scholar")
    assert not scholar.meets_stat_requirements({"intelligence": 10})


async def test_seeding_twice_keeps_the_ids_and_later_professions_get_free_ones(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    await contract_persistence.seed_professions()
    before = {p.id: p.name for p in await contract_persistence.get_all_professions()}
    await contract_persistence.seed_professions()
    assert {p.id: p.name for p in await contract_persistence.get_all_professions()} == before
    await contract_persistence.seed_professions([{"name": "Antiquarian"}])
    added = {p.name: p.id for p in await contract_persistence.get_all_professions()}
    assert added["Antiquarian"] not in before


async def test_a_new_character_with_the_default_profession_is_saved(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    await contract_persistence.seed_professions()
    player = Player(player_id=uuid.uuid4(), user_id=uuid.uuid4(), name="Drifter", profession_id=0)
    await contract_persistence.save_player(player)
    loaded = await contract_persistence.get_player_by_id(player.player_id)
    assert loaded is not None and loaded.profession_id == 0  # type: ignore[attr-defined]
    profession = await contract_persistence.get_profession_by_id(loaded.profession_id)  # type: ignore[attr-defined]
    assert profession is not None and profession.name == "Tramp"
