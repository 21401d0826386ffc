"""The bulk roll-ups and verification give the explained path's numbers, exactly, on random data."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mappings.bulk_rollup import roll_up_groups, vectorisable, verify_groups
from mappings.rollup import IndicatorResult, RollupRule, roll_up
from mappings.scale import Level, Scale, default_scale
from mappings.verification import IndicatorBody, VerificationRule, verify
from pbridge.errors import CalculationError

D = Decimal
SCALES = [
    default_scale(),
    default_scale(half_points=True),
    Scale(levels=(Level(D(0), "no"), Level(D("2.5"), "some"), Level(D(5), "yes")), meets=D("2.5")),
]
RULES = [
    RollupRule.of("mean"),
    RollupRule.of("mean", {"rounding": "scale"}),
    RollupRule.of("mean", {"rounding": "down", "min_indicators": 2}),
    RollupRule.of("weighted_mean", {"weights": {"1": "2", "3": "0.5", "4": "0.125"}}),
    RollupRule.of("weighted_mean", {"rounding": "scale", "weights": {"2": "3"}}),
    RollupRule.of("weighted_mean", {"rounding": "down"}),
    RollupRule.of("minimum", {"min_indicators": 3}),
    RollupRule.of("all_at_least", {"level": "3"}),
    RollupRule.of("all_at_least", {"level": "2.755"}),
    RollupRule.of("share_at_least", {"level": "3", "percent": "66.6", "floor": "2"}),
    RollupRule.of("share_at_least", {"level": "2.5", "percent": "100", "floor": "1.01"}),
]

levels = st.one_of(st.none(), st.integers(0, 500).map(lambda c: D(c).scaleb(-2)))
standards = st.lists(st.lists(levels, min_size=1, max_size=7), min_size=1, max_size=12)


def _columns(groups: list[list[Decimal | None]]) -> tuple[np.ndarray, ...]:
    group, value, has, indicator = [], [], [], []
    for g, members in enumerate(groups):
        for i, v in enumerate(members, start=1):
            group.append(g)
            value.append(0 if v is None else int(v.scaleb(2)))
            has.append(v is not None)
            indicator.append(i)
    return (
        np.array(group, dtype=np.int64),
        np.array(value, dtype=np.int64),
        np.array(has, dtype=np.bool_),
        np.array(indicator, dtype=np.int64),
    )


@settings(max_examples=60, deadline=None)
@given(groups=standards, scale_at=st.integers(0, len(SCALES) - 1))
@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.name}-{r.rounding}")
def test_roll_ups_equal_the_explained_path(rule, groups, scale_at):
    scale = SCALES[scale_at]
    group, value, has, indicator = _columns(groups)
    n = len(groups)
    got = roll_up_groups(
        group,
        value,
        has,
        indicator,
        groups=n,
        rule=rule,
        meets=np.full(n, int(scale.meets.scaleb(2)), dtype=np.int64),
        step=np.full(n, 50 if scale.half_points else 100, dtype=np.int64),
    )
    for g, members in enumerate(groups):
        results = [IndicatorResult(str(i), v) for i, v in enumerate(members, start=1)]
        expected, met, explanation = roll_up(results, rule, scale=scale)
        bulk = D(int(got.value[g])).scaleb(-2) if got.has_value[g] else None
        assert bulk == expected, (members, rule)
        assert (bool(got.met[g]) if got.has_value[g] else None) == met
        assert int(got.used[g]) == len(explanation.used)


@settings(max_examples=80, deadline=None)
@given(
    bodies=st.lists(
        st.lists(st.tuples(levels, st.integers(0, 4), st.integers(0, 3)), min_size=0, max_size=6),
        min_size=1,
        max_size=10,
    ),
    rule=st.builds(
        VerificationRule,
        min_observations=st.integers(1, 3),
        min_level=st.one_of(st.none(), st.sampled_from([D("2.5"), D("3"), D("2.999")])),
        min_courses=st.integers(1, 2),
    ),
)
def test_verifications_equal_the_explained_path(bodies, rule):
    scale = default_scale()
    group, value, has, observations, courses = [], [], [], [], []
    for g, members in enumerate(bodies):
        for v, o, c in members:
            group.append(g)
            value.append(0 if v is None else int(v.scaleb(2)))
            has.append(v is not None)
            observations.append(o)
            courses.append(c)
    n = len(bodies)
    got = verify_groups(
        np.array(group, dtype=np.int64),
        np.array(value, dtype=np.int64),
        np.array(has, dtype=np.bool_),
        np.array(observations, dtype=np.int64),
        np.array(courses, dtype=np.int64),
        groups=n,
        rule=rule,
        meets=np.full(n, 300, dtype=np.int64),
    )
    for g, members in enumerate(bodies):
        verification = verify([IndicatorBody(str(i), *m) for i, m in enumerate(members)], rule, scale=scale)
        assert bool(got.met[g]) == verification.met
        assert int(got.short[g]) == sum(1 for _, ok, _ in verification.indicators if not ok)
        assert int(got.observations[g]) == sum(o for _, o, _ in members)
        assert int(got.courses[g]) == max((c for _, _, c in members), default=0)


def test_weights_past_small_integers_are_left_to_the_explained_path():
    fine = RollupRule.of("weighted_mean", {"weights": {"1": "0.333333"}})
    too_fine = RollupRule.of("weighted_mean", {"weights": {"1": "0.3333333"}})
    assert vectorisable(fine) and vectorisable(RollupRule.of("mean"))
    assert not vectorisable(too_fine)
    with pytest.raises(CalculationError, match="explained path"):
        roll_up_groups(
            *_columns([[D(3)]]),
            groups=1,
            rule=too_fine,
            meets=np.array([300]),
            step=np.array([100]),
        )


def test_weights_that_add_up_to_zero_are_refused_like_the_explained_path():
    rule = RollupRule.of("weighted_mean", {"weights": {"1": "0", "2": "0"}})
    with pytest.raises(CalculationError, match="add up to 0"):
        roll_up([IndicatorResult("1", D(3)), IndicatorResult("2", D(2))], rule, scale=default_scale())
    with pytest.raises(CalculationError, match="add up to 0"):
        roll_up_groups(
            *_columns([[D(3), D(2)]]), groups=1, rule=rule, meets=np.array([300]), step=np.array([100])
        )
