"""Hostile input is stored verbatim or refused with ValidationError; no secret leaks."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest

from mud_persistence import AsyncPersistenceLayer, DatabaseError, ValidationError

VERBATIM = [
    "Robert'); DROP TABLE players;--",
    '"; DELETE FROM containers; --',
    "Zalgo Z̷̢̛a̸l̵g̶o̴",
    "名前テスト",
    "tab\there",
    "emoji 🐙",
]
REFUSED = ["nul\x00byte", "x" * 51, "", "   ", "\n"]
PAYLOADS = [
    {"note": "'; DROP TABLE item_instances; --", "nested": {"list": [1, "two", None, 3.5]}},
    {"unicode": "Ph'nglui mglw'nafh ☥", "control": "bell\x07 escape\x1b"},
    {"long": "A" * 100_000},
]


@pytest.mark.parametrize("name", VERBATIM)
async def test_hostile_names_are_stored_verbatim(
    persistence: AsyncPersistenceLayer, name: str
) -> None:
    player = await persistence.create_player(name=name, user_id=uuid.uuid4())
    stored = await persistence.get_player_by_id(player.player_id)
    assert stored is not None and stored.name == name
    found = await persistence.get_player_by_name(name)
    assert found is not None and found.player_id == player.player_id


@pytest.mark.parametrize("name", REFUSED, ids=repr)
async def test_unstorable_names_are_validation_errors(
    persistence: AsyncPersistenceLayer, name: str
) -> None:
    with pytest.raises(ValidationError):
        await persistence.create_player(name=name, user_id=uuid.uuid4())
    assert await persistence.list_players(include_deleted=True) == []


@pytest.mark.parametrize("payload", PAYLOADS, ids=["sql", "unicode", "long"])
async def test_hostile_json_payloads_are_stored_verbatim(
    persistence: AsyncPersistenceLayer, payload: dict[str, object]
) -> None:
    await persistence.seed_item_prototypes()
    chest = await persistence.create_container_data(
        "environment",
        room_id="r",
        metadata=payload,
        items=[{"item_id": "misc.coin.silver", "metadata": payload}],
    )
    stored = await persistence.get_container_data(chest.container_id)
    assert stored is not None and stored.metadata == payload
    assert stored.items[0].metadata == payload


@pytest.mark.parametrize(
    "payload", [{"bad": "nul\x00"}, {"key\x00": 1}, {"deep": [{"x": "\x00"}]}], ids=repr
)
async def test_json_with_nul_characters_is_a_validation_error(
    persistence: AsyncPersistenceLayer, payload: dict[str, object]
) -> None:
    await persistence.seed_item_prototypes()
    with pytest.raises(ValidationError):
        await persistence.create_container_data("environment", room_id="r", metadata=payload)
    with pytest.raises(ValidationError):
        await persistence.create_item_instance("nul-1", "misc.coin.silver", metadata=payload)
    assert await persistence.get_container_data_by_room_id("r") == []


async def test_the_password_never_appears_in_errors_or_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "Sup3r-S3cret-Pa55"
    url = f"postgres://game:{secret}@127.0.0.1:1/world"
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(DatabaseError) as caught:
            await AsyncPersistenceLayer(url).connect()
        with pytest.raises(DatabaseError) as status:
            await AsyncPersistenceLayer(url).migration_status()
    for text in (str(caught.value), str(status.value), caplog.text):
        assert secret not in text


@pytest.mark.parametrize(
    "call",
    [
        lambda layer: layer.get_player_by_name("a\ud800"),
        lambda layer: layer.get_players_in_room("room\ud800"),
        lambda layer: layer.get_item_instance("item\ud800"),
        lambda layer: layer.create_player(name="b\udfff", user_id=uuid.uuid4()),
    ],
)
async def test_lone_surrogates_are_validation_errors(
    persistence: AsyncPersistenceLayer, call: object
) -> None:
    with pytest.raises(ValidationError, match="Unicode"):
        await call(persistence)  # type: ignore[operator]


async def test_unreadable_seed_files_are_validation_errors_naming_the_file(
    persistence: AsyncPersistenceLayer, tmp_path: Path
) -> None:
    broken = tmp_path / "professions.json"
    broken.write_text("[{not json")
    with pytest.raises(ValidationError, match=r"professions\.json"):
        await persistence.seed_professions(broken)
    with pytest.raises(ValidationError, match=r"missing\.json"):
        await persistence.seed_item_prototypes(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tutorial_instance_id", "nul\x00byte"),
        ("tutorial_instance_id", "a\ud800"),
        ("tutorial_instance_id", "x" * 256),
        ("status_effects", [{"strength": float("nan")}]),
        ("status_effects", [float("inf")]),
    ],
    ids=repr,
)
async def test_saving_an_unstorable_player_field_is_a_validation_error_naming_it(
    persistence: AsyncPersistenceLayer, field: str, value: object
) -> None:
    player = await persistence.create_player(name="Keeper", user_id=uuid.uuid4())
    before = getattr(player, field)
    setattr(player, field, value)

    with pytest.raises(ValidationError) as caught:
        await persistence.save_player(player)

    assert caught.value.field == field
    stored = await persistence.get_player_by_id(player.player_id)
    assert stored is not None and getattr(stored, field) == before


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")], ids=repr)
async def test_json_with_nan_or_infinity_is_a_validation_error(
    persistence: AsyncPersistenceLayer, number: float
) -> None:
    with pytest.raises(ValidationError, match="NaN or Infinity"):
        await persistence.create_container_data(
            "environment", room_id="r", metadata={"weight": number}
        )
    assert await persistence.get_container_data_by_room_id("r") == []
