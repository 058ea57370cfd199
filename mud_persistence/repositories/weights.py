"""Container loads, compared exactly.

Each stored prototype weight counts as the decimal it was written as (0.1 is one tenth, not the
binary float nearest to it), and a load is an exact fraction, so ten items of 0.1 fill a limit of
1 exactly, in any order. Every weight limit is checked here, in Python; no SQL sums weights.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, localcontext
from fractions import Fraction

from mud_persistence.errors import CapacityError


def load_of(rows: Iterable[tuple[int, float]]) -> Fraction:
    """The exact total weight of ``(quantity, prototype weight)`` rows."""
    return sum((quantity * Fraction(repr(weight)) for quantity, weight in rows), Fraction(0))


def check_load(load: Fraction, limit: int | None, what: str) -> None:
    """CapacityError if ``load`` is over ``limit`` (None: no limit)."""
    if limit is not None and load > limit:
        raise too_heavy(load, limit, what)


def too_heavy(load: Fraction, limit: int, what: str) -> CapacityError:
    return CapacityError(
        f"{what} would hold a weight of {weight_text(load)}, over its limit of {limit}"
    )


def weight_text(load: Fraction) -> str:
    with localcontext(prec=60):
        return f"{Decimal(load.numerator) / Decimal(load.denominator):f}".rstrip("0").rstrip(".")
