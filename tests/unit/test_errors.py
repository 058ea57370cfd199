"""The error hierarchy lets callers catch broadly or precisely."""

from __future__ import annotations

import pytest

from mud_persistence import errors


@pytest.mark.parametrize(
    ("error", "parents"),
    [
        (errors.DatabaseError, (errors.PersistenceError,)),
        (errors.ValidationError, (errors.PersistenceError, ValueError)),
        (errors.NotFoundError, (errors.PersistenceError, LookupError)),
        (errors.StaleDataError, (errors.ConflictError, errors.PersistenceError)),
        (errors.CapacityError, (errors.ConflictError, errors.PersistenceError)),
        (errors.SchemaError, (errors.PersistenceError,)),
    ],
)
def test_each_error_has_its_documented_parents(error: type, parents: tuple[type, ...]) -> None:
    assert all(issubclass(error, parent) for parent in parents)


def test_errors_carry_what_was_wrong() -> None:
    missing = errors.NotFoundError("Player", "abc")
    assert (missing.entity, missing.key, str(missing)) == (
        "Player",
        "abc",
        "player 'abc' not found",
    )
    bad = errors.ValidationError("name must not be empty", field="name", value="")
    assert (bad.field, bad.value) == ("name", "")
