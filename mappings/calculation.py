"""The calculation methods by name, their parameters, and one entry point for a chosen method.

Each method is also a plain function here (`mean(evidence, scale=...)`), so callers who know
which method they want pass its parameters as Python values; policies, the CLI and stored
settings name a method and give its parameters as text, which `MethodChoice.of` checks once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Protocol

from mappings.evidence import Evidence, Purpose
from mappings.explanation import Explanation
from mappings.methods import (
    Arithmetic,
    decaying_average_arithmetic,
    explained,
    highest_arithmetic,
    latest_arithmetic,
    mean_arithmetic,
    median_arithmetic,
    mode_arithmetic,
    n_mastery_arithmetic,
    power_law_arithmetic,
    weighted_average_arithmetic,
)
from mappings.scale import Scale
from mappings.standing import Override, Standing, shown
from pbridge.errors import CalculationError

Result = tuple[Standing, Explanation]


@dataclass(frozen=True, slots=True)
class Parameter:
    """One parameter of a method: its name, kind ("weight", "count", "level") and default."""

    name: str
    kind: str
    default: str | None
    help: str


@dataclass(frozen=True, slots=True)
class CalculationMethod:
    """A method as people pick it: name, title, parameters; `order_free` if order is ignored."""

    name: str
    title: str
    parameters: tuple[Parameter, ...]
    order_free: bool
    description: str


_WEIGHT = Parameter("weight", "weight", "0.65", "how much the newest score counts, 0.01–0.99")

METHODS: Mapping[str, CalculationMethod] = {
    m.name: m
    for m in (
        CalculationMethod("latest", "latest score", (), False, "the most recent counted score"),
        CalculationMethod("highest", "highest score", (), True, "the highest counted score"),
        CalculationMethod("mean", "mean", (), True, "the mean of the counted scores"),
        CalculationMethod("median", "median", (), True, "the middle counted score"),
        CalculationMethod("mode", "mode", (), True, "the most frequent level; ties go higher"),
        CalculationMethod(
            "decaying_average",
            "decaying average",
            (_WEIGHT,),
            False,
            "each new score counts w, everything before it 1 − w (Canvas's current form)",
        ),
        CalculationMethod(
            "weighted_average",
            "weighted average",
            (_WEIGHT,),
            False,
            "latest × w + mean of the earlier scores × (1 − w) (Canvas's legacy 'decaying average')",
        ),
        CalculationMethod(
            "n_mastery",
            "n-mastery",
            (
                Parameter("n", "count", "3", "how many scores at or above mastery are needed"),
                Parameter("mastery", "level", None, "the mastery level (the scale's 'meets')"),
            ),
            True,
            "drop scores below mastery; once n remain, the mean of those",
        ),
        CalculationMethod(
            "power_law",
            "power law",
            (),
            False,
            "Marzano's learning curve y = a·xᵇ over attempt order, at the latest attempt",
        ),
    )
}


def _weight(raw: str) -> Decimal:
    try:
        weight = Decimal(raw)
    except InvalidOperation:
        raise CalculationError(f"weight {raw!r} is not a number; give e.g. 0.65") from None
    if not weight.is_finite() or not Decimal(0) < weight < Decimal(1):
        raise CalculationError(f"weight {raw} must be between 0 and 1 (e.g. 0.65)")
    if weight != weight.quantize(Decimal("0.01")):
        raise CalculationError(f"weight {raw} may have at most two decimals (e.g. 0.65)")
    return weight.quantize(Decimal("0.01"))


def _count(raw: str, name: str) -> int:
    try:
        count = int(raw)
    except ValueError:
        raise CalculationError(f"{name} {raw!r} must be a whole number") from None
    if count < 1:
        raise CalculationError(f"{name} must be at least 1, not {count}")
    return count


def _level(raw: str, name: str) -> Decimal:
    try:
        level = Decimal(raw)
    except InvalidOperation:
        raise CalculationError(f"{name} {raw!r} is not a level") from None
    if not level.is_finite() or level != level.quantize(Decimal("0.01")):
        raise CalculationError(f"{name} {raw!r} must be a level with at most two decimals")
    return level


@dataclass(frozen=True, slots=True)
class MethodChoice:
    """A method by name with checked parameters (as text, defaults filled in)."""

    name: str
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, name: str, params: Mapping[str, object] | None = None) -> MethodChoice:
        """Check the name and parameters; unknown or malformed ones are refused by name."""
        method = METHODS.get(name)
        if method is None:
            raise CalculationError(f"unknown calculation method {name!r}; choose one of {', '.join(METHODS)}")
        given = {k: str(v) for k, v in (params or {}).items()}
        known = {p.name for p in method.parameters}
        unknown = sorted(set(given) - known)
        if unknown:
            allowed = ", ".join(sorted(known)) or "none"
            raise CalculationError(
                f"method {name} has no parameter {', '.join(unknown)} (it takes: {allowed})"
            )
        chosen: list[tuple[str, str]] = []
        for parameter in method.parameters:
            raw = given.get(parameter.name, parameter.default)
            if raw is None:
                continue
            if parameter.kind == "weight":
                raw = str(_weight(raw))
            elif parameter.kind == "count":
                raw = str(_count(raw, parameter.name))
            else:
                raw = shown(_level(raw, parameter.name))
            chosen.append((parameter.name, raw))
        return cls(name=name, params=tuple(chosen))

    @property
    def method(self) -> CalculationMethod:
        return METHODS[self.name]

    def param(self, name: str) -> str | None:
        return dict(self.params).get(name)

    def describe(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in self.params)
        return f"{self.name}({params})" if params else self.name

    def arithmetic(self, scale: Scale) -> Arithmetic:
        """The arithmetic this choice runs, its parameters bound."""
        params = dict(self.params)
        if self.name in ("decaying_average", "weighted_average"):
            function = (
                decaying_average_arithmetic
                if self.name == "decaying_average"
                else weighted_average_arithmetic
            )
            return partial(function, weight=Decimal(params["weight"]))
        if self.name == "n_mastery":
            mastery = Decimal(params["mastery"]) if "mastery" in params else scale.meets
            if not scale.minimum <= mastery <= scale.maximum:
                raise CalculationError(
                    f"mastery level {shown(mastery)} is outside the scale "
                    f"({shown(scale.minimum)}–{shown(scale.maximum)})"
                )
            return partial(n_mastery_arithmetic, n=int(params["n"]), mastery=mastery)
        return _PLAIN_ARITHMETIC[self.name]


_PLAIN_ARITHMETIC: Mapping[str, Arithmetic] = {
    "latest": latest_arithmetic,
    "highest": highest_arithmetic,
    "mean": mean_arithmetic,
    "median": median_arithmetic,
    "mode": mode_arithmetic,
    "power_law": power_law_arithmetic,
}


def calculate(
    evidence: Sequence[Evidence],
    choice: MethodChoice,
    *,
    scale: Scale,
    min_observations: int = 1,
    counts: Purpose = Purpose.SUMMATIVE,
    override: Override | None = None,
) -> Result:
    """Run a chosen method over one student's evidence on one indicator, with its explanation.

    `counts` is the purpose that counts: summative for academic indicators, habit of work for
    habits of work. Below `min_observations` counted scores the standing is insufficient
    evidence (value None), never a number.
    """
    return explained(
        evidence,
        method=choice.name,
        title=choice.method.title,
        params=choice.params,
        arithmetic=choice.arithmetic(scale),
        scale=scale,
        min_observations=min_observations,
        counts=counts,
        override=override,
    )


def _run(
    name: str,
    evidence: Sequence[Evidence],
    params: Mapping[str, object],
    scale: Scale,
    min_observations: int,
    counts: Purpose,
    override: Override | None,
) -> Result:
    return calculate(
        evidence,
        MethodChoice.of(name, params),
        scale=scale,
        min_observations=min_observations,
        counts=counts,
        override=override,
    )


class SimpleMethod(Protocol):
    """A method without parameters of its own: latest, highest, mean, median, mode, power law."""

    def __call__(
        self,
        evidence: Sequence[Evidence],
        *,
        scale: Scale,
        min_observations: int = 1,
        counts: Purpose = Purpose.SUMMATIVE,
        override: Override | None = None,
    ) -> Result: ...


def _simple(name: str, doc: str) -> SimpleMethod:
    def method(
        evidence: Sequence[Evidence],
        *,
        scale: Scale,
        min_observations: int = 1,
        counts: Purpose = Purpose.SUMMATIVE,
        override: Override | None = None,
    ) -> Result:
        return _run(name, evidence, {}, scale, min_observations, counts, override)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = doc
    return method


latest = _simple("latest", "The most recent counted score: where the student is now.")
highest = _simple("highest", "The best counted score: what the student has shown at least once.")
mean = _simple("mean", "The mean of the counted scores: every observation weighs the same.")
median = _simple("median", "The middle counted score: one unusual day moves it little.")
mode = _simple("mode", "The level shown most often (ties go higher): the student's usual work.")
power_law = _simple(
    "power_law", "Marzano's learning curve at the latest attempt: growth shown, not averaged away."
)


def decaying_average(
    evidence: Sequence[Evidence],
    *,
    weight: Decimal,
    scale: Scale,
    min_observations: int = 1,
    counts: Purpose = Purpose.SUMMATIVE,
    override: Override | None = None,
) -> Result:
    """dₖ = dₖ₋₁·(1−w) + sₖ·w: recent work weighs more, older work fades but never vanishes."""
    return _run("decaying_average", evidence, {"weight": weight}, scale, min_observations, counts, override)


def weighted_average(
    evidence: Sequence[Evidence],
    *,
    weight: Decimal,
    scale: Scale,
    min_observations: int = 1,
    counts: Purpose = Purpose.SUMMATIVE,
    override: Override | None = None,
) -> Result:
    """latest·w + mean(earlier)·(1−w): Canvas's legacy decaying average, kept for comparison."""
    return _run("weighted_average", evidence, {"weight": weight}, scale, min_observations, counts, override)


def n_mastery(
    evidence: Sequence[Evidence],
    *,
    n: int,
    scale: Scale,
    mastery: Decimal | None = None,
    min_observations: int = 1,
    counts: Purpose = Purpose.SUMMATIVE,
    override: Override | None = None,
) -> Result:
    """Mastery shown n times: scores below `mastery` dropped, then the mean of the rest."""
    params: dict[str, object] = {"n": n}
    if mastery is not None:
        params["mastery"] = mastery
    return _run("n_mastery", evidence, params, scale, min_observations, counts, override)
