"""Events the persistence layer publishes after a commit, the EventBus protocol, and how an
event is stored in the outbox and read back (``event_payload``, ``events_for``)."""

from __future__ import annotations

import dataclasses
import inspect
import logging
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, TypeVar
from uuid import UUID

from mud_persistence.models.player_stats import derived_max_dp

logger = logging.getLogger(__name__)
E = TypeVar("E", bound="Event")


class EventBus(Protocol):
    """Anything with a ``publish(event)`` method, sync or async."""

    def publish(self, event: Any) -> Any: ...


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event. ``event_id`` is None on the local bus (the writer publishes right
    after its commit, before the relay numbers the change); ``subscribe()`` handlers get it
    set: increasing in commit order, shared by the events of one change (an XP award and the
    level-up it causes)."""

    event_type: ClassVar[str] = "event"
    timestamp: datetime = field(default_factory=_now)
    event_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class PlayerDPUpdated(Event):
    event_type: ClassVar[str] = "player_dp_updated"
    player_id: UUID
    old_dp: int
    new_dp: int
    max_dp: int
    delta: int
    source: str


@dataclass(frozen=True, kw_only=True)
class PlayerXPAwarded(Event):
    event_type: ClassVar[str] = "player_xp_awarded"
    player_id: UUID
    xp_amount: int
    new_xp: int
    new_level: int
    source: str


@dataclass(frozen=True, kw_only=True)
class PlayerLeveledUp(Event):
    event_type: ClassVar[str] = "player_leveled_up"
    player_id: UUID
    old_level: int
    new_level: int


@dataclass(frozen=True, kw_only=True)
class PlayerStatChanged(Event):
    event_type: ClassVar[str] = "player_stat_changed"
    player_id: UUID
    field: str
    old_value: int
    new_value: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class ItemTransferred(Event):
    event_type: ClassVar[str] = "item_transferred"
    item_instance_id: str
    from_container_id: UUID | None
    to_container_id: UUID | None
    to_owner_type: str
    to_owner_id: str | None


@dataclass(frozen=True, kw_only=True)
class RoomsSaved(Event):
    """``save_room``/``save_rooms`` ran in some process: ``rooms`` holds the data of each
    ``Room`` saved, ``reload_ids`` the ids of the game's own room objects (not serialisable:
    other processes ask their room loader for those again). Never on the local bus."""

    event_type: ClassVar[str] = "rooms_saved"
    rooms: tuple[dict[str, Any], ...] = ()
    reload_ids: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ProfessionsSeeded(Event):
    """``seed_professions`` committed: a game that caches professions reads them again.
    Never on the local bus."""

    event_type: ClassVar[str] = "professions_seeded"
    count: int


@dataclass(frozen=True, kw_only=True)
class ItemPrototypesSeeded(Event):
    """``seed_item_prototypes`` committed: a game that caches prototypes reads them again.
    Never on the local bus."""

    event_type: ClassVar[str] = "item_prototypes_seeded"
    count: int


# Events other processes need but the writer's own bus never got (it had no such events).
CACHE_EVENTS: tuple[type[Event], ...] = (RoomsSaved, ProfessionsSeeded, ItemPrototypesSeeded)


class RecordingBus:
    """Keeps every event it is given, in order; for tests and demos."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type[E]) -> list[E]:
        """The recorded events of one type."""
        return [event for event in self.events if isinstance(event, kind)]


class NullEventBus:
    """The bus used when the game gives none: drops every event."""

    def publish(self, event: Any) -> None:
        return None


async def publish_safely(bus: EventBus, event: Event) -> bool:
    """Publish one event; a subscriber that fails is logged and never fails the caller.

    Returns:
        Whether the bus took the event (with the outbox on, one that did not gets it again).
    """
    try:
        result = bus.publish(event)
        if inspect.isawaitable(result):
            await result
    except Exception:
        logger.exception("event subscriber failed on %s; the write stands", event.event_type)
        return False
    return True


# -- The outbox form of events -------------------------------------------------------------
# A change is stored as (kind, payload). Most kinds are an event type and the payload is the
# event's fields. The counters' kinds ("dp", "xp", "stat") store the statement's row of old and
# new values plus the call's arguments instead: on PostgreSQL the database writes that payload
# itself, in the statement that changes the counter. ``events_for`` builds the events of both
# forms: the writer calls it with the values it just read, readers with the stored payload.

_ALL_EVENTS: tuple[type[Event], ...] = (
    PlayerDPUpdated,
    PlayerXPAwarded,
    PlayerLeveledUp,
    PlayerStatChanged,
    ItemTransferred,
    *CACHE_EVENTS,
)
EVENT_TYPES: dict[str, type[Event]] = {cls.event_type: cls for cls in _ALL_EVENTS}
_NOT_STORED = frozenset({"timestamp", "event_id"})


