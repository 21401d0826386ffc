"""The bulk path of roll-ups and verification: `mappings.rollup.roll_up` and
`mappings.verification.verify` over many standards at once, as numpy columns.

A district recompute rolls up hundreds of thousands of standards; building each one's
explanation with exact fractions cannot keep up, so here levels are integers in hundredths
and every rule is exact integer arithmetic (sums, minimums, counts, floor divisions). The
numbers are the explained path's, exactly; a test proves it on random data.

Input is one row per member indicator standing: the group (standard) it belongs to, its
value in hundredths and whether it has one (insufficient evidence has none). A weighted mean
whose weights do not fit small integers is left to the explained path
(`vectorisable` says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction

import numpy as np

from mappings.bulk import BoolArray, IntArray
from mappings.rollup import RollupRule
from mappings.verification import VerificationRule
from pbridge.errors import CalculationError

#: weights are scaled to integers by 10^places; beyond these the explained path runs
_MAX_WEIGHT_PLACES = 6
_MAX_SCALED_WEIGHT = 1 << 31
_HUNDREDTH = Decimal("0.01")


def ceil_centi(level: Decimal) -> int:
    """The smallest level in hundredths at or above `level` (v ≥ L ⇔ 100·v ≥ this)."""
    return int((level * 100).to_integral_value(rounding=ROUND_CEILING))


@dataclass(frozen=True, slots=True)
class RollupValues:
    """Per group: the value in hundredths (meaningful where `has_value`), whether it meets,
    and how many indicator standings went in."""

    value: IntArray
    has_value: BoolArray
    met: BoolArray
    used: IntArray


@dataclass(frozen=True, slots=True)
class VerificationValues:
    """Per group: verified or not, how many indicators are still short, the observations
    over all indicators and the most courses any one drew on."""

    met: BoolArray
    short: IntArray
    observations: IntArray
    courses: IntArray


def _weights_scale(rule: RollupRule) -> int | None:
    """10^places that makes every weight of a weighted mean an integer; None: too many places."""
    if rule.name != "weighted_mean":
        return 1
    places = max((max(0, -int(w.as_tuple().exponent)) for _, w in rule.weights), default=0)
    if places > _MAX_WEIGHT_PLACES:
        return None
    factor = int(10**places)
    if any(w * factor >= _MAX_SCALED_WEIGHT for _, w in rule.weights):
        return None
    return factor


def vectorisable(rule: RollupRule) -> bool:
    """Whether `roll_up_groups` gives this rule's numbers (otherwise run `roll_up` per group)."""
    return _weights_scale(rule) is not None


def _member_weights(rule: RollupRule, indicator: IntArray) -> IntArray:
    factor = _weights_scale(rule)
    if factor is None:
        raise CalculationError(f"roll-up weights of {rule.describe()} need the explained path")
    weights = np.full(len(indicator), factor, dtype=np.int64)
    if rule.name == "weighted_mean" and rule.weights:
        given = {key: int(w * factor) for key, w in rule.weights}
        for position, iid in enumerate(indicator.tolist()):
            weight = given.get(str(iid))
            if weight is not None:
                weights[position] = weight
    return weights


def _rounded(numerator: IntArray, denominator: IntArray, rounding: str, step: IntArray) -> IntArray:
    """numerator / denominator hundredths, rounded as `mappings.rollup._round` does."""
    hundredths: IntArray = (2 * numerator + denominator) // (2 * denominator)  # half up
    if rounding == "hundredths":
        return hundredths
    if rounding == "scale":  # Scale.round: half up (away from zero) to the step
        magnitude = (2 * np.abs(hundredths) + step) // (2 * step) * step
        signed: IntArray = np.sign(hundredths) * magnitude
        return signed
    floored: IntArray = numerator // (denominator * step) * step  # down to the step
    return floored


def roll_up_groups(
    group: IntArray,
    value: IntArray,
    has_value: BoolArray,
    indicator: IntArray,
    *,
    groups: int,
    rule: RollupRule,
    meets: IntArray,
    step: IntArray,
) -> RollupValues:
    """Run one roll-up rule over every group.

    Per member row: `group`, `value` (hundredths), `has_value`, `indicator` (its id: the
    weighted mean's weights are by indicator). Per group: `meets` (the scale's "meets") and
    `step` (50 with half points, else 100), both in hundredths.
    """
    g = group[has_value]
    v = value[has_value]
    used = np.bincount(g, minlength=groups).astype(np.int64)
    has = used >= rule.min_indicators
    out = np.zeros(groups, dtype=np.int64)
    met = np.zeros(groups, dtype=np.bool_)
    lowest = np.full(groups, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(lowest, g, v)
    if rule.name in ("mean", "weighted_mean"):
        w = _member_weights(rule, indicator[has_value])
        numerator = np.zeros(groups, dtype=np.int64)
        denominator = np.zeros(groups, dtype=np.int64)
        np.add.at(numerator, g, v * w)
        np.add.at(denominator, g, w)
        if np.any(has & (denominator == 0)):
            raise CalculationError("the roll-up weights of these indicators add up to 0")
        safe = np.where(denominator == 0, 1, denominator)
        out = _rounded(numerator, safe, rule.rounding, step)
        met = out >= meets
    elif rule.name == "minimum":
        out = lowest
        met = out >= meets
    else:
        level = rule.level or Decimal(0)
        reaching = np.bincount(g[v >= ceil_centi(level)], minlength=groups)
        if rule.name == "all_at_least":
            met = reaching == used
        else:
            share = Fraction(rule.percent or 0)
            below = np.bincount(g[v < ceil_centi(rule.floor or Decimal(0))], minlength=groups)
            met = (reaching * 100 * share.denominator >= share.numerator * used) & (below == 0)
        reported = int(level.quantize(_HUNDREDTH) * 100)
        out = np.where(met, reported, lowest)
    out = np.where(has, out, 0)
    met = np.asarray(met, dtype=np.bool_) & has
    return RollupValues(value=out.astype(np.int64), has_value=has, met=met, used=used)


def verify_groups(
    group: IntArray,
    value: IntArray,
    has_value: BoolArray,
    observations: IntArray,
    courses: IntArray,
    *,
    groups: int,
    rule: VerificationRule,
    meets: IntArray,
) -> VerificationValues:
    """Check the verification rule on every group: one member row per indicator of the
    standard (an indicator with no standing yet: no value, 0 observations, 0 courses)."""
    level = meets if rule.min_level is None else np.full(groups, ceil_centi(rule.min_level), dtype=np.int64)
    ok = (
        (observations >= rule.min_observations)
        & (courses >= rule.min_courses)
        & has_value
        & (value >= level[group])
    )
    members = np.bincount(group, minlength=groups)
    short = np.bincount(group[~ok], minlength=groups).astype(np.int64)
    total = np.zeros(groups, dtype=np.int64)
    np.add.at(total, group, observations)
    most = np.zeros(groups, dtype=np.int64)
    np.maximum.at(most, group, courses)
    return VerificationValues(met=(members > 0) & (short == 0), short=short, observations=total, courses=most)
