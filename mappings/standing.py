"""A computed level of a student on an indicator (or a standard), and a teacher's override.

Numbers are kept to hundredths and rounded half up (a tie goes to the higher hundredth, so
4.125 → 4.13): one rule, stated once, used by the explained path and the bulk path alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

HUNDREDTH = Decimal("0.01")


def to_hundredths(value: Fraction | Decimal | int) -> Decimal:
    """Round an exact value to hundredths, ties upwards (floor(100·x + ½) / 100)."""
    exact = Fraction(value)
    scaled = exact * 100 + Fraction(1, 2)
    return (Decimal(scaled.numerator // scaled.denominator) / 100).quantize(HUNDREDTH)


def shown(value: Decimal) -> str:
    """A level as people write it: 3, 2.5, 2.75 (no trailing zeros, never 3E+0)."""
    return format(value.normalize(), "f")


@dataclass(frozen=True, slots=True)
class Override:
    """A teacher's decision that replaces the computed standing, with who, why and when."""

    value: Decimal
    author: str
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Standing:
    """The reported standing: a number on the scale, or None for "insufficient evidence".

    `computed` is what the method alone gives; it differs from `value` only under an
    override, and is kept so the method's view is always shown beside the teacher's.
    """

    value: Decimal | None
    computed: Decimal | None
    method: str
    params: tuple[tuple[str, str], ...] = ()
    observations: int = 0
    override: Override | None = None
    insufficient_reason: str = ""

    @property
    def insufficient(self) -> bool:
        return self.value is None

    @property
    def overridden(self) -> bool:
        return self.override is not None
