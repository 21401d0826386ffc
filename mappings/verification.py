"""Graduation standard verification: a rule over the whole body of evidence, across courses
and school years, not one course's grade.

A standard is verified when every one of its indicators has at least `min_observations`
counted summative observations, from at least `min_courses` different courses, and a
cross-course standing of at least `min_level` (the scale's "meets" unless stated).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mappings.scale import Scale
from mappings.standing import shown
from pbridge.errors import CalculationError


@dataclass(frozen=True, slots=True)
class VerificationRule:
    min_observations: int = 2
    min_level: Decimal | None = None
    min_courses: int = 1

    def __post_init__(self) -> None:
        if self.min_observations < 1 or self.min_courses < 1:
            raise CalculationError("verification needs at least one observation and one course per indicator")

    def level(self, scale: Scale) -> Decimal:
        return scale.meets if self.min_level is None else self.min_level

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "min_observations": self.min_observations,
            "min_courses": self.min_courses,
        }
        if self.min_level is not None:
            data["min_level"] = str(self.min_level)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VerificationRule:
        unknown = sorted(set(data) - {"min_observations", "min_courses", "min_level"})
        if unknown:
            raise CalculationError(f"verification rule has no setting {', '.join(unknown)}")
        try:
            return cls(
                min_observations=int(data.get("min_observations", 2)),
                min_courses=int(data.get("min_courses", 1)),
                min_level=None if data.get("min_level") is None else Decimal(str(data["min_level"])),
            )
        except (ValueError, ArithmeticError):
            raise CalculationError(f"verification rule settings are not numbers: {dict(data)}") from None


@dataclass(frozen=True, slots=True)
class IndicatorBody:
    """What verification needs to know of one indicator, over all courses and years."""

    key: str
    standing: Decimal | None
    observations: int
    courses: int


@dataclass(frozen=True, slots=True)
class Verification:
    """Whether the standard is verified, and for each indicator what is still missing."""

    met: bool
    indicators: tuple[tuple[str, bool, str], ...]
    rule: str

    def plain(self) -> str:
        head = (
            "This graduation standard is verified."
            if self.met
            else "This graduation standard is not verified yet."
        )
        lines = [head, f"Rule: {self.rule}."]
        for key, ok, note in self.indicators:
            lines.append(f"{key}: {'done' if ok else 'not yet'}: {note}.")
        return "\n".join(lines)

    def short(self) -> str:
        missing = sum(1 for _, ok, _ in self.indicators if not ok)
        return "Verified" if self.met else f"Not verified: {missing} indicator(s) still short"

    def to_json(self) -> dict[str, Any]:
        return {
            "met": self.met,
            "rule": self.rule,
            "indicators": [{"key": k, "met": ok, "note": note} for k, ok, note in self.indicators],
        }


def verify(indicators: Sequence[IndicatorBody], rule: VerificationRule, *, scale: Scale) -> Verification:
    """Check the rule on every indicator of one standard; a standard with none is not verified."""
    level = rule.level(scale)
    description = (
        f"each indicator: at least {rule.min_observations} summative observations from at least "
        f"{rule.min_courses} course(s), and a standing of at least {shown(level)}"
    )
    notes: list[tuple[str, bool, str]] = []
    for item in indicators:
        short_of: list[str] = []
        if item.observations < rule.min_observations:
            short_of.append(f"{item.observations} of {rule.min_observations} observations")
        if item.courses < rule.min_courses:
            short_of.append(f"{item.courses} of {rule.min_courses} courses")
        if item.standing is None:
            short_of.append("no standing yet")
        elif item.standing < level:
            short_of.append(f"standing {shown(item.standing)} below {shown(level)}")
        ok = not short_of
        note = (
            f"{item.observations} observations, {item.courses} course(s), standing {shown(item.standing)}"
            if ok and item.standing is not None
            else "; ".join(short_of)
        )
        notes.append((item.key, ok, note))
    met = bool(notes) and all(ok for _, ok, _ in notes)
    return Verification(met=met, indicators=tuple(notes), rule=description)
