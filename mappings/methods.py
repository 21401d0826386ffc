"""The calculation methods: how one student's counted evidence on one indicator becomes a level.

Each public function takes the body of evidence and its parameters explicitly and returns
`(Standing, Explanation)`. They share one frame (`explained`): select the counted evidence
(see `mappings.selection`), refuse a number below the minimum number of observations, run
the method's arithmetic exactly (fractions, or 28-digit decimals for the power law's
logarithms), round half up to hundredths, and put a teacher's override on top.

The arithmetic, as tests pin it:

- latest: the most recent counted level; highest: the highest one.
- mean; median (an even count takes the mean of the middle two); mode (ties → higher level).
- decaying average, Canvas's current form: d₁ = s₁, dₖ = dₖ₋₁·(1−w) + sₖ·w.
  w = 0.65 over 1,2,3,4,5 gives 4.46961875 → 4.47.
- weighted average, Canvas's legacy "decaying average": latest·w + mean(earlier)·(1−w);
  one score is itself. w = 0.65 over 1,2,3,4,5 gives 3.25 + 0.875 = 4.125 → 4.13 (half up).
- n-mastery (Canvas): scores below the mastery level are dropped; with fewer than n left
  there is no standing yet; otherwise the mean of those left.
- power law (Marzano): fit ln y = ln a + b·ln x by least squares over attempt order
  x = 1..n, predict y at x = n, clip to the scale. One score is itself.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

from mappings.evidence import Evidence, Purpose
from mappings.explanation import EvidenceLine, Explanation
from mappings.scale import Scale
from mappings.selection import select
from mappings.standing import Override, Standing, shown, to_hundredths
from pbridge.errors import CalculationError


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a method's arithmetic gives: a value (or why not yet), its steps and summary."""

    value: Decimal | None
    steps: tuple[str, ...]
    summary: str
    not_yet: str = ""


Arithmetic = Callable[[Sequence[Evidence], Scale], Outcome]


def _fraction_text(value: Fraction) -> str:
    """An exact value, or ≈ four decimals when it does not stop there."""
    as_decimal = Decimal(value.numerator) / Decimal(value.denominator)
    four = as_decimal.quantize(Decimal("0.0001"))
    if 10_000 % value.denominator == 0:  # four decimals hold it exactly (`value` is in lowest terms)
        return shown(four)
    return f"{shown(four)}…"


def _rounded_step(exact: Fraction, result: Decimal) -> str:
    if Fraction(result) == exact:
        return ""
    return f"Rounded half up to hundredths: {result}."


def _levels(counted: Sequence[Evidence]) -> list[Decimal]:
    return [e.level for e in counted if e.level is not None]


def _with_rounding(steps: list[str], exact: Fraction, result: Decimal) -> tuple[str, ...]:
    note = _rounded_step(exact, result)
    return tuple([*steps, note] if note else steps)


def latest_arithmetic(counted: Sequence[Evidence], scale: Scale) -> Outcome:
    last = counted[-1]
    value = to_hundredths(Fraction(last.level or 0))
    return Outcome(
        value,
        (
            f"The most recent counted score is {shown(value)}, assessed "
            f"{last.assessed_at.date().isoformat()} ({last.ref}).",
        ),
        f"your most recent counted score, assessed {last.assessed_at.date().isoformat()}, is {shown(value)}",
    )


def highest_arithmetic(counted: Sequence[Evidence], scale: Scale) -> Outcome:
    best = max(counted, key=lambda e: (e.level or Decimal(0), e.order_key))
    value = to_hundredths(Fraction(best.level or 0))
    levels = ", ".join(shown(x) for x in _levels(counted))
    return Outcome(
        value,
        (f"Highest of {levels} is {shown(value)} ({best.ref}).",),
        f"your highest counted score is {shown(value)}",
    )


def mean_arithmetic(counted: Sequence[Evidence], scale: Scale) -> Outcome:
    levels = _levels(counted)
    total = sum(levels, Decimal(0))
    exact = Fraction(total) / len(levels)
    value = to_hundredths(exact)
    steps = [
        f"Mean: ({' + '.join(shown(x) for x in levels)}) ÷ {len(levels)} = "
        f"{shown(total)} ÷ {len(levels)} = {_fraction_text(exact)}."
    ]
    return Outcome(
        value,
        _with_rounding(steps, exact, value),
        f"the mean of your {len(levels)} counted scores is {shown(value)}",
    )


def median_arithmetic(counted: Sequence[Evidence], scale: Scale) -> Outcome:
    levels = sorted(_levels(counted))
    n = len(levels)
    middle = n // 2
    if n % 2:
        exact = Fraction(levels[middle])
        how = f"the middle one is {shown(levels[middle])}"
    else:
        exact = (Fraction(levels[middle - 1]) + Fraction(levels[middle])) / 2
        how = (
            f"the two middle ones are {shown(levels[middle - 1])} and {shown(levels[middle])}, "
            f"halfway between is {_fraction_text(exact)}"
        )
    value = to_hundredths(exact)
    steps = [f"In order: {', '.join(shown(x) for x in levels)}; {how}."]
    return Outcome(
        value,
        _with_rounding(steps, exact, value),
        f"the middle of your {n} counted scores is {shown(value)}",
    )


