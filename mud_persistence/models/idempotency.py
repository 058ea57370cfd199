"""The idempotency_keys table: one row per idempotency key, with the result of its call."""

from __future__ import annotations

from tortoise import fields
from tortoise.fields.db_defaults import Now
from tortoise.models import Model

MAX_KEY_LENGTH = 255


class IdempotencyKey(Model):
    """A write that ran with an idempotency key: which call it was and what it returned.

    The row is inserted, and its result recorded, in the transaction of the write itself, so a
    committed row always means the write committed. Expired rows count as absent.
    """

    key = fields.CharField(max_length=MAX_KEY_LENGTH, primary_key=True)
    method = fields.CharField(max_length=64)
    # sha256 of the method name and its normalised arguments (mud_persistence.idempotency)
    fingerprint = fields.CharField(max_length=64)
    # the call's result as JSON; null only until the call's own transaction records it
    result = fields.TextField(null=True)
    created_at = fields.DatetimeField(db_default=Now())
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "idempotency_keys"

    def __str__(self) -> str:
        return f"IdempotencyKey({self.key}, {self.method})"
