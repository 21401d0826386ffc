from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from pbridge.errors import ProficiencyBridgeError
from store.overrides import StandingOverride, active_overrides, set_override, standing_key, withdraw_override
from tests.store.district import make_district


def test_a_new_override_withdraws_the_previous_and_history_stays(database):
    with database.begin() as session:
        d = make_district(session)
        s, pi, c = d.students[0], d.math_indicators[0], d.courses[0]
        set_override(
            session,
            student_id=s,
            course_id=c,
            indicator_id=pi,
            value=Decimal(2),
            author_id=d.teacher,
            reason="first",
        )
        set_override(
            session,
            student_id=s,
            course_id=c,
            indicator_id=pi,
            value=Decimal(3),
            author_id=d.teacher,
            reason="second",
        )
        key = standing_key("indicator", s, c, pi)
        active = active_overrides(session, [s])
        assert active[key].value == Decimal(3) and active[key].author == "Ms Rivera"
        assert active[key].reason == "second"
        assert len(session.scalars(select(StandingOverride)).all()) == 2
        assert withdraw_override(session, key, by_user_id=d.teacher)
        assert active_overrides(session, [s]) == {}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"indicator_id": None}, "exactly one"),
        ({"reason": " "}, "say why"),
        ({"value": Decimal("2.555")}, "two decimals"),
    ],
)
def test_bad_overrides_are_refused(database, fields, message):
    with database.begin() as session:
        d = make_district(session)
        arguments = {
            "student_id": d.students[0],
            "course_id": d.courses[0],
            "indicator_id": d.math_indicators[0],
            "value": Decimal(3),
            "author_id": d.teacher,
            "reason": "oral exam",
        }
        with pytest.raises(ProficiencyBridgeError, match=message):
            set_override(session, **{**arguments, **fields})
