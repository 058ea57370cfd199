"""Events the persistence layer publishes after a commit, and the EventBus protocol."""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, TypeVar
from uuid import UUID

logger = logging.getLogger(__name__)
E = TypeVar("E", bound="Event")


class EventBus(Protocol):
    """Anything with a ``publish(event)`` method, sync or async."""

    def publish(self, event: Any) -> Any: ...


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class Event:
    event_type: ClassVar[str] = "event"
    timestamp: datetime = field(default_factory=_now)


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


async def publish_safely(bus: EventBus, event: Event) -> None:
    """Publish one event; a subscriber that fails is logged and never fails the caller."""
    try:
        result = bus.publish(event)
        if inspect.isawaitable(result):
            await result
    except Exception:
        logger.exception("event subscriber failed on %s; the write stands", event.event_type)
