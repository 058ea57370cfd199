"""What save_player compares a Player against: the values its columns had when it was last read
from or written to the database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from tortoise.fields import JSONField
from tortoise.models import MetaInfo

# Column attributes save_player leaves alone: the identity, the creation time, and the
# soft-delete pair (changed only by soft_delete_player). Every other column, including one a
# later migration adds, is written when it changed.
NOT_SAVED = frozenset({"player_id", "created_at", "is_deleted", "deleted_at"})
# A read gives each row its own JSON text; most rows hold these, so they share one copy.
_SHARED_TEXTS = {"[]": "[]", "{}": "{}"}
# Those two decoded, only to compare against (never handed out: callers may edit what they get).
_EMPTY_VALUES: dict[str, Any] = {"[]": [], "{}": {}}


class _Unsaved:
    def __repr__(self) -> str:
        return "<unsaved>"


UNSAVED: Any = _Unsaved()  # a baseline entry for a column never read or written


@dataclass(frozen=True)
class SavedColumns:
    """The columns save_player writes, as the model's metadata has them now (Tortoise adds
    the foreign keys' columns when it is initialised; a game may add a column of its own)."""

    size: int  # of the metadata's column list these were read from
    names: tuple[str, ...]
    index: dict[str, int]
    json_fields: dict[str, JSONField[Any]]
    read: attrgetter[Any]

    @classmethod
    def of(cls, meta: MetaInfo) -> SavedColumns:
        names = tuple(
            name
            for name in meta.fields_db_projection
            if name not in NOT_SAVED and name not in meta.fk_fields
        )
        return cls(
            size=len(meta.fields_db_projection),
            names=names,
            index={name: index for index, name in enumerate(names)},
            json_fields={
                name: field
                for name in names
                if isinstance(field := meta.fields_map[name], JSONField)
            },
            read=attrgetter(*names),
        )


class TracksChanges:
    """Mixed into Player: the baseline of its saved columns, one tuple (not a dict of copies:
    0.4 KB less per loaded player) that starts with the SavedColumns.names it follows.
    Immutable values are shared with the attributes; JSON columns, which game code edits in
    place, are kept as JSON text (from the database as it came, so a read copies nothing) and
    decoded only when compared."""

    __slots__ = ("_baseline",)

    _baseline: tuple[Any, ...]
    _meta: MetaInfo
    _columns: SavedColumns | None = None

    @classmethod
    def saved_columns(cls) -> SavedColumns:
        columns = cls._columns
        if columns is None or columns.size != len(cls._meta.fields_db_projection):
            columns = cls._columns = SavedColumns.of(cls._meta)
        return columns

    @classmethod
    def saved_fields(cls) -> tuple[str, ...]:
        """The columns save_player writes when they changed: all but NOT_SAVED."""
        return cls.saved_columns().names

    @property
    def is_new(self) -> bool:
        """Whether this object was built in Python and never read from or written to the
        database; save_player inserts such a player."""
        return getattr(self, "_baseline", None) is None

    def mark_saved(self, fields: tuple[str, ...] | None = None) -> None:
        """Record ``fields`` (all saved columns by default) as matching the database, the base
        changed_fields() compares to."""
        columns = self.saved_columns()
        if fields is None:
            values = [self._baseline_value(name, columns) for name in columns.names]
        else:
            baseline = getattr(self, "_baseline", None)
            values = (
                [UNSAVED] * len(columns.names)
                if baseline is None
                else list(self._saved_in_order(columns, baseline))
            )
            for name in fields:
                values[columns.index[name]] = self._baseline_value(name, columns)
        self._set_baseline(columns, values)

    def mark_loaded(self, row: Mapping[str, Any]) -> None:
        """Record the values just read from ``row`` (column -> database value) as the
        baseline, taking the JSON columns' text from the row itself."""
        columns = self.saved_columns()
        values = list(columns.read(self))
        for name, field in columns.json_fields.items():
            text = row[field.source_field or name]
            if isinstance(text, str):
                values[columns.index[name]] = _SHARED_TEXTS.get(text, text)
            else:  # a driver that decodes JSON itself
                values[columns.index[name]] = self._baseline_value(name, columns)
        self._set_baseline(columns, values)

    def saved_value(self, field: str) -> Any:
        """The value ``field`` had in the database when this object last read or wrote it."""
        columns = self.saved_columns()
        baseline = getattr(self, "_baseline", None)
        if baseline is None or field not in columns.index:
            return None
        value = self._saved_in_order(columns, baseline)[columns.index[field]]
        if value is UNSAVED:
            return None
        json_field = columns.json_fields.get(field)
        return value if json_field is None else json_field.decoder(value)

    def changed_fields(self) -> dict[str, Any]:
        """Columns changed on this object since it was loaded or saved, with their new values;
        every saved column for a new player."""
        columns = self.saved_columns()
        baseline = getattr(self, "_baseline", None)
        if baseline is None:
            return {name: getattr(self, name) for name in columns.names}
        changed = {}
        json_fields = columns.json_fields
        for name, before in zip(
            columns.names, self._saved_in_order(columns, baseline), strict=True
        ):
            value = getattr(self, name)
            if before is UNSAVED:
                changed[name] = value
            elif name in json_fields:
                if _json_differs(before, value, json_fields[name]):
                    changed[name] = value
            elif value != before:
                changed[name] = value
        return changed

    @staticmethod
    def _saved_in_order(columns: SavedColumns, baseline: tuple[Any, ...]) -> Sequence[Any]:
        """The baseline's values in ``columns.names`` order (UNSAVED for a column it lacks)."""
        if baseline[0] is columns.names:
            return baseline[1:]
        # recorded before the columns grew (Tortoise's initialisation, a game's own column)
        saved = dict(zip(baseline[0], baseline[1:], strict=True))
        return [saved.get(name, UNSAVED) for name in columns.names]

    def _set_baseline(self, columns: SavedColumns, values: list[Any]) -> None:
        # the flag setter skips Model.__setattr__'s checks
        object.__setattr__(self, "_baseline", (columns.names, *values))

    def _baseline_value(self, name: str, columns: SavedColumns) -> Any:
        value = getattr(self, name)
        json_field = columns.json_fields.get(name)
        if json_field is None:
            return value
        text = json_field.encoder(value)
        return _SHARED_TEXTS.get(text, text)


def _json_differs(text: str, value: Any, field: JSONField[Any]) -> bool:
    """Whether ``value`` differs from the JSON ``text``, decoding only uncommon texts."""
    empty = _EMPTY_VALUES.get(text, UNSAVED)
    return bool((field.decoder(text) if empty is UNSAVED else empty) != value)