def mode_arithmetic(counted: Sequence[Evidence], scale: Scale) -> Outcome:
    levels = _levels(counted)
    counts: dict[Decimal, int] = {}
    for level in levels:
        counts[level] = counts.get(level, 0) + 1
    top = max(counts.values())
    tied = sorted(level for level, c in counts.items() if c == top)
    value = to_hundredths(Fraction(tied[-1]))
    tally = ", ".join(f"{shown(k)} × {counts[k]}" for k in sorted(counts))
    steps = [f"How often each level appears: {tally}."]
    if len(tied) > 1:
        steps.append(f"{' and '.join(shown(t) for t in tied)} appear equally often; the higher one counts.")
    return Outcome(
        value,
        tuple(steps),
        f"the level you showed most often is {shown(value)}",
    )


def decaying_values(levels: Sequence[Decimal], weight: Decimal) -> Iterator[Fraction]:
    """d₁, d₂, … dₙ exactly, each from the one before: d₁ = s₁, dₖ = dₖ₋₁·(1−w) + sₖ·w.

    One pass, so explaining every step costs what the value alone does (recomputing each
    prefix made it quadratic in the number of scores). The running value is kept as a plain
    numerator over a denominator and reduced once per step, when it is yielded: `Fraction`
    arithmetic reduces after every operation, which cost more than the rest of explaining.
    """
    a, b = weight.as_integer_ratio()  # w = a/b
    numerator, denominator = levels[0].as_integer_ratio()
    yield Fraction(numerator, denominator)
    for level in levels[1:]:
        p, q = level.as_integer_ratio()  # s = p/q
        # n/d·(b−a)/b + p/q·a/b, over d·b·q
        step = Fraction(numerator * (b - a) * q + p * a * denominator, denominator * b * q)
        numerator, denominator = step.numerator, step.denominator  # the next step starts reduced
        yield step


def decaying_value(levels: Sequence[Decimal], weight: Decimal) -> Fraction:
    """dₙ of `decaying_values`: the decaying average of these levels, exactly."""
    return deque(decaying_values(levels, weight), maxlen=1)[0]


def decaying_average_arithmetic(counted: Sequence[Evidence], scale: Scale, *, weight: Decimal) -> Outcome:
    levels = _levels(counted)
    steps = [f"Start with the first score: {shown(levels[0])}."]
    values = list(decaying_values(levels, weight))
    texts = [_fraction_text(v) for v in values]  # each value is shown twice: after and before
    keep, w = shown(Decimal(1) - weight), shown(weight)
    steps += [
        f"{before} × {keep} + {shown(level)} × {w} = {after}."
        for before, after, level in zip(texts[:-1], texts[1:], levels[1:], strict=True)
    ]
    running = values[-1]
    value = to_hundredths(running)
    return Outcome(
        value,
        _with_rounding(steps, running, value),
        f"each new score counts {shown(weight * 100)}% and everything before it "
        f"{shown((1 - weight) * 100)}%, which over your {len(levels)} counted scores "
        f"gives {shown(value)}",
    )


def weighted_average_arithmetic(counted: Sequence[Evidence], scale: Scale, *, weight: Decimal) -> Outcome:
    levels = _levels(counted)
    if len(levels) == 1:
        value = to_hundredths(Fraction(levels[0]))
        return Outcome(
            value,
            (f"Only one counted score: {shown(value)}.",),
            f"your only counted score is {shown(value)}",
        )
    earlier = levels[:-1]
    earlier_mean = Fraction(sum(earlier, Decimal(0))) / len(earlier)
    w = Fraction(weight)
    exact = Fraction(levels[-1]) * w + earlier_mean * (1 - w)
    value = to_hundredths(exact)
    steps = [
        f"Mean of the earlier scores: ({' + '.join(shown(x) for x in earlier)}) ÷ "
        f"{len(earlier)} = {_fraction_text(earlier_mean)}.",
        f"Latest × {shown(weight)} + earlier mean × {shown(Decimal(1) - weight)}: "
        f"{shown(levels[-1])} × {shown(weight)} + {_fraction_text(earlier_mean)} × "
        f"{shown(Decimal(1) - weight)} = {_fraction_text(exact)}.",
    ]
    return Outcome(
        value,
        _with_rounding(steps, exact, value),
        f"your latest score counts {shown(weight * 100)}% and the mean of the earlier ones "
        f"{shown((1 - weight) * 100)}%, which gives {shown(value)}",
    )


