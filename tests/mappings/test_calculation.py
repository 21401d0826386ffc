from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mappings.calculation import (
    METHODS,
    MethodChoice,
    calculate,
    decaying_average,
    highest,
    latest,
    mean,
    median,
    mode,
    n_mastery,
    power_law,
    weighted_average,
)
from mappings.evidence import Evidence, Purpose
from mappings.methods import decaying_value, decaying_values
from mappings.scale import default_scale
from mappings.standing import Override, to_hundredths
from pbridge.errors import CalculationError
from tests.mappings.bodies import FIVE_LEVELS, START, body, evidence_bodies

SCALE = default_scale()
D = Decimal

#: every method; n-mastery with n = 1 and mastery at the bottom of the scale keeps every score
#: (with mastery at 3 a single 2 gives no standing, by design: see the n-mastery test)
CHOICES = [MethodChoice.of(name, {"n": 1, "mastery": 1} if name == "n_mastery" else {}) for name in METHODS]


def test_iterative_decaying_average_of_one_to_five_at_065_is_447():
    standing, explanation = decaying_average(body([1, 2, 3, 4, 5]), weight=D("0.65"), scale=FIVE_LEVELS)
    # 1 → 1.65 → 2.5275 → 3.484625 → 4.46961875, rounded half up to hundredths
    assert standing.value == D("4.47")
    assert "4.47" in explanation.plain()


def test_legacy_weighted_average_of_one_to_five_at_065_is_413():
    standing, explanation = weighted_average(body([1, 2, 3, 4, 5]), weight=D("0.65"), scale=FIVE_LEVELS)
    # 5 × 0.65 + 2.5 × 0.35 = 4.125 exactly: half up gives 4.13 (half even would give 4.12)
    assert standing.value == D("4.13")
    assert "4.125" in " ".join(explanation.steps)


@pytest.mark.parametrize(
    ("function", "levels", "expected"),
    [
        (latest, [4, 2, 3], "3.00"),
        (highest, [2, 4, 3], "4.00"),
        (mean, [2, 3, 3, 4], "3.00"),
        (mean, [2, 2, 3], "2.33"),
        (mean, [1, 2, 2, 2, 2, 2, 2, 2], "1.88"),  # 15/8 = 1.875 → 1.88
        (median, [4, 1, 3], "3.00"),
        (median, [1, 2, 3, 4], "2.50"),
        (median, [2.25, 2.5, 1, 4], "2.38"),  # (2.25 + 2.5) / 2 = 2.375 → 2.38
        (mode, [2, 3, 3, 2, 1], "3.00"),  # 2 and 3 tie: the higher
        (mode, [4, 1, 1, 3], "1.00"),
    ],
)
def test_order_free_and_simple_methods_on_worked_examples(function, levels, expected):
    standing, _ = function(body(levels), scale=SCALE)
    assert standing.value == D(expected)


def test_weighted_average_of_one_score_is_that_score():
    standing, _ = weighted_average(body([3]), weight=D("0.65"), scale=SCALE)
    assert standing.value == D("3.00")


def test_decaying_average_two_scores():
    standing, _ = decaying_average(body([2, 4]), weight=D("0.5"), scale=SCALE)
    assert standing.value == D("3.00")


@given(
    levels=st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=12),
    weight=st.integers(min_value=1, max_value=99),
)
def test_each_decaying_step_is_the_recurrence_in_exact_fractions(levels, weight):
    as_levels = [D(x).scaleb(-2) for x in levels]
    w = Fraction(weight, 100)
    expected = [Fraction(as_levels[0])]
    for level in as_levels[1:]:
        expected.append(expected[-1] * (1 - w) + Fraction(level) * w)
    assert list(decaying_values(as_levels, D(weight).scaleb(-2))) == expected
    assert decaying_value(as_levels, D(weight).scaleb(-2)) == expected[-1]


def test_n_mastery_drops_below_mastery_and_waits_for_n():
    evidence = body([1, 3, 2, 4, 3])
    standing, explanation = n_mastery(evidence, n=3, scale=SCALE)
    assert standing.value == D("3.33")  # (3 + 4 + 3) / 3
    waiting, explanation = n_mastery(evidence, n=4, scale=SCALE)
    assert waiting.insufficient
    assert "3 of the 4" in explanation.insufficient_reason
    lower, _ = n_mastery(evidence, n=4, mastery=D(2), scale=SCALE)
    assert lower.value == D("3.00")  # (3 + 2 + 4 + 3) / 4


def test_power_law_on_a_perfect_curve_and_clipping():
    # y = 2·x^0.5 at x = 1..4 gives 2, 2.83, 3.46, 4 → exactly 4 at the last attempt
    levels = [to_hundredths(D(2) * D(x).sqrt()) for x in range(1, 5)]
    standing, _ = power_law(body(levels), scale=SCALE)
    assert abs(standing.value - D(4)) <= D("0.01")
    rising, _ = power_law(body([1, 2, 3, 4]), scale=SCALE)
    assert rising.value == D("4.00")  # the curve passes 4 at attempt 4: clipped to the top
    flat, _ = power_law(body([2, 2, 2]), scale=SCALE)
    assert flat.value == D("2.00")


