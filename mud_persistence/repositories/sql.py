"""SQL functions Tortoise lacks, spelled for each backend."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pypika_tortoise.enums import Dialects
from pypika_tortoise.terms import Function as PypikaFunction
from pypika_tortoise.terms import Parameterizer
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.context import require_context
from tortoise.expressions import (
    CombinedExpression,
    Connector,
    Expression,
    F,
    Function,
    ResolveContext,
    Value,
)
from tortoise.functions import Coalesce
from tortoise.models import Model
from tortoise.queryset import QuerySet

from mud_persistence.models.player_stats import derived_max_dp


class _Greatest(PypikaFunction):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("GREATEST", *args, **kwargs)

    def get_dialect_special_name(self, dialect: Dialects) -> str:
        return "MAX" if dialect == Dialects.SQLITE else ""  # SQLite's MAX(a, b) is scalar


class _Least(PypikaFunction):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LEAST", *args, **kwargs)

    def get_dialect_special_name(self, dialect: Dialects) -> str:
        return "MIN" if dialect == Dialects.SQLITE else ""


class _Extreme(Function):
    def __init__(self, first: Any, *others: Any) -> None:
        super().__init__(first, *others)  # Tortoise accepts plain values; its hints do not say so


class Greatest(_Extreme):
    """The largest of its arguments: ``Greatest(F("a"), 0)``."""

    database_func = _Greatest


class Least(_Extreme):
    """The smallest of its arguments: ``Least(F("a"), 100)``."""

    database_func = _Least


class _ResistedAmount(PypikaFunction):
    """``round(amount * (1.0 - resistance / 100.0))`` as Python computes it: in doubles,
    rounding halves to even. The layer we replace computed cold and water damage this way, and
    a game's balance depends on the exact numbers (10 damage at 25% is 8, not 7)."""

    def __init__(self, resistance: Any, amount: Any) -> None:
        super().__init__("RESISTED", resistance, amount)

    def get_function_sql(self, ctx: Any) -> str:
        resistance = self.get_arg_sql(self.args[0], ctx)
        double = "DOUBLE PRECISION"  # SQLite reads this type name as REAL
        if ctx.dialect == Dialects.SQLITE:
            # repeated below, and SQLite's "?" takes one value per occurrence: an int literal
            amount = str(int(self.args[1].value))
        else:  # one $n parameter, which the expression may repeat
            amount = f"CAST({self.get_arg_sql(self.args[1], ctx)} AS INTEGER)"
        exact = f"({amount} * (CAST(1 AS {double}) - {resistance} / CAST(100 AS {double})))"
        if ctx.dialect != Dialects.SQLITE:
            return f"CAST(ROUND({exact}) AS INTEGER)"  # PostgreSQL rounds doubles half to even
        whole = f"CAST({exact} AS INTEGER)"  # truncates; the value is never negative
        fraction = f"({exact} - {whole})"
        return (
            f"(CASE WHEN {fraction} > 0.5 THEN {whole} + 1 WHEN {fraction} < 0.5 THEN {whole}"
            f" ELSE {whole} + {whole} % 2 END)"
        )


class ResistedAmount(Function):
    """``amount`` less ``resistance`` percent, rounded as the old layer did (see above)."""

    database_func = _ResistedAmount

    def __init__(self, resistance: F, amount: Any) -> None:
        super().__init__(resistance, amount)


def clamp(value: Any, low: Any, high: Any) -> Any:
    """``value`` limited to ``low..high`` in SQL; a None bound is no bound."""
    if high is not None:
        value = Least(value, high)
    if low is not None:
        value = Greatest(value, low)
    return value


def is_foreign_key_error(exc: Exception) -> bool:
    """Whether the database refused a write for naming a row that does not exist."""
    return "foreign key" in str(exc).lower()  # PostgreSQL and SQLite both say so


def combine(left: Any, connector: Connector, right: Any) -> CombinedExpression:
    """``left <connector> right`` as an SQL expression (Tortoise only combines F() directly)."""
    return CombinedExpression(
        left if isinstance(left, Expression) else Value(left), connector, right
    )


