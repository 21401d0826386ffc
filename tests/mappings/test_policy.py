from __future__ import annotations

import pytest

from mappings.calculation import MethodChoice
from mappings.policy import CourseChoice, Policy
from mappings.rollup import RollupRule
from pbridge.errors import CalculationError

DISTRICT = Policy(
    method=MethodChoice.of("decaying_average", {"weight": "0.65"}),
    min_observations=2,
    rollup=RollupRule.of("all_at_least", {"level": 3}),
    course_methods=frozenset({"mean", "power_law"}),
    habits_method=MethodChoice.of("mode"),
)


def test_a_course_may_pick_an_allowed_method():
    effective = DISTRICT.for_course(CourseChoice(method=MethodChoice.of("power_law")))
    assert effective.method.name == "power_law"
    assert effective.rollup == DISTRICT.rollup
    assert DISTRICT.for_course(None) is DISTRICT


def test_a_course_may_not_pick_what_the_district_does_not_allow():
    with pytest.raises(CalculationError, match="does not let a course choose highest"):
        DISTRICT.for_course(CourseChoice(method=MethodChoice.of("highest")))
    with pytest.raises(CalculationError, match="minimum number"):
        DISTRICT.for_course(CourseChoice(min_observations=1))


def test_habits_have_their_own_method():
    assert DISTRICT.method_for(habits=True).name == "mode"
    assert DISTRICT.method_for(habits=False).name == "decaying_average"
    assert Policy().method_for(habits=True) == Policy().method


def test_policies_survive_json():
    assert Policy.from_json(DISTRICT.to_json()) == DISTRICT
    choice = CourseChoice(method=MethodChoice.of("mean"), min_observations=3)
    assert CourseChoice.from_json(choice.to_json()) == choice


def test_a_policy_naming_an_unknown_method_is_refused():
    with pytest.raises(CalculationError, match="unknown calculation method"):
        Policy.from_json({"method": "vibes"})
    with pytest.raises(CalculationError, match="unknown methods"):
        Policy(course_methods=frozenset({"vibes"}))