def n_mastery_arithmetic(counted: Sequence[Evidence], scale: Scale, *, n: int, mastery: Decimal) -> Outcome:
    levels = _levels(counted)
    kept = [x for x in levels if x >= mastery]
    dropped = [x for x in levels if x < mastery]
    steps = [
        f"Scores at or above mastery ({shown(mastery)}): "
        f"{', '.join(shown(x) for x in kept) or 'none'}"
        + (f"; below it, dropped: {', '.join(shown(x) for x in dropped)}." if dropped else ".")
    ]
    if len(kept) < n:
        return Outcome(
            None,
            tuple(steps),
            "",
            not_yet=f"{len(kept)} of the {n} scores at or above {shown(mastery)} "
            "needed for a standing so far",
        )
    exact = Fraction(sum(kept, Decimal(0))) / len(kept)
    value = to_hundredths(exact)
    steps.append(
        f"Mean of those kept: ({' + '.join(shown(x) for x in kept)}) ÷ {len(kept)} = {_fraction_text(exact)}."
    )
    return Outcome(
        value,
        _with_rounding(steps, exact, value),
        f"you reached mastery ({shown(mastery)}) {len(kept)} times, at least the {n} needed, "
        f"and those scores average {shown(value)}",
    )


def power_law_fit(levels: Sequence[Decimal]) -> tuple[Decimal, Decimal, Decimal]:
    """(a, b, prediction at the last attempt) of y = a·xᵇ over x = 1..n, to 28 digits."""
    n = len(levels)
    with localcontext() as ctx:
        ctx.prec = 28
        if n == 1:
            return levels[0], Decimal(0), +levels[0]
        xs = [Decimal(i).ln() for i in range(1, n + 1)]
        ys = [level.ln() for level in levels]
        sx = sum(xs, Decimal(0))
        sy = sum(ys, Decimal(0))
        sxx = sum((x * x for x in xs), Decimal(0))
        sxy = sum((x * y for x, y in zip(xs, ys, strict=True)), Decimal(0))
        b = (n * sxy - sx * sy) / (n * sxx - sx * sx)
        ln_a = (sy - b * sx) / n
        prediction = (ln_a + b * xs[-1]).exp()
        return ln_a.exp(), b, prediction


def power_law_arithmetic(counted: Sequence[Evidence], scale: Scale) -> Outcome:
    levels = _levels(counted)
    if any(level <= 0 for level in levels):
        raise CalculationError(
            "the power law fits logarithms and needs every counted level above 0; "
            "choose another method for a scale that starts at 0"
        )
    n = len(levels)
    a, b, prediction = power_law_fit(levels)
    clipped = scale.clip(prediction)
    value = to_hundredths(clipped)
    four = Decimal("0.0001")
    steps = [
        f"Scores in order of attempt 1..{n}: {', '.join(shown(x) for x in levels)}.",
        f"Least-squares fit of y = a·x^b on the logarithms: a ≈ {a.quantize(four)}, b ≈ {b.quantize(four)}.",
        f"Prediction at attempt {n}: {a.quantize(four)} × {n}^{b.quantize(four)} ≈ "
        f"{prediction.quantize(four)}.",
    ]
    if clipped != prediction:
        steps.append(f"Kept inside the scale ({shown(scale.minimum)}–{shown(scale.maximum)}).")
    if value != clipped:
        steps.append(f"Rounded half up to hundredths: {value}.")
    return Outcome(
        value,
        tuple(steps),
        f"the trend of your {n} counted scores, drawn as a learning curve, reaches "
        f"{shown(value)} at your latest attempt",
    )


def explained(
    evidence: Sequence[Evidence],
    *,
    method: str,
    title: str,
    params: tuple[tuple[str, str], ...],
    arithmetic: Arithmetic,
    scale: Scale,
    min_observations: int,
    counts: Purpose,
    override: Override | None,
) -> tuple[Standing, Explanation]:
    """The frame every method shares: select, check the minimum, compute, override, explain."""
    if min_observations < 1:
        raise CalculationError(
            f"the minimum number of observations must be at least 1, not {min_observations}"
        )
    for item in evidence:
        if item.level is not None and not scale.minimum <= item.level <= scale.maximum:
            raise CalculationError(
                f"evidence {item.ref}: level {shown(item.level)} is outside the scale "
                f"({shown(scale.minimum)}–{shown(scale.maximum)})"
            )
    selection = select(evidence, counts=counts)
    counted = selection.counted
    if len(counted) < min_observations:
        outcome = Outcome(
            None,
            (),
            "",
            not_yet=f"{len(counted)} of the {min_observations} counted "
            f"{'score' if min_observations == 1 else 'scores'} needed",
        )
    else:
        outcome = arithmetic(counted, scale)
    value = outcome.value if override is None else override.value
    standing = Standing(
        value=value,
        computed=outcome.value,
        method=method,
        params=params,
        observations=len(counted),
        override=override,
        insufficient_reason=outcome.not_yet,
    )
    explanation = Explanation(
        method=method,
        method_title=title,
        params=params,
        used=tuple(EvidenceLine.of(e) for e in counted),
        left_out=tuple(EvidenceLine.of(e, reason) for e, reason in selection.left_out),
        steps=outcome.steps,
        value=value,
        computed=outcome.value,
        summary=outcome.summary,
        label="" if value is None else scale.label(value),
        min_observations=min_observations,
        insufficient_reason=outcome.not_yet,
        override=override,
    )
    return standing, explanation