def effective_max_dp(**new_values: Any) -> Any:
    """max_dp, or max(20, (constitution + size) // 5) when it is null, in SQL (integer
    division); from the row's columns, or from ``new_values`` of max_dp, constitution, size."""
    max_dp = new_values.get("max_dp", F("max_dp"))
    constitution = new_values.get("constitution", F("constitution"))
    size = new_values.get("size", F("size"))
    if isinstance(constitution, int) and isinstance(size, int):
        derived: Any = derived_max_dp(constitution, size)
    else:
        total = combine(constitution, Connector.add, size)
        derived = Greatest(20, combine(total, Connector.div, 5))
    if max_dp is None or isinstance(max_dp, int):
        return Value(derived if max_dp is None else max_dp)
    return Coalesce(max_dp, derived)


M = TypeVar("M", bound=Model)


def joins_batch(connection: BaseDBAsyncClient, query: str) -> bool:
    """Whether a call of the batched ``query`` on ``connection`` joins a batch now
    (mud_persistence.batching): only a pooled PostgreSQL connection outside a transaction
    batches, and only while its pool is busy (TimedAsyncpgClient.coalesces)."""
    coalesces = getattr(connection, "coalesces", None)
    return coalesces is not None and bool(coalesces(query))


def connection_of(model: type[Model]) -> BaseDBAsyncClient:
    """``model._meta.db``: the connection ``model``'s queries use here (a transaction's, or the
    pool's), for the lookups every operation makes. Tortoise's own runs an import statement
    each time: about 3 us per lookup there, 1 us here (timeit)."""
    alias = model._meta.default_connection
    if alias is None:
        return model._meta.db  # Tortoise's own error
    return require_context().connections.get(alias)


class CompiledQuery(Generic[M]):
    """A Tortoise query built once per dialect (the Tortoise connection name), then run with
    new parameters.

    Building a Tortoise query costs about 110 µs; reading a player by id costs about 300 µs in
    all, so hot reads build theirs once (measured with `make bench`, get_player_by_id).
    ``params`` must give the query's parameters in Tortoise's order; the first compilation
    checks it against the parameters Tortoise itself produced. ``loader``, when given, makes
    the function that builds a model object from a whole row (Player.row_loader), once per
    dialect too; otherwise rows go through Tortoise's ``_init_from_db``.
    """

    def __init__(
        self,
        model: type[M],
        build: Callable[..., QuerySet[M]],
        params: Callable[..., list[Any]],
        loader: Callable[[], Callable[[Mapping[str, Any]], M]] | None = None,
        *,
        batched: str | None = None,
    ) -> None:
        self._model = model
        self._build = build
        self._params = params
        self._loader = loader
        self._batched = batched
        self._compiled: dict[str, tuple[str, Callable[[Mapping[str, Any]], M]]] = {}

    async def fetch(self, *args: Any) -> list[M]:
        connection = connection_of(self._model)
        sql, load = self._compiled_for(connection, args)
        return [load(row) for row in await self._rows_of(connection, sql, args)]

    async def first(self, *args: Any) -> M | None:
        """The first row's object; with ``batched`` (PostgreSQL's SQL for many lookups: the
        array of first arguments as $1, each row with its argument's 1-based position as
        ``lookup_index``), a lookup that would wait for a pooled connection is sent with the
        others waiting (mud_persistence.batching)."""
        connection = connection_of(self._model)
        sql, load = self._compiled_for(connection, args)
        if self._batched is not None and joins_batch(connection, self._batched):
            (key,) = args  # a batched lookup takes its key alone
            row = await connection.fetch_batched_row(  # type: ignore[attr-defined]
                self._batched, key, (key,), shared=True
            )
            return None if row is None else load(row)
        # not through fetch(): one coroutine less per read
        found = await self._rows_of(connection, sql, args)
        return load(found[0]) if found else None

    def _compiled_for(
        self, connection: BaseDBAsyncClient, args: tuple[Any, ...]
    ) -> tuple[str, Callable[[Mapping[str, Any]], M]]:
        """The SQL and the row loader for ``connection``, compiled on first use."""
        return self._compiled.get(connection.connection_name) or self._compile(connection, args)

    def _rows_of(
        self, connection: BaseDBAsyncClient, sql: str, args: tuple[Any, ...]
    ) -> Awaitable[Sequence[Mapping[str, Any]]]:
        """The rows to await."""
        # TimedAsyncpgClient's, outside a transaction: no statement-type check per call
        fetch_rows = getattr(connection, "fetch_rows", None)
        if fetch_rows is not None:
            return fetch_rows(sql, self._params(*args))  # type: ignore[no-any-return]
        return self._rows(connection, sql, self._params(*args))

    @staticmethod
    async def _rows(
        connection: BaseDBAsyncClient, sql: str, values: list[Any]
    ) -> Sequence[Mapping[str, Any]]:
        _, rows = await connection.execute_query(sql, values)
        return rows

    def _compile(
        self, connection: BaseDBAsyncClient, args: tuple[Any, ...]
    ) -> tuple[str, Callable[[Mapping[str, Any]], M]]:
        query = self._build(*args)
        query._choose_db_if_not_chosen()
        query._make_query()
        sql, values = query.query.get_parameterized_sql()
        if list(values) != self._params(*args):
            raise AssertionError(f"parameters {values} do not match {self._params(*args)}")
        compiled = (sql, self._loader() if self._loader else self._load_with_tortoise)
        self._compiled[connection.connection_name] = compiled
        return compiled

    def _load_with_tortoise(self, row: Mapping[str, Any]) -> M:
        return self._model._init_from_db(**dict(row))


