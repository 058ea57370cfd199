"""SQL functions Tortoise lacks, spelled for each backend."""

from __future__ import annotations

from typing import Any

from pypika_tortoise.enums import Dialects
from pypika_tortoise.terms import Function as PypikaFunction
from tortoise.expressions import CombinedExpression, Connector, Expression, F, Function, Value
from tortoise.functions import Coalesce


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


def clamp(value: Any, low: Any, high: Any) -> Any:
    """``value`` limited to ``low..high`` in SQL; a None bound is no bound."""
    if high is not None:
        value = Least(value, high)
    if low is not None:
        value = Greatest(value, low)
    return value


def combine(left: Any, connector: Connector, right: Any) -> CombinedExpression:
    """``left <connector> right`` as an SQL expression (Tortoise only combines F() directly)."""
    return CombinedExpression(
        left if isinstance(left, Expression) else Value(left), connector, right
    )


def effective_max_dp() -> Any:
    """max_dp, or max(20, (constitution + size) // 5) when it is null; SQL integer division."""
    derived = combine(combine(F("constitution"), Connector.add, F("size")), Connector.div, 5)
    return Coalesce(F("max_dp"), Greatest(20, derived))
