"""A district's calculation policy, and what a course may choose within it.

The district names the default method and its parameters, the minimum number of
observations, the roll-up rule, the verification rule, and which methods a course may pick
instead. A course choice outside what the policy allows is refused, never silently ignored:
a teacher must know their choice did not take.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mappings.calculation import METHODS, MethodChoice
from mappings.rollup import RollupRule
from mappings.verification import VerificationRule
from pbridge.errors import CalculationError


def _default_method() -> MethodChoice:
    return MethodChoice.of("decaying_average", {"weight": "0.65"})


@dataclass(frozen=True, slots=True)
class CourseChoice:
    """What one course picked; None keeps the district's setting."""

    method: MethodChoice | None = None
    min_observations: int | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.method is not None:
            data["method"] = self.method.name
            data["params"] = dict(self.method.params)
        if self.min_observations is not None:
            data["min_observations"] = self.min_observations
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CourseChoice:
        method = None
        if data.get("method"):
            method = MethodChoice.of(str(data["method"]), data.get("params") or {})
        raw_min = data.get("min_observations")
        return cls(method=method, min_observations=None if raw_min is None else int(raw_min))


@dataclass(frozen=True, slots=True)
class Policy:
    """The district's rules; `for_course` gives the rules one course runs under."""

    method: MethodChoice = field(default_factory=_default_method)
    min_observations: int = 1
    rollup: RollupRule = field(default_factory=RollupRule)
    verification: VerificationRule = field(default_factory=VerificationRule)
    #: methods a course may choose instead of the district's (empty: none)
    course_methods: frozenset[str] = frozenset()
    course_may_set_min_observations: bool = False
    #: the method for habits of work (None: the same as academics)
    habits_method: MethodChoice | None = None

    def __post_init__(self) -> None:
        if self.min_observations < 1:
            raise CalculationError("the minimum number of observations must be at least 1")
        unknown = sorted(self.course_methods - set(METHODS))
        if unknown:
            raise CalculationError(f"policy allows unknown methods: {', '.join(unknown)}")

    def for_course(self, choice: CourseChoice | None) -> Policy:
        """The policy with a course's choices applied; refuses what the district does not allow."""
        if choice is None:
            return self
        effective = self
        if choice.method is not None and choice.method != self.method:
            if choice.method.name not in self.course_methods:
                allowed = ", ".join(sorted(self.course_methods)) or "none"
                raise CalculationError(
                    f"the district policy does not let a course choose {choice.method.name} "
                    f"(allowed: {allowed})"
                )
            effective = replace(effective, method=choice.method)
        if choice.min_observations is not None and choice.min_observations != self.min_observations:
            if not self.course_may_set_min_observations:
                raise CalculationError(
                    "the district policy does not let a course change the minimum number of observations"
                )
            effective = replace(effective, min_observations=choice.min_observations)
        return effective

    def method_for(self, *, habits: bool) -> MethodChoice:
        return (self.habits_method or self.method) if habits else self.method

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method.name,
            "params": dict(self.method.params),
            "min_observations": self.min_observations,
            "rollup": self.rollup.to_json(),
            "verification": self.verification.to_json(),
            "course_methods": sorted(self.course_methods),
            "course_may_set_min_observations": self.course_may_set_min_observations,
            "habits_method": None
            if self.habits_method is None
            else {"method": self.habits_method.name, "params": dict(self.habits_method.params)},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Policy:
        habits = data.get("habits_method")
        return cls(
            method=MethodChoice.of(str(data.get("method", "decaying_average")), data.get("params") or {})
            if data.get("method")
            else _default_method(),
            min_observations=int(data.get("min_observations", 1)),
            rollup=RollupRule.from_json(data.get("rollup") or {"name": "mean"}),
            verification=VerificationRule.from_json(data.get("verification") or {}),
            course_methods=frozenset(str(m) for m in data.get("course_methods", [])),
            course_may_set_min_observations=bool(data.get("course_may_set_min_observations", False)),
            habits_method=None
            if not habits
            else MethodChoice.of(str(habits["method"]), habits.get("params") or {}),
        )
