"""The bulk path: the same methods over many standings at once, as numpy columns.

A district recompute runs millions of observations; per-row `Decimal` arithmetic cannot keep
up, so here levels are integers in hundredths and each method is a handful of vectorised
group reductions. The numbers are the explained path's, exactly:

- latest, highest, mean, median, mode, weighted average and n-mastery are exact integer
  arithmetic in hundredths, rounded half up by integer floor division;
- the decaying average and the power law run in floats; any result within 10⁻⁶ of a
  half-hundredth tie (where a float could round the other way) is recomputed by the
  explained path's exact arithmetic (`decaying_value`, `power_law_fit`).

A test proves the two paths agree on random data. Rows come grouped by standing (group ids
non-decreasing) and, inside a group, in the explained path's order (assessed date, attempt,
ref); `counted_rows` applies `mappings.selection`'s rules to columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from mappings.calculation import MethodChoice
from mappings.methods import decaying_value, power_law_fit
from mappings.scale import Scale
from mappings.standing import to_hundredths
from pbridge.errors import CalculationError

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

#: purposes as small integers in the columns (`Purpose` order)
PURPOSE_CODES = {"formative": 0, "summative": 1, "habit_of_work": 2}

_TIE_TOLERANCE = 1e-6


def centi(level: Decimal) -> int:
    """A level in hundredths (3.5 → 350)."""
    return int(level * 100)


@dataclass(frozen=True, slots=True)
class GroupValues:
    """Per group: the value in hundredths (meaningful where `has_value`), counted rows."""

    value: IntArray
    has_value: BoolArray
    observations: IntArray

    def level(self, group: int) -> Decimal | None:
        if not self.has_value[group]:
            return None
        return (Decimal(int(self.value[group])) / 100).quantize(Decimal("0.01"))


def counted_rows(
    *,
    has_level: BoolArray,
    excluded: BoolArray,
    removed: BoolArray,
    purpose: npt.NDArray[np.int8],
    counts: npt.NDArray[np.int8],
    replaces: IntArray,
) -> BoolArray:
    """Which rows count, by the selection rules: own reasons first, then replacements.

    `counts` is the purpose that counts for each row's standing; `replaces` is the row index
    (in these same columns, inside the same group) a reassessment replaces, or -1.
    """
    eligible = has_level & ~excluded & ~removed & (purpose == counts)
    replaced = np.zeros(len(eligible), dtype=np.bool_)
    targets = replaces[eligible & (replaces >= 0)]
    replaced[targets] = True
    counted: BoolArray = eligible & ~replaced
    return counted


def first_of_runs(differs_from_previous: BoolArray) -> BoolArray:
    """True at each run's first row, given whether each row but the first differs from the one before."""
    first: BoolArray = np.concatenate((np.ones(1, dtype=np.bool_), differs_from_previous))
    return first


def _round_half_up(numerator: IntArray, denominator: IntArray) -> IntArray:
    """floor(n/d + ½) for positive d, exactly."""
    return (2 * numerator + denominator) // (2 * denominator)


def compute(
    group: IntArray,
    level_centi: IntArray,
    counted: BoolArray,
    *,
    groups: int,
    choice: MethodChoice,
    scale: Scale,
    min_observations: int = 1,
) -> GroupValues:
    """Run one method over every group; groups without enough counted rows get no value."""
    if min_observations < 1:
        raise CalculationError("the minimum number of observations must be at least 1")
    g = group[counted]
    v = level_centi[counted]
    observations = np.bincount(g, minlength=groups).astype(np.int64)
    value = np.zeros(groups, dtype=np.int64)
    has_value = observations >= min_observations
    if len(g) == 0:
        return GroupValues(value, has_value & False, observations)
    starts = np.flatnonzero(first_of_runs(g[1:] != g[:-1]))
    ids = g[starts]
    n = observations[ids]
    ends = np.append(starts[1:], len(g))
    name = choice.name
    if name == "latest":
        out = v[ends - 1]
    elif name == "highest":
        out = np.maximum.reduceat(v, starts)
    elif name == "mean":
        out = _round_half_up(np.add.reduceat(v, starts), n)
    elif name == "median":
        out = _median(g, v, starts, n)
    elif name == "mode":
        out = _mode(g, v, ids)
    elif name == "weighted_average":
        out = _weighted_average(v, starts, ends, n, int(Decimal(choice.param("weight") or 0) * 100))
    elif name == "decaying_average":
        out = _decaying_average(g, v, starts, n, Decimal(choice.param("weight") or 0))
    elif name == "n_mastery":
        raw = choice.param("mastery")
        mastery = centi(Decimal(raw) if raw is not None else scale.meets)
        out, reached = _n_mastery(g, v, ids, groups, mastery, int(choice.param("n") or 1))
        has_value[ids] &= reached
    elif name == "power_law":
        out = _power_law(g, v, starts, n, scale)
    else:
        raise CalculationError(f"unknown calculation method {name!r}")
    value[ids] = out
    has_value &= observations > 0
    value[~has_value] = 0
    return GroupValues(value, has_value, observations)


