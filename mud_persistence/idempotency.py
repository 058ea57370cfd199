"""Idempotency keys: a write called with a key is applied once; a repeat with the same key and
arguments returns the result recorded by the first call (docs/idempotency.md)."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import hashlib
import inspect
import json
import logging
import re
import time
import typing
import uuid
from collections.abc import Awaitable, Callable, Mapping, Set
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import PurePath
from types import NoneType, UnionType
from typing import Any

import pydantic
from tortoise.models import Model
from tortoise.transactions import in_transaction

from mud_persistence.errors import ConflictError, NotFoundError, ValidationError
from mud_persistence.models import Player
from mud_persistence.models.idempotency import MAX_KEY_LENGTH
from mud_persistence.repositories.idempotency import IdempotencyRepository, RecordedCall
from mud_persistence.schemas.validation import shorten
from mud_persistence.settings import PersistenceSettings

logger = logging.getLogger(__name__)

IDEMPOTENCY_KEY = "idempotency_key"
# What each keyed write's help() says about the keyword.
KEY_DOC = """\
``idempotency_key`` (keyword): run the call once, recording its result with the key in the
same transaction; a repeat with the same key and arguments returns that result and changes
nothing, the same key with other arguments raises ConflictError. A keyed call is safe to
repeat after a DatabaseError whose outcome is unknown (docs/idempotency.md)."""
# Methods that write the Player objects they are given as they stand: the objects' values are
# part of the call's intent. Every other method reads only a player's id.
WRITES_PLAYER_OBJECTS = frozenset({"save_player", "save_players"})
UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def check_key(key: object) -> str:
    """``key`` if it can be an idempotency key, else ValidationError naming it."""
    problem = None
    if not isinstance(key, str):
        problem = "must be a string"
    elif not key.strip():
        problem = "must not be empty or blank"
    elif len(key) > MAX_KEY_LENGTH:
        problem = f"must be at most {MAX_KEY_LENGTH} characters long ({len(key)} given)"
    elif "\0" in key:
        problem = "must not contain NUL characters"
    if problem is not None:
        raise ValidationError(
            f"{IDEMPOTENCY_KEY} {problem}, got {shorten(key)}", field=IDEMPOTENCY_KEY, value=key
        )
    assert isinstance(key, str)
    return key


class UncomparableArgumentError(ValidationError):
    """An argument whose value cannot be compared between two calls."""


def normalised(value: Any, *, write_players: bool = False, uuid_text: bool = False) -> Any:
    """``value`` as plain JSON data that is equal for calls with the same intent: a UUID and
    its text are one id (text only in a ``uuid_text`` argument, one annotated as a UUID: other
    text keeps its letter case), ``5.0`` is ``5``, a set has no order, a naive time is UTC, and
    a Player is its id (and its values, when the call writes the object)."""
    if value is None or isinstance(value, bool | str):
        return (
            value.lower()
            if uuid_text and isinstance(value, str) and UUID_TEXT.fullmatch(value)
            else value
        )
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.isoformat()
    if isinstance(value, date | Decimal | PurePath):
        return str(value)
    if isinstance(value, enum.Enum):
        return normalised(value.value)
    if isinstance(value, Player):
        return _player(value, write_players=write_players)
    if isinstance(value, Model):
        return {"model": type(value).__name__, "pk": normalised(value.pk)}
    if isinstance(value, pydantic.BaseModel):
        return normalised(value.model_dump(mode="json"))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return normalised(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): normalised(v, write_players=write_players) for k, v in value.items()}
    if isinstance(value, Set):
        items = [normalised(v, write_players=write_players, uuid_text=uuid_text) for v in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    if isinstance(value, list | tuple):
        return [normalised(v, write_players=write_players, uuid_text=uuid_text) for v in value]
    if not callable(value) and hasattr(value, "__dict__"):  # the old layer's params objects
        public = {k: v for k, v in vars(value).items() if not k.startswith("_")}
        return normalised(public, write_players=write_players)
    raise UncomparableArgumentError(
        f"cannot use an {IDEMPOTENCY_KEY} with an argument of type {type(value).__name__} "
        f"({shorten(value)}): it cannot be compared with a later call's",
        field=IDEMPOTENCY_KEY,
        value=value,
    )


def _player(player: Player, *, write_players: bool) -> Any:
    if not write_players:
        return {"player": normalised(player.player_id)}
    # What the save makes the row hold, not the object's pending changes: those are gone once
    # a save succeeded, and a repeat with the same object (or one loaded again and changed
    # alike) asks for the same row.
    values = {name: getattr(player, name) for name in player.saved_fields()}
    return {"player": normalised(player.player_id), "values": normalised(values)}


def fingerprint(
    method: str, arguments: Mapping[str, Any], uuid_parameters: Set[str] = frozenset()
) -> str:
    """A stable hash of the method's name and its arguments (bound, defaults applied); the
    text of a UUID in ``uuid_parameters`` counts whatever its letter case."""
    write_players = method in WRITES_PLAYER_OBJECTS
    shape = {
        "method": method,
        "arguments": {
            name: normalised(value, write_players=write_players, uuid_text=name in uuid_parameters)
            for name, value in arguments.items()
        },
    }
    text = json.dumps(shape, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _players_in(arguments: Mapping[str, Any]) -> list[Player]:
    found: list[Player] = []
    for value in arguments.values():
        values = value if isinstance(value, list | tuple) else [value]
        found.extend(item for item in values if isinstance(item, Player))
    return found


class ResultCodec:
    """A method's result as JSON and back, by its return annotation: pydantic's TypeAdapter for
    values (int, XPAward, ContainerData, the old dicts, ...); a Tortoise model (Player,
    ItemInstance) is recorded by primary key and read again, as it is now, on a repeat."""

    def __init__(self, method: Callable[..., Any]) -> None:
        self._method = method
        self._resolved: tuple[type[Model] | None, pydantic.TypeAdapter[Any] | None] | None = None

    def _resolve(self) -> tuple[type[Model] | None, pydantic.TypeAdapter[Any] | None]:
        if self._resolved is None:
            returns = typing.get_type_hints(self._method).get("return", Any)
            model = _model_in(returns)
            self._resolved = (model, None if model else pydantic.TypeAdapter(returns))
        return self._resolved

    def encode(self, result: Any) -> str:
        model, adapter = self._resolve()
        if model is not None:
            pk = None if result is None else result.pk
            return json.dumps(pk if pk is None or isinstance(pk, int) else str(pk))
        assert adapter is not None
        return adapter.dump_json(result).decode()

    async def decode(
        self, text: str, repository: IdempotencyRepository, call: KeyedCall | None = None
    ) -> Any:
        """The recorded result; RecordedRowGoneError when it names a row deleted since."""
        model, adapter = self._resolve()
        if model is None:
            assert adapter is not None
            return adapter.validate_json(text)
        pk = json.loads(text)
        if pk is None:
            return None
        found = await repository.load(model, pk)
        if found is None:
            if call is None:
                raise NotFoundError(model.__name__, pk)
            raise RecordedRowGoneError(call, model.__name__, pk)
        return found


class RecordedRowGoneError(NotFoundError):
    """A repeat of a keyed call whose recorded result is a row deleted since."""

    def __init__(self, call: KeyedCall, entity: str, key: Any) -> None:
        super().__init__(entity, key)
        row = str(self).removesuffix(" not found")
        verb = "created" if call.method.startswith("create_") else "returned"
        self.args = (
            f"{call.method} already ran with {IDEMPOTENCY_KEY.replace('_', ' ')} {call.key!r} "
            f"and {verb} {row}, which no longer exists: nothing was done; use a new key to run "
            "the call again",
        )


def _mentions_uuid(annotation: Any) -> bool:
    if annotation is uuid.UUID:
        return True
    return any(_mentions_uuid(argument) for argument in typing.get_args(annotation))


def _model_in(annotation: Any) -> type[Model] | None:
    """The Tortoise model ``annotation`` names, alone or or None; None for anything else."""
    options = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, UnionType):
        others = [option for option in options if option is not NoneType]
        annotation = others[0] if len(others) == 1 else None
    is_model = isinstance(annotation, type) and issubclass(annotation, Model)
    return annotation if is_model else None


@dataclasses.dataclass(frozen=True)
class KeyedCall:
    """One call of a write with its key, ready to run."""

    key: str
    method: str
    fingerprint: str
    codec: ResultCodec
    players: list[Player]  # objects a repeat of a save marks as saved
    touched: list[Player]  # every Player argument: restored when the transaction rolls back


@dataclasses.dataclass(frozen=True)
class PlayerState:
    """A Player object's saved columns and what it knows of its row, as they were before a
    keyed call: the call's writes mark the object saved when its own statements end, which
    inside the keyed transaction is before the COMMIT that may yet fail."""

    player: Player
    baseline: tuple[Any, ...] | None
    in_database: bool
    values: tuple[Any, ...]

    @classmethod
    def of(cls, player: Player) -> PlayerState:
        values = tuple(getattr(player, name) for name in player.saved_fields())
        baseline = getattr(player, "_baseline", None)
        return cls(player, baseline, bool(player._saved_in_db), values)

    def restore(self) -> None:
        player = self.player
        for name, value in zip(player.saved_fields(), self.values, strict=True):
            if getattr(player, name) is not value:
                setattr(player, name, value)
        object.__setattr__(player, "_baseline", self.baseline)  # None: a new player again
        object.__setattr__(player, "_saved_in_db", self.in_database)


class KeyedMethod:
    """How the write wrapper runs one method with keys: the method declares the keyword (so
    type checkers, IDEs, help() and the reference show it), the wrapper takes it out of the
    call, fingerprints the call and records its result."""

    def __init__(self, method: Callable[..., Any]) -> None:
        self.name = method.__name__
        signature = inspect.signature(method)
        declared = signature.parameters.get(IDEMPOTENCY_KEY)
        if declared is None or declared.kind is not declared.KEYWORD_ONLY or declared.default:
            raise TypeError(
                f"{self.name} is a keyed write: declare `*, {IDEMPOTENCY_KEY}: str | None = None`"
            )
        others = [p for p in signature.parameters.values() if p.name != IDEMPOTENCY_KEY]
        self._signature = signature.replace(parameters=others)
        self._codec = ResultCodec(method)
        self._method = method
        self._uuid_parameters: frozenset[str] | None = None

    def prepare(self, key: object, args: tuple[Any, ...], kwargs: dict[str, Any]) -> KeyedCall:
        """Check the key and fingerprint the call; ``args`` start with the layer."""
        key = check_key(key)
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = dict(list(bound.arguments.items())[1:])  # without self
        touched = _players_in(arguments)
        players = touched if self.name in WRITES_PLAYER_OBJECTS else []
        shape = fingerprint(self.name, arguments, self.uuid_parameters())
        return KeyedCall(key, self.name, shape, self._codec, players, touched)

    def uuid_parameters(self) -> frozenset[str]:
        """The parameters annotated as taking a UUID (``uuid.UUID | str``, a list of them)."""
        if self._uuid_parameters is None:
            hints = typing.get_type_hints(self._method)
            self._uuid_parameters = frozenset(
                name for name, hint in hints.items() if name != "return" and _mentions_uuid(hint)
            )
        return self._uuid_parameters

    def describe(self, wrapper: Callable[..., Any]) -> None:
        """Say in ``wrapper``'s help() what the keyword does."""
        wrapper.__doc__ = f"{inspect.cleandoc(wrapper.__doc__ or '')}\n\n{KEY_DOC}"


