from __future__ import annotations

import pytest

from mappings.calculation import MethodChoice
from mappings.policy import CourseChoice, Policy
from pbridge.errors import CalculationError
from store.policies import (
    all_policies,
    course_choice,
    district_policy,
    set_course_choice,
    set_district_policy,
)
from tests.store.district import make_district


def test_district_default_and_course_choices(database):
    with database.begin() as session:
        d = make_district(session)
        assert district_policy(session) == Policy()
        policy = Policy(method=MethodChoice.of("mean"), course_methods=frozenset({"power_law"}))
        set_district_policy(session, policy, by_user_id=d.teacher)
    with database.begin() as session:
        assert district_policy(session) == policy
        effective = set_course_choice(
            session, d.courses[0], CourseChoice(method=MethodChoice.of("power_law"))
        )
        assert effective.method.name == "power_law"
        with pytest.raises(CalculationError, match="does not let a course choose highest"):
            set_course_choice(session, d.courses[1], CourseChoice(method=MethodChoice.of("highest")))
    with database.begin() as session:
        assert course_choice(session, d.courses[1]) is None
        district, courses = all_policies(session)
        assert district == policy and set(courses) == {d.courses[0]}
        set_course_choice(session, d.courses[0], None)
        assert course_choice(session, d.courses[0]) is None
