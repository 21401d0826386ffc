"""How a raw score in the LMS becomes a level on the scale.

Two shapes, as alignments store them: percent cut scores (≥ 90 → 4, ≥ 75 → 3, ≥ 60 → 2,
else 1) and an exact map from rubric ratings or points to levels. A missing, excused or
ungraded score gives no level at all (None), never a 0: a student who has not been assessed
has shown nothing, which is different from having shown nothing right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from pbridge.errors import CalculationError


class Conversion(Protocol):
    """Turns one raw result into a level, or None when there is nothing to convert."""

    def convert(
        self, score: Decimal | None, maximum: Decimal | None = None, *, rating: str | None = None
    ) -> Decimal | None: ...

    def to_json(self) -> dict[str, Any]: ...


def _decimal(value: object, what: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise CalculationError(f"{what}: {value!r} is not a number") from None
    if not number.is_finite():
        raise CalculationError(f"{what}: {value!r} is not a finite number")
    return number


@dataclass(frozen=True, slots=True)
class CutScores:
    """Percent cut scores, highest first: the first cut the percent reaches gives the level.

    A percent below every cut gives the `floor` level (the scale's lowest by default): a
    student who turned work in has shown something, however little.
    """

    cuts: tuple[tuple[Decimal, Decimal], ...]  # (minimum percent, level), highest first
    floor: Decimal = Decimal(1)

    def __post_init__(self) -> None:
        if not self.cuts:
            raise CalculationError("cut scores need at least one (percent, level) pair")
        percents = [p for p, _ in self.cuts]
        if percents != sorted(percents, reverse=True) or len(set(percents)) != len(percents):
            raise CalculationError(f"cut scores must be listed highest percent first, each once: {percents}")

    def convert(
        self, score: Decimal | None, maximum: Decimal | None = None, *, rating: str | None = None
    ) -> Decimal | None:
        if score is None:
            return None
        if maximum is None or maximum <= 0:
            raise CalculationError(
                f"a score of {score} needs a positive maximum to become a percent (got {maximum})"
            )
        percent = score * 100 / maximum
        for minimum, level in self.cuts:
            if percent >= minimum:
                return level
        return self.floor

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "cut_scores",
            "cuts": [[str(p), str(level)] for p, level in self.cuts],
            "floor": str(self.floor),
        }


@dataclass(frozen=True, slots=True)
class LevelMap:
    """An exact map from rubric ratings (by name) or points (by value) to levels.

    Points are matched by value, so 3, 3.0 and 3.00 are the same key. A rating or point
    value the map does not know is refused, not guessed: the teacher completes the map.
    """

    levels: tuple[tuple[str, Decimal], ...]

    def __post_init__(self) -> None:
        keys = [self._key(k) for k, _ in self.levels]
        if len(set(keys)) != len(keys):
            raise CalculationError(f"a level map names a rating or point value twice: {keys}")

    @staticmethod
    def _key(raw: str) -> str:
        try:
            return format(Decimal(raw).normalize(), "f")
        except (InvalidOperation, ValueError):
            return raw.strip().casefold()

    def convert(
        self, score: Decimal | None, maximum: Decimal | None = None, *, rating: str | None = None
    ) -> Decimal | None:
        if rating is None and score is None:
            return None
        wanted = self._key(rating if rating is not None else str(score))
        for key, level in self.levels:
            if self._key(key) == wanted:
                return level
        shown = rating if rating is not None else str(score)
        known = ", ".join(k for k, _ in self.levels)
        raise CalculationError(
            f"{shown!r} is not in the conversion's level map ({known}); add it to the alignment"
        )

    def to_json(self) -> dict[str, Any]:
        return {"kind": "level_map", "levels": [[k, str(level)] for k, level in self.levels]}


@dataclass(frozen=True, slots=True)
class ScoreIsLevel:
    """The score already is a level (a proficiency-scale rubric, a SIS result on the scale)."""

    def convert(
        self, score: Decimal | None, maximum: Decimal | None = None, *, rating: str | None = None
    ) -> Decimal | None:
        if rating is not None:
            return _decimal(rating, "rating")
        return score

    def to_json(self) -> dict[str, Any]:
        return {"kind": "score_is_level"}


def default_cut_scores() -> CutScores:
    """≥ 90 % → 4, ≥ 75 % → 3, ≥ 60 % → 2, else 1."""
    return CutScores(
        cuts=(
            (Decimal(90), Decimal(4)),
            (Decimal(75), Decimal(3)),
            (Decimal(60), Decimal(2)),
        ),
        floor=Decimal(1),
    )


def cut_scores(pairs: Sequence[tuple[object, object]], floor: object = 1) -> CutScores:
    """Cut scores from (percent, level) pairs in any order."""
    parsed = sorted(
        ((_decimal(p, "cut percent"), _decimal(lv, "cut level")) for p, lv in pairs),
        reverse=True,
    )
    return CutScores(cuts=tuple(parsed), floor=_decimal(floor, "floor level"))


def conversion_from_json(data: Mapping[str, Any]) -> Conversion:
    """The conversion an alignment stored with `to_json()`; refuses an unknown shape."""
    kind = data.get("kind")
    if kind == "cut_scores":
        cuts = data.get("cuts")
        if not isinstance(cuts, list) or not all(isinstance(c, list | tuple) and len(c) == 2 for c in cuts):
            raise CalculationError("cut_scores conversion: 'cuts' must be [[percent, level], ...]")
        return cut_scores([(c[0], c[1]) for c in cuts], data.get("floor", 1))
    if kind == "level_map":
        levels = data.get("levels")
        if not isinstance(levels, list) or not all(
            isinstance(c, list | tuple) and len(c) == 2 for c in levels
        ):
            raise CalculationError("level_map conversion: 'levels' must be [[rating, level], ...]")
        return LevelMap(levels=tuple((str(k), _decimal(v, f"level for {k!r}")) for k, v in levels))
    if kind == "score_is_level":
        return ScoreIsLevel()
    raise CalculationError(f"unknown conversion kind {kind!r}; use cut_scores, level_map or score_is_level")
