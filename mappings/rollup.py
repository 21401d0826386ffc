"""Indicator standings → a graduation standard's standing, by a named rule.

The rules a district picks from:

- `mean`: the mean of the indicator standings, rounded by the stated `rounding`
  (`hundredths`: half up to 0.01; `scale`: half up to the scale's step, whole levels or
  halves; `down`: down to the scale's step, so a level is only reported once fully reached);
- `minimum`: the lowest indicator standing (the standard is as strong as its weakest part);
- `all_at_least` L: met when every indicator is at least L;
- `share_at_least` L, P, M: met when at least P % of the indicators are at least L and none
  is below M;
- `weighted_mean`: like `mean`, each indicator weighted (default weight 1).

The two threshold rules give a verdict, and report L when met, otherwise the lowest indicator
standing (which is then below L). Numeric rules are met when the value reaches "meets".
Indicators without a standing (insufficient evidence) are listed as left out; the rule runs
on the others if at least `min_indicators` have one. Habits of work roll up only into habits
of work: mixing them with academics is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from mappings.evidence import Purpose
from mappings.scale import Scale
from mappings.standing import shown, to_hundredths
from pbridge.errors import CalculationError

RULES = ("mean", "minimum", "all_at_least", "share_at_least", "weighted_mean")
ROUNDINGS = ("hundredths", "scale", "down")


def _number(raw: object, what: str) -> Decimal:
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise CalculationError(f"roll-up {what} {raw!r} is not a number") from None
    if not value.is_finite():
        raise CalculationError(f"roll-up {what} {raw!r} is not a finite number")
    return value


@dataclass(frozen=True, slots=True)
class RollupRule:
    """A named roll-up rule and its parameters, checked when made."""

    name: str = "mean"
    rounding: str = "hundredths"
    level: Decimal | None = None
    percent: Decimal | None = None
    floor: Decimal | None = None
    weights: tuple[tuple[str, Decimal], ...] = ()
    min_indicators: int = 1

    def __post_init__(self) -> None:
        if self.name not in RULES:
            raise CalculationError(f"unknown roll-up rule {self.name!r}; use one of {RULES}")
        if self.rounding not in ROUNDINGS:
            raise CalculationError(f"unknown rounding {self.rounding!r}; use one of {ROUNDINGS}")
        if self.name in ("all_at_least", "share_at_least") and self.level is None:
            raise CalculationError(f"roll-up rule {self.name} needs a level L")
        if self.name == "share_at_least":
            if self.percent is None or not Decimal(0) < self.percent <= Decimal(100):
                raise CalculationError("roll-up rule share_at_least needs a percent P in 0–100")
            if self.floor is None:
                raise CalculationError("roll-up rule share_at_least needs a floor M (none below)")
        if any(w < 0 for _, w in self.weights):
            raise CalculationError("roll-up weights cannot be negative")
        if self.min_indicators < 1:
            raise CalculationError("a roll-up needs at least one indicator (min_indicators ≥ 1)")

    @classmethod
    def of(cls, name: str, params: Mapping[str, Any] | None = None) -> RollupRule:
        """A rule from a name and text parameters (policies, forms, the CLI)."""
        given = dict(params or {})
        weights = given.pop("weights", {}) or {}
        if not isinstance(weights, Mapping):
            raise CalculationError("roll-up weights must map indicator codes to numbers")
        known = {"rounding", "level", "percent", "floor", "min_indicators"}
        unknown = sorted(set(given) - known)
        if unknown:
            raise CalculationError(f"roll-up rule {name} has no parameter {', '.join(unknown)}")

        def optional(key: str) -> Decimal | None:
            return None if given.get(key) is None else _number(given[key], key)

        return cls(
            name=name,
            rounding=str(given.get("rounding", "hundredths")),
            level=optional("level"),
            percent=optional("percent"),
            floor=optional("floor"),
            weights=tuple(sorted((str(k), _number(v, f"weight of {k}")) for k, v in weights.items())),
            min_indicators=int(given.get("min_indicators", 1)),
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "rounding": self.rounding}
        for key in ("level", "percent", "floor"):
            value = getattr(self, key)
            if value is not None:
                data[key] = str(value)
        if self.weights:
            data["weights"] = {k: str(w) for k, w in self.weights}
        if self.min_indicators != 1:
            data["min_indicators"] = self.min_indicators
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RollupRule:
        params = {k: v for k, v in data.items() if k != "name"}
        return cls.of(str(data.get("name", "mean")), params)

    def describe(self) -> str:
        if self.name == "mean":
            return f"mean of the indicators (rounding: {self.rounding})"
        if self.name == "weighted_mean":
            return f"weighted mean of the indicators (rounding: {self.rounding})"
        if self.name == "minimum":
            return "lowest indicator"
        if self.name == "all_at_least":
            return f"every indicator at least {shown(self.level or Decimal(0))}"
        return (
            f"at least {shown(self.level or Decimal(0))} on {shown(self.percent or Decimal(0))}% "
            f"of the indicators and none below {shown(self.floor or Decimal(0))}"
        )


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    """One indicator's standing as a roll-up sees it; `counts` tells academics from habits."""

    key: str
    value: Decimal | None
    title: str = ""
    counts: Purpose = Purpose.SUMMATIVE