class Idempotency:
    """A layer's keyed calls: each runs in one transaction with its key, and expired keys are
    deleted now and then in the background."""

    def __init__(self, settings: PersistenceSettings) -> None:
        self._settings = settings
        self._repository = IdempotencyRepository()
        self._last_cleanup = time.monotonic()
        self._cleanups: set[asyncio.Task[None]] = set()

    async def run(self, call: KeyedCall, apply: Callable[[], Awaitable[Any]]) -> Any:
        """Apply the call with its key, or return the result its key recorded.

        The key is claimed first, so a concurrent call with the same key waits here until the
        first commits (and then repeats its result) or rolls back (and then runs itself).

        Raises:
            ConflictError: the key was recorded for another method or other arguments.
        """
        now = datetime.now(UTC)
        expires_at = now + timedelta(seconds=self._settings.idempotency_key_ttl)
        before = [PlayerState.of(player) for player in call.touched]
        try:
            recorded, result = await self._run_once(call, apply, now, expires_at)
        except BaseException:
            # the transaction did not commit: what the call marked as saved (a save's changes,
            # an insert, a counter's new value) is not, and a repeat must write it again
            for state in before:
                state.restore()
            raise
        if recorded is not None:
            for player in call.players:
                player.mark_saved()  # the first call wrote exactly these values
        self._clean_up_now_and_then()
        return result

    async def _run_once(
        self,
        call: KeyedCall,
        apply: Callable[[], Awaitable[Any]],
        now: datetime,
        expires_at: datetime,
    ) -> tuple[RecordedCall | None, Any]:
        async with in_transaction(self._settings.connection_name):
            recorded = await self._repository.claim(
                call.key, call.method, call.fingerprint, now, expires_at
            )
            if recorded is None:
                result = await apply()
                await self._repository.record(call.key, call.codec.encode(result))
            else:
                if (recorded.method, recorded.fingerprint) != (call.method, call.fingerprint):
                    raise ConflictError(_conflict(call, recorded.method))
                assert recorded.result is not None  # recorded in the transaction that committed
                result = await call.codec.decode(recorded.result, self._repository, call)
        return recorded, result

    def _clean_up_now_and_then(self) -> None:
        now = time.monotonic()
        if now - self._last_cleanup < self._settings.idempotency_cleanup_interval:
            return
        self._last_cleanup = now
        task = asyncio.create_task(self._delete_expired())
        self._cleanups.add(task)
        task.add_done_callback(self._cleanups.discard)

    async def _delete_expired(self) -> None:
        try:
            deleted = await self.delete_expired()
        except Exception as exc:  # the next sweep tries again; expired keys count as absent
            logger.warning("deleting expired idempotency keys failed: %s", exc)
        else:
            logger.debug("deleted %d expired idempotency keys", deleted)

    async def close(self) -> None:
        """Stop the sweeps in flight (the layer is closing); the next open starts anew."""
        for task in list(self._cleanups):
            task.cancel()
        await asyncio.gather(*self._cleanups, return_exceptions=True)

    async def delete_expired(self) -> int:
        """Delete the keys that have expired; return how many."""
        return await self._repository.delete_expired(datetime.now(UTC))


def _conflict(call: KeyedCall, recorded_method: str) -> str:
    if recorded_method != call.method:
        return (
            f"idempotency key {call.key!r} was used for {recorded_method}, not {call.method}: "
            "use a new key for each distinct write"
        )
    return (
        f"idempotency key {call.key!r} was used for {call.method} with other arguments: "
        "use a new key for each distinct write"
    )
