"""The outbox table: every event, written in the same transaction as the change it describes."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.fields.db_defaults import Now
from tortoise.models import Model

# Partial indexes Tortoise cannot declare (see EXPRESSION_INDEXES): the relay's two scans, for
# rows not numbered yet and rows no local bus has taken yet, read only these small indexes.
OUTBOX_UNNUMBERED_INDEX = "idx_outbox_unnumbered"
OUTBOX_UNDELIVERED_INDEX = "idx_outbox_undelivered"


class OutboxEntry(Model):
    """The events of one committed change, numbered in commit order.

    ``kind`` and ``payload`` describe the change (``mud_persistence.events.events_for`` turns
    them back into event objects).
    ``id`` follows insert order; ``event_id`` is given by the relay once the row is committed,
    in commit order, and is what subscribers see. ``delivered``: a local bus has published it.
    """

    id = fields.BigIntField(primary_key=True)
    event_id = fields.BigIntField(null=True, unique=True)
    kind = fields.CharField(max_length=64)
    player_id = fields.UUIDField(null=True)
    payload: Any = fields.JSONField()
    origin = fields.CharField(max_length=64)
    delivered = fields.BooleanField(db_default=False)
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "outbox"

    def __str__(self) -> str:
        return f"OutboxEntry({self.id}, {self.kind}, event {self.event_id})"