@dataclass(frozen=True, slots=True)
class RollupExplanation:
    """Which indicator standings went in, which had none, the rule and the arithmetic."""

    rule: str
    used: tuple[tuple[str, Decimal], ...]
    left_out: tuple[tuple[str, str], ...]
    steps: tuple[str, ...]
    value: Decimal | None
    met: bool | None
    label: str = ""
    insufficient_reason: str = ""

    def plain(self) -> str:
        if self.value is None:
            head = f"There is no standing on this standard yet: {self.insufficient_reason}."
        else:
            verdict = "meets" if self.met else "does not yet meet"
            label = f" ({self.label})" if self.label else ""
            head = f"The standing on this standard is {shown(self.value)}{label}: it {verdict} the standard."
        lines = [head, f"Rule: {self.rule}."]
        if self.used:
            lines.append("Indicators: " + "; ".join(f"{k} {shown(v)}" for k, v in self.used) + ".")
        lines.extend(f"Not counted: {k}: {why}." for k, why in self.left_out)
        if self.steps:
            lines.append("Step by step: " + " ".join(self.steps))
        return "\n".join(lines)

    def short(self) -> str:
        if self.value is None:
            return f"Insufficient evidence: {self.insufficient_reason}"
        return f"{shown(self.value)}: {self.rule}, {len(self.used)} indicators"

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "used": [[k, str(v)] for k, v in self.used],
            "left_out": [[k, why] for k, why in self.left_out],
            "steps": list(self.steps),
            "value": None if self.value is None else str(self.value),
            "met": self.met,
            "label": self.label,
            "insufficient_reason": self.insufficient_reason,
        }


def _round(value: Fraction, rounding: str, scale: Scale) -> Decimal:
    if rounding == "hundredths":
        return to_hundredths(value)
    step = Decimal("0.5") if scale.half_points else Decimal(1)
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    if rounding == "scale":
        return scale.round(to_hundredths(value))
    return ((exact / step).to_integral_value(rounding=ROUND_FLOOR) * step).quantize(Decimal("0.01"))


def roll_up(
    indicators: Sequence[IndicatorResult], rule: RollupRule, *, scale: Scale
) -> tuple[Decimal | None, bool | None, RollupExplanation]:
    """(value, met, explanation) of one standard from its indicators' standings."""
    purposes = {i.counts for i in indicators}
    if len(purposes) > 1:
        raise CalculationError(
            "habits of work are reported apart: one roll-up cannot mix habit-of-work and academic indicators"
        )
    used = tuple((i.key, i.value) for i in indicators if i.value is not None)
    left_out = tuple(
        (i.key, "no standing yet (insufficient evidence)") for i in indicators if i.value is None
    )
    description = rule.describe()
    if len(used) < rule.min_indicators:
        reason = f"{len(used)} of the {rule.min_indicators} indicator standings needed"
        return None, None, RollupExplanation(description, used, left_out, (), None, None, "", reason)
    values = [v for _, v in used]
    steps: list[str]
    met: bool
    if rule.name in ("mean", "weighted_mean"):
        weights = dict(rule.weights) if rule.name == "weighted_mean" else {}
        w = [weights.get(k, Decimal(1)) for k, _ in used]
        total_weight = sum(w, Decimal(0))
        if total_weight == 0:
            raise CalculationError("the roll-up weights of these indicators add up to 0")
        total = sum((x * y for x, y in zip(values, w, strict=True)), Decimal(0))  # exact
        exact = Fraction(total) / Fraction(total_weight)
        value = _round(exact, rule.rounding, scale)
        if weights:
            terms = " + ".join(f"{shown(v)} × {shown(x)}" for v, x in zip(values, w, strict=True))
            steps = [f"({terms}) ÷ {shown(total_weight)} = {float(exact):.4f}."]
        else:
            steps = [f"({' + '.join(shown(v) for v in values)}) ÷ {len(values)} = {float(exact):.4f}."]
        steps.append(f"Rounded ({rule.rounding}): {shown(value)}.")
        met = value >= scale.meets
    elif rule.name == "minimum":
        value = min(values)
        steps = [f"Lowest of {', '.join(shown(v) for v in values)}: {shown(value)}."]
        met = value >= scale.meets
    else:
        level = rule.level or Decimal(0)
        reaching = [v for v in values if v >= level]
        if rule.name == "all_at_least":
            met = len(reaching) == len(values)
            steps = [f"{len(reaching)} of {len(values)} indicators are at least {shown(level)}."]
        else:
            floor = rule.floor or Decimal(0)
            share = Fraction(len(reaching) * 100, len(values))
            below_floor = [v for v in values if v < floor]
            met = share >= Fraction(rule.percent or 0) and not below_floor
            steps = [
                f"{len(reaching)} of {len(values)} indicators ({float(share):.0f}%) are at least "
                f"{shown(level)}; {shown(rule.percent or Decimal(0))}% needed.",
                f"{len(below_floor)} below {shown(floor)}; none allowed.",
            ]
        value = level if met else min(values)
        steps.append(
            f"Met: reported as {shown(value)}." if met else f"Not met: the lowest indicator, {shown(value)}."
        )
    value = value.quantize(Decimal("0.01"))
    return (
        value,
        met,
        RollupExplanation(description, used, left_out, tuple(steps), value, met, scale.label(value)),
    )
