"""What save_player compares a Player against: the values its columns had when it was last read
from or written to the database."""

from __future__ import annotations

from collections.abc import Mapping
from operator import attrgetter
from typing import Any, ClassVar

from tortoise.fields import Field, JSONField

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


class TracksChanges:
    """Mixed into Player: the baseline of its saved columns, one tuple in saved_fields() order
    (not a dict of copies: 0.4 KB less per loaded player). Immutable values are shared with the
    attributes; JSON columns, which game code edits in place, are kept as JSON text (from the
    database as it came, so a read copies nothing) and decoded only when compared."""

    __slots__ = ("_baseline",)

    _baseline: tuple[Any, ...]
    _saved_fields: ClassVar[tuple[str, ...]]
    _read_saved_fields: ClassVar[attrgetter[Any]]
    _saved_index: ClassVar[dict[str, int]]
    _json_fields: ClassVar[dict[str, JSONField[Any]]]

    @classmethod
    def track_changes_of(cls, columns: dict[str, Field[Any]]) -> None:
        """Set up change tracking for the model's saved ``columns`` (attribute -> field)."""
        cls._saved_fields = tuple(name for name in columns if name not in NOT_SAVED)
        cls._saved_index = {name: index for index, name in enumerate(cls._saved_fields)}
        cls._read_saved_fields = attrgetter(*cls._saved_fields)
        cls._json_fields = {
            name: field
            for name, field in columns.items()
            if isinstance(field, JSONField) and name not in NOT_SAVED
        }

    @classmethod
    def saved_fields(cls) -> tuple[str, ...]:
        """The columns save_player writes when they changed: all but NOT_SAVED."""
        return cls._saved_fields

    @property
    def is_new(self) -> bool:
        """Whether this object was built in Python and never read from or written to the
        database; save_player inserts such a player."""
        return getattr(self, "_baseline", None) is None

    def mark_saved(self, fields: tuple[str, ...] | None = None) -> None:
        """Record ``fields`` (all saved columns by default) as matching the database, the base
        changed_fields() compares to."""
        if fields is None:
            self._baseline = tuple(self._baseline_value(name) for name in self._saved_fields)
            return
        baseline = list(getattr(self, "_baseline", None) or [UNSAVED] * len(self._saved_fields))
        for name in fields:
            baseline[self._saved_index[name]] = self._baseline_value(name)
        self._baseline = tuple(baseline)

    def mark_loaded(self, row: Mapping[str, Any]) -> None:
        """Record the values just read from ``row`` (column -> database value) as the
        baseline, taking the JSON columns' text from the row itself."""
        baseline = list(self._read_saved_fields(self))
        for name, field in self._json_fields.items():
            text = row[field.source_field or name]
            index = self._saved_index[name]
            if isinstance(text, str):
                baseline[index] = _SHARED_TEXTS.get(text, text)
            else:  # a driver that decodes JSON itself
                baseline[index] = self._baseline_value(name)
        # a list would take 24 bytes more; the flag setter skips Model.__setattr__'s checks
        object.__setattr__(self, "_baseline", tuple(baseline))

    def saved_value(self, field: str) -> Any:
        """The value ``field`` had in the database when this object last read or wrote it."""
        baseline = getattr(self, "_baseline", None)
        if baseline is None or field not in self._saved_index:
            return None
        value = baseline[self._saved_index[field]]
        if value is UNSAVED:
            return None
        json_field = self._json_fields.get(field)
        return value if json_field is None else json_field.decoder(value)

    def changed_fields(self) -> dict[str, Any]:
        """Columns changed on this object since it was loaded or saved, with their new values;
        every saved column for a new player."""
        baseline = getattr(self, "_baseline", None)
        if baseline is None:
            return {name: getattr(self, name) for name in self._saved_fields}
        changed = {}
        json_fields = self._json_fields
        for name, saved in zip(self._saved_fields, baseline, strict=True):
            value = getattr(self, name)
            if saved is UNSAVED:
                changed[name] = value
            elif name in json_fields:
                if _json_differs(saved, value, json_fields[name]):
                    changed[name] = value
            elif value != saved:
                changed[name] = value
        return changed

    def _baseline_value(self, name: str) -> Any:
        value = getattr(self, name)
        json_field = self._json_fields.get(name)
        if json_field is None:
            return value
        text = json_field.encoder(value)
        return _SHARED_TEXTS.get(text, text)


def _json_differs(text: str, value: Any, field: JSONField[Any]) -> bool:
    """Whether ``value`` differs from the JSON ``text``, decoding only uncommon texts."""
    empty = _EMPTY_VALUES.get(text, UNSAVED)
    return bool((field.decoder(text) if empty is UNSAVED else empty) != value)
