"""The outbox: every event, written in the same transaction as the change it describes, and
where each writing process stands with publishing its own events on its local bus."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.fields.db_defaults import Now
from tortoise.models import Model


class JSONTextField(fields.JSONField):  # type: ignore[type-arg]
    """A JSON field PostgreSQL keeps as ``json``, the text as written, instead of ``jsonb``.

    An outbox row is written once and read whole, never searched by its contents, so ``jsonb``'s
    parsing buys nothing; and building it in a counter's statement turns every number into a
    ``numeric``, at a cost in server time on every change (migration 9).
    """

    class _db_postgres:
        SQL_TYPE = "JSON"


class OutboxEntry(Model):
    """The events of one committed change.

    ``kind`` and ``payload`` describe the change (``mud_persistence.events.events_for`` turns
    them back into event objects). ``id`` numbers the row's events
    (``mud_persistence.events.first_event_id``); on PostgreSQL it is taken inside the writing
    transaction after the change's row locks, and after the transaction has its own id (the
    ``outbox_next_id()`` default, migration 7; a counter's statement takes it with ``nextval``
    after its UPDATE, ``repositories.outbox._insert_rows``), so that one player's rows are
    numbered in the order their changes commit.
    """

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=64)
    player_id = fields.UUIDField(null=True)
    payload: Any = JSONTextField()
    origin = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "outbox"

    def __str__(self) -> str:
        return f"OutboxEntry({self.id}, {self.kind})"


class OutboxOrigin(Model):
    """How far one writing process has published its own outbox rows on its local bus.

    Every row ``origin`` wrote up to ``published_id`` was published. The process updates
    ``seen_at`` each relay tick; once it stops (it died), another process's relay publishes that
    process's later rows on its own bus and deletes this row.
    """

    origin = fields.CharField(max_length=64, primary_key=True)
    published_id = fields.BigIntField()
    seen_at = fields.DatetimeField(db_default=Now())

    class Meta:
        table = "outbox_origins"

    def __str__(self) -> str:
        return f"OutboxOrigin({self.origin}, published through {self.published_id})"
