"""Idempotency keys without a database: what counts as the same call, which writes take a key,
and how results are recorded."""

from __future__ import annotations

import ast
import inspect
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from mud_persistence import AsyncPersistenceLayer, Player, ValidationError
from mud_persistence.facade.operation import _write
from mud_persistence.idempotency import (
    IDEMPOTENCY_KEY,
    KEY_DOC,
    KeyedMethod,
    ResultCodec,
    check_key,
    fingerprint,
    normalised,
)
from mud_persistence.models import ItemInstance
from mud_persistence.schemas.progress import XPAward

FACADE = Path(__file__).resolve().parents[2] / "mud_persistence" / "facade"


def keyed_writes() -> list[str]:
    """The facade methods decorated with @_write, read from the source."""
    names = []
    for module in FACADE.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.AsyncFunctionDef) and any(
                isinstance(d, ast.Name) and d.id == "_write" for d in node.decorator_list
            ):
                names.append(node.name)
    return sorted(names)


def test_every_write_shows_the_keyword_in_its_signature_and_help() -> None:
    names = keyed_writes()
    assert len(names) >= 30 and "damage_player" in names and "import_legacy" not in names
    for name in [*names, "async_damage_player", "async_heal_player"]:
        method = getattr(AsyncPersistenceLayer, name)
        keyword = inspect.signature(method).parameters[IDEMPOTENCY_KEY]
        assert (keyword.kind, keyword.default) == (inspect.Parameter.KEYWORD_ONLY, None), name
        if name in names:
            assert KEY_DOC in (inspect.getdoc(method) or ""), name
    assert IDEMPOTENCY_KEY not in inspect.signature(AsyncPersistenceLayer.import_legacy).parameters


def test_a_keyed_write_must_declare_the_keyword() -> None:
    async def forgot(self: Any, amount: int) -> int:
        return amount

    with pytest.raises(TypeError, match="forgot is a keyed write: declare"):
        _write(forgot)


def test_ids_numbers_times_and_sets_compare_by_what_they_mean() -> None:
    player_id = uuid.uuid4()
    assert normalised(player_id) == normalised(str(player_id).upper(), uuid_text=True)
    assert normalised(5.0) == normalised(5) and normalised(5.5) == 5.5
    assert normalised(True) is True and normalised(1) == 1  # a bool is not a number here
    naive = datetime(2026, 11, 22, 7, 0)
    plus_one = datetime(2026, 11, 22, 8, 0, tzinfo=timezone(timedelta(hours=1)))
    assert normalised(naive) == normalised(naive.replace(tzinfo=UTC)) == normalised(plus_one)
    assert normalised({"b", "a"}) == normalised({"a", "b"})
    assert normalised({"x": (1, 2)}) == {"x": [1, 2]}
    assert normalised("Armitage") == "Armitage"
    # text is text, even when it looks like a UUID (a UUID-typed parameter reads it as one)
    assert normalised(str(player_id).upper()) == str(player_id).upper()


def test_a_player_counts_by_id_unless_the_call_writes_the_object() -> None:
    one = Player(name="Armitage", user_id=str(uuid.uuid4()))
    other = Player(name="Armitage", user_id=one.user_id, player_id=one.player_id)
    other.current_room_id = "elsewhere"
    assert fingerprint("damage_player", {"player": one}) == fingerprint(
        "damage_player", {"player": other}
    )
    assert fingerprint("save_player", {"player": one}) != fingerprint(
        "save_player", {"player": other}
    )
    assert fingerprint("damage_player", {"player": one}) != fingerprint(
        "heal_player", {"player": one}
    )


def test_defaults_and_keywords_do_not_change_the_fingerprint() -> None:
    keyed = KeyedMethod(AsyncPersistenceLayer.gain_experience.__wrapped__)  # type: ignore[attr-defined]
    player = Player(name="Armitage", user_id=str(uuid.uuid4()))
    layer = object()
    calls = [
        keyed.prepare("k", (layer, player, 5), {}),
        keyed.prepare("k", (layer, player, 5, "unknown"), {}),
        keyed.prepare("k", (layer,), {"player": player, "amount": 5.0}),
    ]
    assert len({call.fingerprint for call in calls}) == 1
    assert keyed.prepare("k", (layer, player, 6), {}).fingerprint != calls[0].fingerprint


def test_an_argument_that_cannot_be_compared_is_refused() -> None:
    with pytest.raises(ValidationError, match="idempotency_key with an argument of type") as caught:
        fingerprint("import_something", {"progress": lambda done: None})
    assert caught.value.field == IDEMPOTENCY_KEY


def test_check_key_names_the_field_and_value() -> None:
    assert check_key("quest:7") == "quest:7"
    with pytest.raises(ValidationError, match="NUL") as caught:
        check_key("a\0")
    assert (caught.value.field, caught.value.value) == (IDEMPOTENCY_KEY, "a\0")


async def test_results_are_recorded_by_the_return_annotation() -> None:
    async def expire(self: Any) -> list[tuple[str, str]]:
        return []

    async def award(self: Any) -> XPAward:
        raise NotImplementedError

    async def item(self: Any) -> ItemInstance | None:
        return None

    pairs = ResultCodec(expire)
    assert await pairs.decode(pairs.encode([("p", "poisoned")]), None) == [("p", "poisoned")]  # type: ignore[arg-type]
    xp = XPAward(
        player_id=uuid.uuid4(), amount=5, old_xp=0, new_xp=5, old_level=1, new_level=1, source="q"
    )
    awards = ResultCodec(award)
    assert await awards.decode(awards.encode(xp), None) == xp  # type: ignore[arg-type]
    items = ResultCodec(item)
    assert items.encode(None) == "null"  # a model is recorded by its primary key
    assert await items.decode("null", None) is None  # type: ignore[arg-type]