def event_payload(event: Event) -> dict[str, Any]:
    """The event's own fields as JSON-ready values (the outbox form of kind event_type)."""
    return {
        f.name: _json_ready(getattr(event, f.name))
        for f in dataclasses.fields(event)
        if f.name not in _NOT_STORED
    }


# The numbers one outbox row takes: its events are numbered event_id, event_id + 1, ... (an
# XP award and the level-up it causes), so that every event has a number of its own and a
# subscriber resuming after any of them misses none.
EVENTS_PER_CHANGE = 2


def first_event_id(row_id: int) -> int:
    """The number of the first event of outbox row ``row_id``; its last is the next row's
    first minus one."""
    return (row_id - 1) * EVENTS_PER_CHANGE + 1


def last_event_of_row(row_id: int) -> int:
    """The number of the last event outbox row ``row_id`` may hold."""
    return row_id * EVENTS_PER_CHANGE


def last_row_done(event_id: int) -> int:
    """The last outbox row all of whose events are numbered ``event_id`` or lower: a reader
    that handled the events up to ``event_id`` reads on from the row after it."""
    return event_id // EVENTS_PER_CHANGE


def events_for(
    kind: str,
    payload: Mapping[str, Any],
    *,
    event_id: int | None = None,
    timestamp: datetime | None = None,
) -> list[Event]:
    """The events one outbox row stands for; with the row's ``event_id``, numbered from it."""
    stamp: dict[str, Any] = {}
    if timestamp is not None:
        stamp["timestamp"] = timestamp
    counter = _COUNTER_KINDS.get(kind)
    if counter is not None:
        events = counter(payload["args"], payload["row"], stamp)
    else:
        cls = EVENT_TYPES[kind]
        events = [cls(**_decoded(cls, payload), **stamp)]
    if len(events) > EVENTS_PER_CHANGE:
        raise AssertionError(f"{kind} stands for {len(events)} events: raise EVENTS_PER_CHANGE")
    if event_id is None:
        return events
    return [dataclasses.replace(event, event_id=event_id + n) for n, event in enumerate(events)]


def _dp_events(
    args: Mapping[str, Any], row: Mapping[str, Any], stamp: dict[str, Any]
) -> list[Event]:
    max_dp = row["new_max_dp"] or derived_max_dp(row["new_constitution"], row["new_size"])
    return [
        PlayerDPUpdated(
            player_id=_uuid(args["player_id"]),
            old_dp=row["old_current_dp"],
            new_dp=row["new_current_dp"],
            max_dp=max_dp,
            delta=row["new_current_dp"] - row["old_current_dp"],
            source=args["source"],
            **stamp,
        )
    ]


def _xp_events(
    args: Mapping[str, Any], row: Mapping[str, Any], stamp: dict[str, Any]
) -> list[Event]:
    player_id = _uuid(args["player_id"])
    events: list[Event] = [
        PlayerXPAwarded(
            player_id=player_id,
            xp_amount=row["new_experience_points"] - row["old_experience_points"],
            new_xp=row["new_experience_points"],
            new_level=row["new_level"],
            source=args["source"],
            **stamp,
        )
    ]
    if row["new_level"] > row["old_level"]:
        events.append(
            PlayerLeveledUp(
                player_id=player_id,
                old_level=row["old_level"],
                new_level=row["new_level"],
                **stamp,
            )
        )
    return events


def _stat_events(
    args: Mapping[str, Any], row: Mapping[str, Any], stamp: dict[str, Any]
) -> list[Event]:
    name = args["field"]
    return [
        PlayerStatChanged(
            player_id=_uuid(args["player_id"]),
            field=name,
            old_value=row[f"old_{name}"],
            new_value=row[f"new_{name}"],
            reason=args["reason"],
            **stamp,
        )
    ]


_CounterBuilder = Callable[[Mapping[str, Any], Mapping[str, Any], dict[str, Any]], list[Event]]
_COUNTER_KINDS: dict[str, _CounterBuilder] = {
    "dp": _dp_events,
    "xp": _xp_events,
    "stat": _stat_events,
}


def _uuid(value: Any) -> UUID:
    """An id from an outbox row's payload (a string) or from a change in this process."""
    return value if isinstance(value, UUID) else UUID(str(value))


def _json_ready(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, tuple):
        return [_json_ready(item) for item in value]
    return value


def _decoded(cls: type[Event], payload: Mapping[str, Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {name: _as_type(hints[name], value) for name, value in payload.items()}


def _as_type(hint: Any, value: Any) -> Any:
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if value is not None and UUID in options:
        return _uuid(value)
    if isinstance(value, list) and typing.get_origin(hint) is tuple:
        return tuple(value)
    return value
