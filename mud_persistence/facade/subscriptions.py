"""Events from every process: ``subscribe()``."""

from __future__ import annotations

from mud_persistence.errors import ValidationError
from mud_persistence.facade.base import LayerBase
from mud_persistence.facade.operation import _read
from mud_persistence.outbox import Handler
from mud_persistence.subscription import Subscription


class SubscriptionsMixin(LayerBase):
    """Subscribing to the events every game process commits."""

    @_read
    async def subscribe(self, handler: Handler, *, since: int | None = None) -> Subscription:
        """Call ``handler(event)`` (sync or async) for every event any process commits from
        now on, or after event ``since``.

        Events are the local bus's classes plus ``RoomsSaved``, ``ProfessionsSeeded`` and
        ``ItemPrototypesSeeded``, each with ``event_id`` set. They arrive at least once, in
        commit order per player (in ``event_id`` order), including events whose writer died
        right after its commit. A handler that raises gets the same event again after a
        backoff; later events wait for it.

        Args:
            handler: a function or coroutine function taking one event.
            since: replay what the outbox still holds after this event_id first
                (``settings.outbox_retention`` decides how far back); None: from now on
                (events committed after this call, including those of writes that were
                running during it, whose numbers may be lower).

        Returns:
            The subscription: ``await subscription.close()`` stops it (``close()`` of the
            layer stops them all); ``subscription.last_event_id`` is where to resume.

        Raises:
            ValidationError: ``settings.outbox`` is off, or ``since`` is not an event id.
        """
        if not self.settings.outbox:
            raise ValidationError(
                "subscribe() needs the outbox: settings.outbox is off", field="outbox", value=False
            )
        if since is not None and (
            isinstance(since, bool) or not isinstance(since, int) or since < 0
        ):
            raise ValidationError(
                f"since must be an event_id (an integer >= 0) or None, got {since!r}",
                field="since",
                value=since,
            )
        return await self._outbox.subscribe(handler, since)
