"""Players built from whole database rows, fast: a room of 10,000 players is 10,000 of them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from functools import partial
from types import MemberDescriptorType
from typing import TYPE_CHECKING, Any

from tortoise.fields import DatetimeField, Field, JSONField
from tortoise.fields.data import CharEnumFieldInstance
from tortoise.timezone import get_default_timezone, get_use_tz

if TYPE_CHECKING:
    from mud_persistence.models.player import Player

Row = Mapping[str, Any]


class _NothingToAwait(dict[str, Any]):
    """Tortoise's per-object map of async defaults to run at the next save, which only its
    constructor fills. A loaded Player has none, so all share this one (64 bytes less each),
    which refuses entries."""

    def __setitem__(self, key: str, value: Any) -> None:
        raise TypeError("a loaded Player has no async defaults to await")


NOTHING_TO_AWAIT = _NothingToAwait()


def player_row_loader(model: type[Player]) -> Callable[[Row], Player]:
    """A function building a ``model`` object from a whole row (column name -> database
    value) as Tortoise's ``_init_from_db`` does, for the database Tortoise was initialised
    with, and recording the row as its baseline (``mark_loaded``).

    About three times faster than ``_init_from_db(**dict(row))``: the row is read as it
    came, each column is stored through its slot's descriptor, and each conversion is the
    field's own, called directly (none for a NULL; an aware time is moved to the configured
    time zone directly). Build it again when Tortoise is initialised again: the conversions
    depend on the database and the time zone settings.
    """
    meta = model._meta
    native = [(key, _setter(model, attribute)) for key, attribute, _ in meta.db_native_fields]
    converted = [
        (key, _setter(model, attribute), field.field_type)
        for key, attribute, field in meta.db_default_fields
    ] + [
        (key, _setter(model, attribute), _converter(field))
        for key, attribute, field in meta.db_complex_fields
    ]
    custom_generated_pk = meta.db_pk_column not in meta.generated_db_fields
    new = model.__new__
    set_flag = object.__setattr__

    def load(row: Row) -> Player:
        player = new(model)
        set_flag(player, "_partial", False)
        set_flag(player, "_saved_in_db", True)
        set_flag(player, "_custom_generated_pk", custom_generated_pk)
        set_flag(player, "_await_when_save", NOTHING_TO_AWAIT)
        for key, store in native:
            store(player, row[key])
        for key, store, convert in converted:
            value = row[key]
            store(player, None if value is None else convert(value))
        player.mark_loaded(row)
        return player

    return load


def _converter(field: Field[Any]) -> Callable[[Any], Any]:
    if isinstance(field, DatetimeField) and get_use_tz():
        return _aware_time_converter(field, get_default_timezone())
    if isinstance(field, CharEnumFieldInstance):
        return _enum_converter(field)
    if not isinstance(field, JSONField):
        return field.to_python_value
    decode = field.to_python_value

    def decode_json(text: Any) -> Any:
        # most rows hold empty lists and objects: skip the decoder for them
        if text == "[]":
            return []
        return {} if text == "{}" else decode(text)

    return decode_json


def _setter(model: type[Player], attribute: str) -> Callable[[Player, Any], None]:
    slot = getattr(model, attribute, None)  # a slot's member descriptor, from the class
    if isinstance(slot, MemberDescriptorType):
        return slot.__set__
    return partial(_set_attribute, attribute)  # a column a game added at run time: no slot


def _set_attribute(attribute: str, player: Player, value: Any) -> None:
    object.__setattr__(player, attribute, value)


def _aware_time_converter(field: DatetimeField[Any], zone: tzinfo) -> Callable[[Any], Any]:
    convert = field.to_python_value

    def to_zone(value: Any) -> Any:
        # what to_python_value does for an aware time, without reading the settings each time
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(zone)
        return convert(value)

    return to_zone


def _enum_converter(field: CharEnumFieldInstance) -> Callable[[Any], Any]:
    members = {member.value: member for member in field.enum_type}
    convert = field.to_python_value

    def to_member(value: Any) -> Any:
        # a dict lookup instead of calling the enum class (0.6 us); anything else as before
        member = members.get(value)
        return convert(value) if member is None else member

    return to_member
