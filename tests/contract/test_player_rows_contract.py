"""Players built by the fast row loader (player_rows.py, the hot reads) are the Players
Tortoise's own _init_from_db builds from the same row: every column, the baseline save_player
compares against, and the bookkeeping Tortoise relies on. PostgreSQL and SQLite."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.models import Player
from mud_persistence.models.player_rows import NOTHING_TO_AWAIT


async def test_the_row_loader_builds_the_player_tortoise_builds(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    player = Player(
        name="Rowan",
        user_id=uuid.uuid4(),
        inventory=[
            {"item_id": "lamp", "item_name": "Lamp", "slot_type": "backpack", "quantity": 1}
        ],
        equipped={},
        status_effects=[{"name": "poisoned"}],
        respawn_room_id="earth_arkhamcity_sanitarium_room_hallway_001",
        deleted_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        mp_fractional=0.25,
    )
    await contract_persistence.save_player(player)

    fast = await contract_persistence.get_player_by_id(player.player_id)
    with contract_persistence._database.bound():
        slow = await Player.get(player_id=player.player_id)

    assert fast is not None
    for column in Player._meta.fields_db_projection:
        assert getattr(fast, column) == getattr(slow, column), column
        assert type(getattr(fast, column)) is type(getattr(slow, column)), column
    for column in Player.saved_fields():
        assert fast.saved_value(column) == slow.saved_value(column), column
    assert fast.changed_fields() == {} == slow.changed_fields()
    assert (fast._partial, fast._saved_in_db, fast._custom_generated_pk) == (
        slow._partial,
        slow._saved_in_db,
        slow._custom_generated_pk,
    )


async def test_a_loaded_players_json_columns_are_its_own(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    for name in ("First", "Second"):
        await contract_persistence.create_player(name=name, user_id=uuid.uuid4())
    first, second = [
        await contract_persistence.get_player_by_name(name) for name in ("First", "Second")
    ]
    assert first is not None and second is not None

    first.inventory.append({"item_id": "lamp"})
    first.equipped["head"] = {"item_id": "hat"}

    assert second.inventory == [] and second.equipped == {}
    assert set(first.changed_fields()) == {"inventory", "equipped"}
    assert second.changed_fields() == {}


async def test_a_loaded_player_is_still_saved_by_tortoise_itself(
    contract_persistence: AsyncPersistenceLayer,
) -> None:
    player = await contract_persistence.create_player(name="Direct", user_id=uuid.uuid4())
    loaded = await contract_persistence.get_player_by_id(player.player_id)
    assert loaded is not None

    loaded.luck = 77
    with contract_persistence._database.bound():
        await loaded.save(update_fields=["luck"])

    assert NOTHING_TO_AWAIT == {}
    stored = await contract_persistence.get_player_by_id(player.player_id)
    assert stored is not None and stored.luck == 77
