from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mappings.evidence import Purpose
from mappings.rollup import IndicatorResult, RollupRule, roll_up
from mappings.scale import default_scale
from pbridge.errors import CalculationError

D = Decimal
SCALE = default_scale()
HALVES = default_scale(half_points=True)


def results(*values):
    return [
        IndicatorResult(key=f"PI.{i}", value=None if v is None else D(str(v)))
        for i, v in enumerate(values, start=1)
    ]


@pytest.mark.parametrize(
    ("rule", "values", "value", "met"),
    [
        (RollupRule.of("mean"), (3, 2, 2.5), "2.50", False),
        (RollupRule.of("mean"), (3, 3, 4), "3.33", True),
        (RollupRule.of("mean", {"rounding": "scale"}), (3, 3, 2), "3.00", True),  # 2.67 → 3
        (RollupRule.of("mean", {"rounding": "down"}), (3, 3, 2), "2.00", False),  # 2.67 → 2
        (RollupRule.of("minimum"), (4, 3, 2.5), "2.50", False),
        (RollupRule.of("all_at_least", {"level": 3}), (3, 4, 3), "3.00", True),
        (RollupRule.of("all_at_least", {"level": 3}), (3, 4, 2), "2.00", False),
        (
            RollupRule.of("share_at_least", {"level": 3, "percent": 75, "floor": 2}),
            (3, 3, 4, 2),
            "3.00",
            True,
        ),
        (
            RollupRule.of("share_at_least", {"level": 3, "percent": 75, "floor": 2}),
            (3, 3, 2, 2),
            "2.00",
            False,
        ),
        (
            RollupRule.of("share_at_least", {"level": 3, "percent": 75, "floor": 2}),
            (4, 4, 4, 1),
            "1.00",
            False,
        ),
        (RollupRule.of("weighted_mean", {"weights": {"PI.1": 3}}), (4, 2), "3.50", True),
    ],
)
def test_rules_on_worked_examples(rule, values, value, met):
    got, got_met, explanation = roll_up(results(*values), rule, scale=SCALE)
    assert (got, got_met) == (D(value), met)
    assert explanation.value == D(value)


def test_scale_rounding_to_halves():
    value, _, _ = roll_up(results(3, 3, 2), RollupRule.of("mean", {"rounding": "scale"}), scale=HALVES)
    assert value == D("2.50")  # 2.67 → nearest half


def test_indicators_without_standing_are_left_out_and_named():
    value, _, explanation = roll_up(results(3, None, 4), RollupRule.of("mean"), scale=SCALE)
    assert value == D("3.50")
    assert explanation.left_out[0][0] == "PI.2"
    assert "PI.2" in explanation.plain()


def test_too_few_indicator_standings_is_insufficient():
    value, met, explanation = roll_up(
        results(3, None, None), RollupRule.of("mean", {"min_indicators": 2}), scale=SCALE
    )
    assert value is None and met is None
    assert "1 of the 2" in explanation.plain()


def test_habits_never_mix_with_academics():
    mixed = [
        IndicatorResult("PI.1", D(3)),
        IndicatorResult("HOW.1", D(4), counts=Purpose.HABIT_OF_WORK),
    ]
    with pytest.raises(CalculationError, match="habits of work are reported apart"):
        roll_up(mixed, RollupRule.of("mean"), scale=SCALE)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("average", {}, "unknown roll-up rule"),
        ("mean", {"rounding": "up"}, "unknown rounding"),
        ("all_at_least", {}, "needs a level"),
        ("share_at_least", {"level": 3, "floor": 2}, "percent"),
        ("share_at_least", {"level": 3, "percent": 80}, "floor"),
        ("mean", {"level": "x"}, "not a number"),
        ("mean", {"colour": 1}, "no parameter colour"),
    ],
)
def test_bad_rules_are_refused(name, params, message):
    with pytest.raises(CalculationError, match=message):
        RollupRule.of(name, params)


def test_rules_survive_json():
    rule = RollupRule.of("share_at_least", {"level": 3, "percent": 80, "floor": 2})
    assert RollupRule.from_json(rule.to_json()) == rule
    weighted = RollupRule.of("weighted_mean", {"weights": {"A": "2"}})
    assert RollupRule.from_json(weighted.to_json()) == weighted


@given(st.lists(st.integers(100, 400), min_size=1, max_size=8))
def test_every_rule_stays_within_the_scale(centis):
    values = [D(c) / 100 for c in centis]
    for rule in (
        RollupRule.of("mean"),
        RollupRule.of("mean", {"rounding": "down"}),
        RollupRule.of("minimum"),
        RollupRule.of("all_at_least", {"level": 3}),
        RollupRule.of("share_at_least", {"level": 3, "percent": 50, "floor": 2}),
    ):
        value, _, _ = roll_up(results(*values), rule, scale=SCALE)
        assert SCALE.minimum <= value <= SCALE.maximum
        if rule.name in ("mean", "minimum") and rule.rounding == "hundredths":
            assert min(values) <= value <= max(values)
