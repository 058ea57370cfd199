"""docs/migrating.md's method tables say what the facade really offers: every old method is
listed once with its old signature, "same" only where the facade takes that call, "none" only
where it has no such method, and every facade method the page names exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mud_persistence import AsyncPersistenceLayer
from tests.unit.test_old_facade_signatures import (
    LEFT_OUT,
    OLD_FACADE,
    OLD_REPOSITORIES,
    Old,
    problems,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "migrating.md"
# OLD_FACADE leaves out the method we deliberately lack; the page lists it with "none".
OLD = {
    old.name: old
    for old in [
        *OLD_FACADE,
        *OLD_REPOSITORIES,
        Old("get_user_by_username_case_insensitive", True, "username"),
    ]
}
# A backticked call such as `heal_player(player, amount)`.
CALL = re.compile(r"`([A-Za-z_]+)\(([^`]*)\)`")
# What a method name of ours starts with, to tell the page's method names from its field names.
VERBS = (
    "get_",
    "list_",
    "create_",
    "update_",
    "delete_",
    "save_",
    "ensure_",
    "upsert_",
    "apply_",
    "gain_",
    "add_",
    "remove_",
    "has_",
    "expire_",
    "soft_",
    "seed_",
    "warmup_",
    "async_",
    "transfer_",
    "validate_",
    "set_",
    "item_instance_exists",
)


def table_rows() -> list[tuple[str, str, str]]:
    """(old signature cell, ours, difference) for each row of the page's method tables."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("### Every method of the old facade") :]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 3:
            rows.append((cells[0], cells[1], cells[2]))
    return rows


def documented() -> dict[str, tuple[str, str]]:
    """Old method name -> (its parameters as Old.params spells them, ours)."""
    found: dict[str, tuple[str, str]] = {}
    for first, ours, _ in table_rows():
        for name, params in CALL.findall(first):
            name = "__init__" if name == "AsyncPersistenceLayer" else name
            assert name not in found, f"{name} is listed twice"
            specs = []
            for param in filter(None, (p.strip() for p in params.split(","))):
                specs.append(param.split("=")[0] + "=" if "=" in param else param)
            found[name] = (" ".join(specs), ours)
    return found


def test_the_tables_list_every_old_method_once() -> None:
    assert sorted(documented()) == sorted(OLD)


@pytest.mark.parametrize("name", sorted(OLD))
def test_each_row_gives_the_old_signature_and_what_the_facade_takes(name: str) -> None:
    params, ours = documented()[name]
    assert params == OLD[name].params, f"the page's signature of {name}"
    if name in LEFT_OUT:
        assert ours == "none"
        assert not hasattr(AsyncPersistenceLayer, name)
    else:
        assert ours == "same"
        assert problems(OLD[name]) == []


def test_every_method_the_page_names_exists_on_the_facade() -> None:
    text = DOC.read_text(encoding="utf-8")
    named = {
        token.split("(")[0]
        for token in re.findall(r"`([a-z_]+)(?:\([^`]*\))?`", text)
        if token.startswith(VERBS)
    }
    assert named  # the page names methods; a broken pattern would find none
    missing = sorted(n for n in named - LEFT_OUT if not hasattr(AsyncPersistenceLayer, n))
    assert missing == []


def test_the_checks_catch_a_wrong_row() -> None:
    assert problems(Old("heal_player", True, "player amount source")) != []
    assert CALL.findall("`save_room(room)` / `save_rooms(rooms)`") == [
        ("save_room", "room"),
        ("save_rooms", "rooms"),
    ]
