"""Copies of JSON column values, made the way the old model stored them."""

from __future__ import annotations

import json
import uuid
from typing import Any

from mud_persistence.errors import ValidationError


def json_copy(value: Any, *, field: str) -> Any:
    """A deep copy of ``value`` as JSON stores it (UUIDs become strings, as they did before)."""

    def encode(item: object) -> str:
        if isinstance(item, uuid.UUID):
            return str(item)
        raise TypeError(f"a {type(item).__name__} cannot be stored")

    try:
        return json.loads(json.dumps(value, default=encode))
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"{field} must be JSON data: {exc}", field=field, value=value
        ) from None
