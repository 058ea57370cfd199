"""The wrapper every database method of the layer runs in: context, lazy open, retries,
replicas and text checks; and LayerClosedError, which it raises after close()."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, cast

from mud_persistence.errors import DatabaseError, PersistenceError
from mud_persistence.idempotency import IDEMPOTENCY_KEY, KeyedMethod
from mud_persistence.retry import DRIVER_ERRORS, run_with_retry
from mud_persistence.schemas.validation import check_text_arguments

if TYPE_CHECKING:
    from mud_persistence.facade import AsyncPersistenceLayer

# What a call that close() tore down may fail with (see attempt below).
_FAILURES: tuple[type[BaseException], ...] = (DatabaseError, *DRIVER_ERRORS)
Operation = TypeVar("Operation", bound=Callable[..., Coroutine[Any, Any, Any]])


def _operation(
    *, idempotent: bool, stale_ok: bool = False, keyed: bool = False
) -> Callable[[Operation], Operation]:
    """Run the method in this layer's Tortoise context, whichever task calls it, opening the
    layer on first use and retrying transient failures (any, for reads; only those that sent
    nothing, for writes). Every text argument is checked first (check_text_arguments), so none
    reaches the database unchecked.

    With read replicas configured, a ``stale_ok`` read may run on a replica that has this
    layer's writes, and each write records where the primary's WAL stands afterwards.

    A ``keyed`` write takes an ``idempotency_key`` keyword (mud_persistence.idempotency).
    """

    def decorate(method: Operation) -> Operation:
        name = method.__name__
        parameters = list(inspect.signature(method).parameters)[1:]
        keys = KeyedMethod(method) if keyed else None
        records_events = not idempotent  # a read records none: it needs no unit of work

        @functools.wraps(method)
        async def wrapper(layer: AsyncPersistenceLayer, /, *args: Any, **kwargs: Any) -> Any:
            idempotency_key = kwargs.pop(IDEMPOTENCY_KEY, None) if keys else None
            args, kwargs = _checked_arguments(parameters, args, kwargs)
            if not layer._database.is_open:
                await layer._open_on_first_use(name)
            # after opening: a Player's foreign-key columns exist once Tortoise is initialised
            keyed_call = (
                None
                if keys is None or idempotency_key is None
                else keys.prepare(idempotency_key, (layer, *args), kwargs)
            )
            call: Callable[[], Coroutine[Any, Any, Any]] = (
                functools.partial(method, layer, *args, **kwargs)
                if keyed_call is None
                else functools.partial(
                    layer._idempotency.run,
                    keyed_call,
                    functools.partial(method, layer, *args, **kwargs),
                )
            )

            async def attempt() -> Any:
                if layer._closed:
                    raise layer._closed_error(name)
                try:
                    with layer._database.bound(name):
                        if records_events:
                            # events are published once the call's outermost commit is done
                            return await layer._outbox.run(call)
                        return await call()
                except _FAILURES as exc:
                    # a call in flight when close() ran fails on whatever close() tore down
                    if layer._closed and not isinstance(exc, LayerClosedError):
                        raise layer._closed_error(name) from exc
                    raise

            def on_primary(failed: BaseException | None = None) -> Coroutine[Any, Any, Any]:
                return run_with_retry(
                    attempt,
                    layer.settings,
                    name=name,
                    idempotent=idempotent,
                    keyed=keyed_call is not None,
                    failed=failed,
                )

            replicas = layer._replicas.configured
            if stale_ok and replicas and not layer._closed:
                return await layer._replicas.read(call, on_primary)
            moves_replica_position = replicas and not idempotent
            try:
                # the first attempt made here: one coroutine less per call
                try:
                    result = await attempt()
                except PersistenceError:
                    raise
                except DRIVER_ERRORS as exc:
                    result = await on_primary(failed=exc)
            except DatabaseError as exc:
                # only a write that committed, or may have, moves the position replicas must reach
                if moves_replica_position and exc.outcome_unknown:
                    await layer._replicas.note_write()
                raise
            if moves_replica_position:
                await layer._replicas.note_write()
            return result

        if keys is not None:
            keys.describe(wrapper)
        return cast(Operation, wrapper)

    return decorate


class LayerClosedError(DatabaseError):
    """The layer was closed; connect() opens it again."""


def _checked_arguments(
    parameters: list[str], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """``args`` and ``kwargs`` with each one-pass iterator as a list (a retry must see the
    same input: a generator is consumed by the first attempt), once every text among them is
    checked (check_text_arguments). Most calls pass neither: no copies are made for them."""
    texts: list[tuple[str, str]] = []
    for index, value in enumerate(args):
        if isinstance(value, str):
            if index < len(parameters):
                texts.append((parameters[index], value))
        elif isinstance(value, Iterator):
            args = tuple(_materialised(value) for value in args)
    if kwargs:
        kwargs = {key: _materialised(value) for key, value in kwargs.items()}
        texts.extend((key, value) for key, value in kwargs.items() if isinstance(value, str))
    if texts:
        check_text_arguments(texts)
    return args, kwargs


def _materialised(value: Any) -> Any:
    """A one-pass iterator as a list; anything else unchanged."""
    return list(value) if isinstance(value, Iterator) else value


_read = _operation(idempotent=True)
_write = _operation(idempotent=False, keyed=True)
# A write that cannot honour an idempotency key (import_legacy commits batch by batch).
_unkeyed_write = _operation(idempotent=False)
# Reads a replica may answer a little late: listings, room occupancy, professions
# (docs/scaling.md lists them for operators).
_stale_ok_read = _operation(idempotent=True, stale_ok=True)
