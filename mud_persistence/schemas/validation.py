"""Turning pydantic's errors into the layer's ValidationError, naming the field and value."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import pydantic
from pydantic import AfterValidator, JsonValue

from mud_persistence.errors import ValidationError, ValidationTypeError
from mud_persistence.models import Player
from mud_persistence.models.limits import MAX_STEP

M = TypeVar("M", bound=pydantic.BaseModel)
J = TypeVar("J")


def storable(value: J) -> J:
    """``value`` if PostgreSQL can store all text and numbers in it: no NUL character, no lone
    surrogate (not valid Unicode), and no NaN or Infinity (JSON has neither)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"JSON cannot hold NaN or Infinity, got {value}")
    elif isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text cannot contain NUL characters (\\x00)")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text must be valid Unicode (it holds a lone surrogate)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            storable(key)
            storable(item)
    elif isinstance(value, list):
        for item in value:
            storable(item)
    return value


# Input types every schema uses for text and JSON: what PostgreSQL and SQLite both store as is.
Text = Annotated[str, AfterValidator(storable)]
JsonObject = Annotated[dict[str, JsonValue], AfterValidator(storable)]
JsonList = Annotated[list[JsonValue], AfterValidator(storable)]


def validate(schema: type[M], data: Any, *, what: str) -> M:
    """``schema`` built from ``data``, or ValidationError about the first bad field."""
    try:
        return schema.model_validate(data)
    except pydantic.ValidationError as exc:
        raise as_validation_error(exc, what=what) from None


def validate_value(adapter: pydantic.TypeAdapter[Any], value: Any, *, field: str) -> Any:
    """``value`` checked by ``adapter``, or ValidationError naming ``field`` (and the part)."""
    try:
        return adapter.validate_python(value)
    except pydantic.ValidationError as exc:
        raise as_validation_error(exc, what=field, field=field) from None


def as_validation_error(
    exc: pydantic.ValidationError, *, what: str, field: str | None = None
) -> ValidationError:
    first = exc.errors(include_url=False)[0]
    path = [*([field] if field else []), *(str(part) for part in first["loc"])]
    value = first.get("input")
    extra = f" ({exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
    if not path:  # a rule about the whole object: its value is the caller's whole input
        return ValidationError(f"invalid {what}: {_explain(first)}{extra}", field=what)
    return ValidationError(
        f"invalid {what}: {'.'.join(path)}: {_explain(first)}, got {shorten(value)}{extra}",
        field=".".join(path),
        value=value,
    )


def _explain(error: Any) -> str:
    """pydantic's message for one error, in the words of someone who never saw the schema."""
    kind, value, context = error["type"], error.get("input"), error.get("ctx", {})
    if kind == "value_error":  # our own validators' messages, without pydantic's prefix
        return str(context.get("error", error["msg"]))
    if isinstance(value, str) and kind == "too_long":
        return f"should have at most {context['max_length']} characters, not {len(value)}"
    if isinstance(value, str) and kind == "too_short":
        return f"should have at least {context['min_length']} character(s)"
    return str(error["msg"])


def shorten(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_player(value: Any) -> Player:
    """``value`` if it is a Player object; ValidationError otherwise (a None from a lookup that
    found nothing, or an id passed where the player itself is expected)."""
    if not isinstance(value, Player):
        raise ValidationTypeError(
            f"player must be a Player object (as get_player_by_id returns), got {shorten(value)}",
            field="player",
            value=value,
        )
    return value


def as_uuid(value: Any, *, field: str) -> uuid.UUID:
    """``value`` as a UUID, or ValidationError naming ``field``."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValidationError(
            f"{field} must be a UUID, got {shorten(value)}", field=field, value=value
        ) from None


def check_amount(value: Any, *, field: str, allow_negative: bool = False) -> int:
    """``value`` if it is a whole number (and not negative, unless allowed)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(
            f"{field} must be a whole number, got {shorten(value)}", field=field, value=value
        )
    if abs(value) > MAX_AMOUNT:
        raise ValidationError(
            f"{field} must be at most {MAX_AMOUNT:,} in size, got {value}", field=field, value=value
        )
    if value < 0 and not allow_negative:
        raise ValidationError(
            f"{field} must not be negative, got {value}", field=field, value=value
        )
    return value


def check_delta(value: Any, *, field: str) -> int:
    """``value`` as a whole number, positive or negative; an integral float (``5.0``) counts.

    Raises:
        ValidationTypeError: ``value`` is not a number at all (also a TypeError).
        ValidationError: a number with a fraction, or too large.
    """
    if isinstance(value, float):
        if not value.is_integer():
            raise ValidationError(
                f"{field} must be a whole number, got {value!r}", field=field, value=value
            )
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationTypeError(
            f"{field} must be a number, got {shorten(value)} ({type(value).__name__})",
            field=field,
            value=value,
        )
    return check_amount(value, field=field, allow_negative=True)


MAX_AMOUNT = MAX_STEP  # larger steps are certainly mistakes (see models.limits)


def check_time(value: Any, *, field: str) -> datetime | None:
    """``value`` as an aware UTC time (a naive one is taken as UTC); None stays None."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise ValidationError(
            f"{field} must be a datetime, got {shorten(value)}", field=field, value=value
        )
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def check_text(value: Any, *, field: str, max_length: int | None = None) -> str:
    """``value`` if it is text that can be stored and looked up (and at most ``max_length``
    characters); ValidationError otherwise."""
    if not isinstance(value, str):
        raise ValidationError(
            f"{field} must be a string, got {shorten(value)}", field=field, value=value
        )
    try:
        storable(value)
    except ValueError as exc:
        raise ValidationError(f"{field} {exc}", field=field, value=value) from None
    if max_length is not None and len(value) > max_length:
        raise ValidationError(
            f"{field} must be at most {max_length} characters, got {len(value)}: {shorten(value)}",
            field=field,
            value=value,
        )
    return value


# The longest text an argument of that name can hold: the length of the column it names.
TEXT_ARGUMENT_LIMITS = {
    "item_instance_id": 64,
    "prototype_id": 120,
    "room_id": 255,
    "to_owner_id": 255,
    "owner_id": 255,
}


def check_text_arguments(arguments: Iterable[tuple[str, Any]]) -> None:
    """Every text among ``(name, value)`` arguments checked by check_text, with the limit of
    its name: the one path every text argument of the facade takes."""
    for name, value in arguments:
        if isinstance(value, str):
            check_text(value, field=name, max_length=TEXT_ARGUMENT_LIMITS.get(name))


def read_json_file(path: Path, *, what: str) -> Any:
    """The JSON in ``path``; ValidationError naming the file when it cannot be read or parsed."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"cannot read {what} from {path}: {exc}", field=what) from None
