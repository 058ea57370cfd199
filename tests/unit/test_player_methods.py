"""The old model's Player methods, each against the behaviour the game relied on, at the
boundaries (DP 0, -1, -10, max; empty and full inventory; equipped items). No database."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from mud_persistence.errors import ValidationError
from mud_persistence.models import Player


def player(**columns: Any) -> Player:
    return Player(user_id=uuid.uuid4(), name="Tester", **columns)


@pytest.mark.parametrize(
    ("dp", "alive", "wounded", "dead", "state"),
    [
        (20, True, False, False, "alive"),
        (1, True, False, False, "alive"),
        (0, False, True, False, "mortally_wounded"),
        (-1, False, True, False, "mortally_wounded"),
        (-9, False, True, False, "mortally_wounded"),
        (-10, False, False, True, "dead"),
    ],
)
def test_health_predicates_at_the_boundaries(
    dp: int, alive: bool, wounded: bool, dead: bool, state: str
) -> None:
    p = player(current_dp=dp)
    assert (p.is_alive(), p.is_mortally_wounded(), p.is_dead()) == (alive, wounded, dead)
    assert p.get_health_state() == state


@pytest.mark.parametrize(
    ("old", "amount", "position", "result", "position_after"),
    [
        (5, 1, "standing", (5, 4, False), "standing"),
        (1, 1, "standing", (1, 0, True), "lying"),
        (1, 1, "lying", (1, 0, True), "lying"),  # crossing 0 reports a change, as before
        (0, 1, "lying", (0, -1, False), "lying"),
        (0, 1, "sitting", (0, -1, True), "lying"),
        (-9, 5, "lying", (-9, -10, False), "lying"),  # never below -10
        (-10, 1, "lying", (-10, -10, False), "lying"),
    ],
)
def test_apply_dp_decay(
    old: int, amount: int, position: str, result: tuple[int, int, bool], position_after: str
) -> None:
    p = player(current_dp=old, position=position)
    assert p.apply_dp_decay(amount) == result
    assert (p.current_dp, p.position) == (result[1], position_after)


def test_apply_dp_decay_takes_one_by_default() -> None:
    assert player(current_dp=3).apply_dp_decay() == (3, 2, False)


@pytest.mark.parametrize(
    ("old", "new", "result", "position_after"),
    [
        (20, 10, (20, False, False), "standing"),
        (10, 0, (10, True, False), "lying"),
        (10, -1, (10, True, False), "lying"),
        (10, -10, (10, False, True), "lying"),
        (-5, -10, (-5, False, True), "lying"),
        (-5, -9, (-5, False, False), "lying"),
        (-10, -10, (-10, False, False), "lying"),
        (-5, 7, (-5, False, False), "standing"),  # rising above 0 does not stand the player up
    ],
)
def test_apply_dp_change(
    old: int, new: int, result: tuple[int, bool, bool], position_after: str
) -> None:
    p = player(current_dp=old, position="standing")
    assert p.apply_dp_change(new) == result
    assert (p.current_dp, p.position) == (new, position_after)


def test_apply_dp_change_refuses_a_non_integer() -> None:
    with pytest.raises(ValidationError, match="current_dp"):
        player().apply_dp_change("5")  # type: ignore[arg-type]


def test_restore_to_full_health_goes_to_the_effective_max_and_stands() -> None:
    p = player(current_dp=-10, position="lying", constitution=90, size=90)
    assert p.restore_to_full_health() == -10
    assert (p.current_dp, p.position) == (36, "standing")
    q = player(current_dp=3, max_dp=45)
    assert q.restore_to_full_health() == 3 and q.current_dp == 45


def test_combat_stats_and_health_percentage() -> None:
    p = player(current_dp=10, dexterity=66)
    assert p.get_combat_stats() == {"current_dp": 10, "max_dp": 20, "dexterity": 66}
    assert p.get_health_percentage() == 50.0
    assert player(current_dp=-10).get_health_percentage() == -50.0
    assert player(current_dp=30, max_dp=30).get_health_percentage() == 100.0


def test_add_experience_uses_the_old_level_rule() -> None:
    p = player()
    p.add_experience(99)
    assert (p.experience_points, p.level) == (99, 1)
    p.add_experience(1)
    assert (p.experience_points, p.level) == (100, 2)


def test_admin_status() -> None:
    p = player()
    assert not p.is_admin_user()
    p.set_admin_status(True)
    assert p.is_admin_user() and p.is_admin is True
    p.set_admin_status(False)
    assert not p.is_admin_user()


def test_inventory_getters_return_the_players_own_lists_and_setters_copy() -> None:
    p = player()
    assert p.get_inventory() == [] and p.get_equipped_items() == {} and p.get_status_effects() == []
    given = [{"item_id": "lamp", "owner": uuid.UUID(int=1)}]
    p.set_inventory(given)
    given.append({"item_id": "extra"})
    assert p.get_inventory() == [{"item_id": "lamp", "owner": str(uuid.UUID(int=1))}]
    p.get_inventory().append({"item_id": "coin"})
    assert len(p.inventory) == 2
    p.set_equipped_items({"head": {"item_id": "hat"}})
    p.get_equipped_items()["feet"] = {"item_id": "boots"}
    assert set(p.equipped) == {"head", "feet"}
    p.set_status_effects([{"effect_type": "poison"}])
    assert p.get_status_effects() == [{"effect_type": "poison"}]


def test_set_inventory_refuses_what_json_cannot_store() -> None:
    with pytest.raises(ValidationError, match="inventory"):
        player().set_inventory([{"item_id": object()}])


def test_get_stats_is_the_old_dict_and_writes_through() -> None:
    p = player(constitution=60, size=90)
    stats = p.get_stats()
    assert stats["position"] == "standing" and stats["max_dp"] == 30
    assert "max_magic_points" not in stats and "_mp_fractional" not in stats
    stats["position"] = "lying"
    stats["current_dp"] = -4
    stats.setdefault("max_magic_points", 12)
    stats |= {"magic_points": 3}
    assert (p.position, p.current_dp, p.max_magic_points, p.magic_points) == ("lying", -4, 12, 3)
    del stats["max_magic_points"]
    assert p.max_magic_points is None
    with pytest.raises(ValidationError, match="cannot be removed"):
        del stats["strength"]
    with pytest.raises(ValidationError, match="unknown stat"):
        stats["determination"] = 5
    assert "determination" not in stats and p.player_id  # nothing else changed


def test_copies_of_the_stats_dict_are_plain_dicts() -> None:
    import copy
    import pickle

    p = player()
    for copied in (
        copy.copy(p.get_stats()),
        copy.deepcopy(p.get_stats()),
        pickle.loads(pickle.dumps(p.get_stats())),
        p.get_stats().copy(),
    ):
        assert type(copied) is dict and copied == p.get_stats()
        copied["luck"] = 1
    assert p.luck == 50


def test_the_old_stats_attribute_is_the_stats_dict() -> None:
    p = player()
    assert p.stats == p.get_stats()
    p.stats = {"luck": 77}
    assert p.luck == 77


def test_set_stats_accepts_what_get_stats_returns_and_keeps_a_derived_max_dp_null() -> None:
    p = player()
    p.set_stats(p.get_stats())
    assert p.max_dp is None
    p.set_stats({**p.get_stats(), "max_dp": 25, "max_lucidity": 70, "_mp_fractional": 0.5})
    assert (p.max_dp, p.max_lucidity, p.mp_fractional) == (25, 70, 0.5)
    p.set_stats({"max_lucidity": None})
    assert p.max_lucidity is None


@pytest.mark.parametrize(
    ("stats", "field"),
    [
        ({"position": "flying"}, "position"),
        ({"_mp_fractional": 1.5}, "_mp_fractional"),
        ({"max_magic_points": -1}, "max_magic_points"),
        ({"hp": 10}, "hp"),
    ],
)
def test_bad_stats_in_the_constructor_are_validation_errors(
    stats: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        player(stats=stats)
    assert caught.value.field == field


def test_an_unknown_constructor_keyword_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="no column 'hit_points'"):
        player(hit_points=3)


def test_ids_are_strings_and_typed_code_reads_uuids() -> None:
    pid, uid = uuid.uuid4(), uuid.uuid4()
    p = Player(player_id=pid, user_id=str(uid).upper(), name="Typed")
    assert (p.player_id, p.user_id) == (str(pid), str(uid))
    assert (p.player_uuid, p.user_uuid) == (pid, uid)
    assert p.player_id in {str(pid)} and isinstance(Player(user_id=uid, name="X").player_id, str)


def test_repr_shows_id_name_and_level() -> None:
    p = player(level=4)
    assert repr(p) == f"<Player(player_id={p.player_id}, name=Tester, level=4)>"