def _median(g: IntArray, v: IntArray, starts: IntArray, n: IntArray) -> IntArray:
    ordered = v[np.lexsort((v, g))]
    upper = ordered[starts + n // 2]
    lower = ordered[starts + (n - 1) // 2]
    middle: IntArray = (lower + upper + 1) // 2
    return middle


def _mode(g: IntArray, v: IntArray, ids: IntArray) -> IntArray:
    order = np.lexsort((v, g))
    sg, sv = g[order], v[order]
    run_starts = np.flatnonzero(first_of_runs((sg[1:] != sg[:-1]) | (sv[1:] != sv[:-1])))
    run_g, run_v = sg[run_starts], sv[run_starts]
    run_count = np.diff(np.append(run_starts, len(sg)))
    best = np.lexsort((run_v, run_count, run_g))  # by group, then count, then level
    last_of_group = np.append(run_g[best][1:] != run_g[best][:-1], True)
    chosen = best[last_of_group]
    result: IntArray = run_v[chosen]
    assert np.array_equal(run_g[chosen], ids)
    return result


def _weighted_average(v: IntArray, starts: IntArray, ends: IntArray, n: IntArray, w: int) -> IntArray:
    latest = v[ends - 1]
    earlier_sum = np.add.reduceat(v, starts) - latest
    m = np.maximum(n - 1, 1)
    numerator = latest * w * m + earlier_sum * (100 - w)
    blended = _round_half_up(numerator, 100 * m)
    return np.where(n == 1, latest, blended)


def _ties(scaled: FloatArray) -> IntArray:
    """Indices of float results too close to a half-hundredth to trust their rounding."""
    return np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < _TIE_TOLERANCE)


def _group_levels(v: IntArray, start: int, count: int) -> list[Decimal]:
    return [Decimal(int(x)) / 100 for x in v[start : start + count]]


def _decaying_average(g: IntArray, v: IntArray, starts: IntArray, n: IntArray, weight: Decimal) -> IntArray:
    w = float(weight)
    rank = np.arange(len(g)) - np.repeat(starts, n)  # 0-based position in the group
    remaining = np.repeat(n, n) - 1 - rank  # how many scores come after this one
    coefficient = w * (1.0 - w) ** remaining
    coefficient[starts] = (1.0 - w) ** remaining[starts]  # each group's first score
    scaled = np.add.reduceat(coefficient * v, starts)
    out = np.floor(scaled + 0.5).astype(np.int64)
    for i in _ties(scaled):
        exact = decaying_value(_group_levels(v, int(starts[i]), int(n[i])), weight)
        out[i] = centi(to_hundredths(exact))
    return out


def _n_mastery(
    g: IntArray, v: IntArray, ids: IntArray, groups: int, mastery: int, needed: int
) -> tuple[IntArray, BoolArray]:
    kept = v >= mastery
    kept_count = np.bincount(g[kept], minlength=groups)[ids]
    kept_sum = np.bincount(g[kept], weights=v[kept], minlength=groups)[ids]
    kept_sum_int = np.rint(kept_sum).astype(np.int64)  # sums of integers, exact below 2**53
    reached = kept_count >= needed
    out = np.zeros(len(ids), dtype=np.int64)
    out[reached] = _round_half_up(kept_sum_int[reached], kept_count[reached])
    return out, reached


def _power_law(g: IntArray, v: IntArray, starts: IntArray, n: IntArray, scale: Scale) -> IntArray:
    if np.any(v <= 0):
        raise CalculationError(
            "the power law fits logarithms and needs every counted level above 0; "
            "choose another method for a scale that starts at 0"
        )
    rank = np.arange(len(g)) - np.repeat(starts, n) + 1
    x = np.log(rank.astype(np.float64))
    y = np.log(v / 100.0)
    sx = np.add.reduceat(x, starts)
    sy = np.add.reduceat(y, starts)
    sxx = np.add.reduceat(x * x, starts)
    sxy = np.add.reduceat(x * y, starts)
    nf = n.astype(np.float64)
    denominator = nf * sxx - sx * sx
    single = n == 1
    safe = np.where(single, 1.0, denominator)
    b = np.where(single, 0.0, (nf * sxy - sx * sy) / safe)
    ln_a = (sy - b * sx) / nf
    prediction = np.exp(ln_a + b * np.log(nf))
    low, high = float(scale.minimum), float(scale.maximum)
    scaled = np.clip(prediction, low, high) * 100.0
    out: IntArray = np.floor(scaled + 0.5).astype(np.int64)
    for i in _ties(scaled):
        _, _, exact = power_law_fit(_group_levels(v, int(starts[i]), int(n[i])))
        out[i] = centi(to_hundredths(scale.clip(exact)))
    return out
