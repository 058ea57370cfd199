"""The old Profession helpers, with the old semantics. No database."""

from __future__ import annotations

import pytest

from mud_persistence.errors import ValidationError
from mud_persistence.models import Profession


def scholar(**columns: object) -> Profession:
    values: dict[str, object] = {
        "id": 1,
        "name": "Scholar",
        "description": "Reads.",
        "flavor_text": "Too much.",
        "stat_requirements": {"intelligence": 60, "education": 65},
        "mechanical_effects": {"starting_money": 40},
        "stat_modifiers": [{"stat": "education", "value": 10}],
        "skill_modifiers": [{"skill": "library_use", "value": 20}],
        "is_available": True,
        **columns,
    }
    return Profession(**values)


def test_getters_return_copies_of_the_stored_values() -> None:
    profession = scholar()
    requirements = profession.get_stat_requirements()
    assert requirements == {"intelligence": 60, "education": 65}
    requirements["luck"] = 99
    assert profession.get_stat_requirements() == {"intelligence": 60, "education": 65}
    assert profession.get_mechanical_effects() == {"starting_money": 40}
    assert profession.get_stat_modifiers() == [{"stat": "education", "value": 10}]
    assert profession.get_skill_modifiers() == [{"skill": "library_use", "value": 20}]


def test_setters_replace_the_values() -> None:
    profession = scholar()
    profession.set_stat_requirements({"power": 40})
    profession.set_mechanical_effects({"heal_bonus": 2})
    profession.set_stat_modifiers([{"stat": "luck", "value": 5}])
    profession.set_skill_modifiers([])
    assert profession.stat_requirements == {"power": 40}
    assert profession.mechanical_effects == {"heal_bonus": 2}
    assert profession.stat_modifiers == [{"stat": "luck", "value": 5}]
    assert profession.skill_modifiers == []
    with pytest.raises(ValidationError, match="stat_requirements"):
        profession.set_stat_requirements({"power": object()})


def test_a_stored_value_of_the_wrong_shape_reads_as_empty() -> None:
    profession = scholar(stat_requirements=["not", "a", "dict"], skill_modifiers={"x": 1})
    assert profession.get_stat_requirements() == {}
    assert profession.get_skill_modifiers() == []


@pytest.mark.parametrize(
    ("stats", "meets"),
    [
        ({"intelligence": 60, "education": 65}, True),
        ({"intelligence": 90, "education": 90, "luck": 1}, True),
        ({"intelligence": 59, "education": 65}, False),
        ({"intelligence": 60}, False),  # a missing stat counts as 0
        ({}, False),
    ],
)
def test_meets_stat_requirements(stats: dict[str, int], meets: bool) -> None:
    assert scholar().meets_stat_requirements(stats) is meets


def test_no_requirements_are_always_met_and_displayed_as_such() -> None:
    tramp = scholar(id=0, name="Tramp", stat_requirements={})
    assert tramp.meets_stat_requirements({})
    assert tramp.get_requirement_display_text() == "No requirements"


def test_requirement_display_text() -> None:
    assert scholar().get_requirement_display_text() == "Minimum: Intelligence 60, Education 65"


def test_availability_and_repr() -> None:
    assert scholar().is_available_for_selection()
    assert not scholar(is_available=False).is_available_for_selection()
    assert repr(scholar()) == "<Profession(id=1, name='Scholar', is_available=True)>"
