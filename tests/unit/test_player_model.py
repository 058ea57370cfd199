"""Player's stats helpers and change tracking, without a database."""

from __future__ import annotations

import uuid

import pytest

from mud_persistence.errors import ValidationError
from mud_persistence.models import Player


def loaded_player(**values: object) -> Player:
    fields = {
        "player_id": uuid.uuid4(),
        "user_id": uuid.uuid4(),
        "name": "Tester",
        "constitution": 50,
        "size": 50,
        "current_dp": 20,
        "max_dp": None,
        "inventory": [],
        **values,
    }
    player = Player(**fields)
    player.profession_id = None  # a loaded row has it; the constructor does not set it
    player.mark_saved()
    return player


def test_get_stats_derives_max_dp_when_null() -> None:
    assert loaded_player(constitution=60, size=90).get_stats()["max_dp"] == 30
    assert loaded_player(constitution=10, size=10).get_stats()["max_dp"] == 20
    assert loaded_player(max_dp=55).get_stats()["max_dp"] == 55


def test_set_stats_is_all_or_nothing() -> None:
    player = loaded_player()
    with pytest.raises(ValidationError) as caught:
        player.set_stats({"strength": 60, "lucidity": 150})
    assert (caught.value.field, caught.value.value) == ("lucidity", 150)
    assert player.strength != 60


@pytest.mark.parametrize("value", [True, 5.0, "5", None])
def test_set_stats_takes_integers_only(value: object) -> None:
    with pytest.raises(ValidationError, match="integer"):
        loaded_player().set_stats({"luck": value})


def test_changed_fields_sees_in_place_edits_of_json_columns() -> None:
    player = loaded_player()
    player.inventory.append({"item_id": "lamp"})
    assert player.changed_fields() == {"inventory": [{"item_id": "lamp"}]}
    player.mark_saved(("inventory",))
    assert player.changed_fields() == {}


def test_a_player_never_loaded_reports_every_saved_column_as_changed() -> None:
    fresh = Player(name="Fresh", user_id=uuid.uuid4())
    assert fresh.is_new
    assert set(fresh.changed_fields()) == set(Player.saved_fields())
