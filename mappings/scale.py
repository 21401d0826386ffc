"""The common scale of scoring criteria: ordered levels with labels, values and colours.

Every framework has one scale (e.g. 1 does not meet · 2 partially meets · 3 meets · 4 exceeds).
Standings are numbers on that scale; the scale says which label a number earns and where
"meets" begins, so calculations never hard-code 1–4.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from pbridge.errors import CalculationError


@dataclass(frozen=True, slots=True)
class Level:
    """One level of the scale, e.g. ``Level(Decimal(3), "Meets", "#2e7d32")``."""

    value: Decimal
    label: str
    colour: str = "#777777"
    description: str = ""


@dataclass(frozen=True, slots=True)
class Scale:
    """Ordered levels (lowest first), the level where proficiency begins, and half points."""

    levels: tuple[Level, ...]
    meets: Decimal
    half_points: bool = False

    def __post_init__(self) -> None:
        if not self.levels:
            raise CalculationError("a scale needs at least one level")
        values = [level.value for level in self.levels]
        if values != sorted(values) or len(set(values)) != len(values):
            raise CalculationError("scale levels must be listed lowest first, each value once")
        if self.meets not in values:
            raise CalculationError(
                f"the 'meets' value {self.meets} is not one of the levels {values}"
            )

    @property
    def minimum(self) -> Decimal:
        return self.levels[0].value

    @property
    def maximum(self) -> Decimal:
        return self.levels[-1].value

    def clip(self, value: Decimal) -> Decimal:
        """Keep a computed value inside the scale (power law can predict past it)."""
        return min(max(value, self.minimum), self.maximum)

    def level_at(self, value: Decimal) -> Level:
        """The highest level whose value is at or below `value` (2.5 earns "Partially meets")."""
        chosen = self.levels[0]
        for level in self.levels:
            if level.value <= value:
                chosen = level
        return chosen

    def label(self, value: Decimal) -> str:
        """The label a value earns, with a half point named as such ("Partially meets +")."""
        level = self.level_at(value)
        if value != level.value and self.half_points:
            return f"{level.label} +"
        return level.label

    def round(self, value: Decimal) -> Decimal:
        """Round half up to the scale's step: whole levels, or halves with half points."""
        step = Decimal("0.5") if self.half_points else Decimal(1)
        return ((value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step).quantize(
            Decimal("0.01")
        )

    def is_level(self, value: Decimal) -> bool:
        return any(level.value == value for level in self.levels)


def default_scale(*, half_points: bool = False) -> Scale:
    """The four-level scale the Great Schools Partnership describes."""
    return Scale(
        levels=(
            Level(Decimal(1), "Does not meet", "#c62828", "Does not yet meet the standard"),
            Level(Decimal(2), "Partially meets", "#ef6c00", "Partially meets the standard"),
            Level(Decimal(3), "Meets", "#2e7d32", "Meets the standard"),
            Level(Decimal(4), "Exceeds", "#1565c0", "Exceeds the standard"),
        ),
        meets=Decimal(3),
        half_points=half_points,
    )


def scale_from_values(levels: Sequence[tuple[Decimal, str, str]], meets: Decimal) -> Scale:
    """Build a scale from (value, label, colour) triples."""
    return Scale(levels=tuple(Level(v, lbl, c) for v, lbl, c in levels), meets=meets)