def test_power_law_fit_of_a_known_series():
    # ln y on ln x for 1, 2, 2, 3 (numpy.polyfit agrees): b = 0.72925, a = 1.04271,
    # a · 4^b = 2.86562 → 2.87
    standing, explanation = power_law(body([1, 2, 2, 3]), scale=SCALE)
    assert standing.value == D("2.87")
    assert "b ≈ 0.7293" in " ".join(explanation.steps)
    assert "a ≈ 1.0427" in " ".join(explanation.steps)


def test_evidence_is_ordered_by_assessed_date_not_by_list_order():
    early, late = body([4, 2])
    # the late observation listed first, as a grading date would list it
    standing, explanation = latest([late, early], scale=SCALE)
    assert standing.value == D("2.00")
    assert [line.ref for line in explanation.used] == ["e1", "e2"]


def test_minimum_observations_gives_insufficient_not_a_number():
    standing, explanation = mean(body([3, 4]), scale=SCALE, min_observations=3)
    assert standing.value is None and standing.insufficient
    assert standing.observations == 2
    assert "2 of the 3" in explanation.plain()


def test_formative_is_shown_never_counted():
    evidence = [
        *body([1, 4], purpose=Purpose.FORMATIVE),
        Evidence(ref="s", student="s1", indicator="MATH.1.PI.1", level=D(3), assessed_at=START),
    ]
    standing, explanation = mean(evidence, scale=SCALE)
    assert standing.value == D("3.00")
    assert {line.ref for line in explanation.left_out} == {"e1", "e2"}
    assert all("formative" in line.reason for line in explanation.left_out)


def test_override_is_reported_with_the_method_value_beside_it():
    override = Override(value=D(3), author="Ms Rivera", reason="portfolio review", at=START)
    standing, explanation = mean(body([1, 2]), scale=SCALE, override=override)
    assert standing.value == D(3) and standing.computed == D("1.50")
    assert standing.overridden
    text = explanation.plain()
    assert "Ms Rivera" in text and "portfolio review" in text and "1.5" in text
    assert explanation.short().startswith("Teacher override 3")


def test_levels_outside_the_scale_are_refused():
    with pytest.raises(CalculationError, match="outside the scale"):
        mean(body([5]), scale=SCALE)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("avg", {}, "unknown calculation method"),
        ("decaying_average", {"weight": "1.5"}, "between 0 and 1"),
        ("decaying_average", {"weight": "0.655"}, "two decimals"),
        ("decaying_average", {"weight": "x"}, "not a number"),
        ("n_mastery", {"n": "0"}, "at least 1"),
        ("n_mastery", {"n": "two"}, "whole number"),
        ("mean", {"weight": "0.5"}, "no parameter weight"),
    ],
)
def test_bad_method_choices_are_refused_by_name(name, params, message):
    with pytest.raises(CalculationError, match=message):
        MethodChoice.of(name, params)


def test_power_law_refuses_a_zero_level():
    from mappings.scale import Level, Scale

    zero_scale = Scale(levels=(Level(D(0), "none"), Level(D(1), "some")), meets=D(1))
    with pytest.raises(CalculationError, match="above 0"):
        power_law(body([0, 1]), scale=zero_scale)


@pytest.mark.parametrize("choice", CHOICES, ids=lambda c: c.name)
@given(level=st.integers(min_value=100, max_value=400))
def test_a_single_observation_is_itself_for_every_method(choice, level):
    value = D(level) / 100
    standing, _ = calculate(body([value]), choice, scale=SCALE)
    assert standing.value == value


@pytest.mark.parametrize("choice", CHOICES, ids=lambda c: c.name)
@settings(max_examples=60)
@given(evidence=evidence_bodies())
def test_bounds_determinism_and_idempotence(choice, evidence):
    first = calculate(evidence, choice, scale=SCALE)
    again = calculate(list(evidence), choice, scale=SCALE)
    assert first == again  # deterministic
    standing = first[0]
    if standing.value is not None:
        assert SCALE.minimum <= standing.value <= SCALE.maximum
        # idempotence: the standing, taken as the only evidence, gives itself back
        assert calculate(body([standing.value]), choice, scale=SCALE)[0].value == standing.value


@pytest.mark.parametrize("choice", [c for c in CHOICES if c.method.order_free], ids=lambda c: c.name)
@settings(max_examples=60)
@given(evidence=evidence_bodies(), data=st.data())
def test_order_free_methods_ignore_dates(choice, evidence, data):
    shuffled_dates = data.draw(st.permutations([e.assessed_at for e in evidence]))
    moved = [
        Evidence(**{**{f: getattr(e, f) for f in e.__slots__}, "assessed_at": d + timedelta(0)})
        for e, d in zip(evidence, shuffled_dates, strict=True)
    ]
    assert calculate(moved, choice, scale=SCALE)[0].value == calculate(evidence, choice, scale=SCALE)[0].value