@dataclass(frozen=True)
class Statement:
    """One statement as a list of common table expressions (``name AS (...)``) and a final
    statement that may read them. Kept apart so that a caller can add a CTE (say, an INSERT
    that records what another CTE changed) and still send one statement. PostgreSQL runs a
    data-modifying CTE only at the top level, so none of ``ctes`` holds a WITH of its own."""

    ctes: tuple[str, ...]
    final: str

    @property
    def sql(self) -> str:
        return f"WITH {', '.join(self.ctes)} {self.final}" if self.ctes else self.final

    def with_cte(self, cte: str) -> Statement:
        """This statement with ``cte`` added after the others."""
        return Statement((*self.ctes, cte), self.final)


class Placeholder:
    """A named parameter in an expression compiled once: rendered as a bind parameter, given
    its value by name on each run (see ExpressionRenderer and Binding)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Placeholder({self.name!r})"


def placeholders(names: Mapping[str, Any]) -> dict[str, Placeholder]:
    """A Placeholder for each name of ``names``."""
    return {name: Placeholder(name) for name in names}


class ExpressionRenderer:
    """Renders Tortoise expressions on ``model`` as SQL for ``connection``'s dialect, every
    value a bind parameter, numbered in the order they are rendered."""

    def __init__(self, model: type[Model], connection: BaseDBAsyncClient) -> None:
        self._parameterizer = Parameterizer()
        self._ctx = connection.query_class.SQL_CONTEXT.copy(parameterizer=self._parameterizer)
        self._resolve = ResolveContext(
            model=model, table=model._meta.basetable, annotations={}, custom_filters={}
        )

    def render(self, expression: Any) -> str:
        """``expression`` (an Expression or a plain value) as SQL."""
        if not isinstance(expression, Expression):
            expression = Value(expression)
        return str(expression.resolve(self._resolve).term.get_sql(self._ctx))

    def parameter(self, value: Any) -> str:
        """A bind parameter for ``value``, as SQL."""
        return str(self._parameterizer.create_param(value).get_sql(self._ctx))

    @property
    def values(self) -> list[Any]:
        """The values of the parameters rendered so far, in order (Placeholders included)."""
        return list(self._parameterizer.values)


class Binding:
    """The parameter list of a compiled statement: constants stay, each Placeholder takes the
    value of its name."""

    __slots__ = ("_slots",)

    def __init__(self, values: list[Any]) -> None:
        self._slots = tuple(
            (True, value.name) if isinstance(value, Placeholder) else (False, value)
            for value in values
        )

    def __len__(self) -> int:
        return len(self._slots)

    def bind(self, values: Mapping[str, Any]) -> list[Any]:
        return [values[slot] if named else slot for named, slot in self._slots]
