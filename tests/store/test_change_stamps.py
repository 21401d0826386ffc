from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import delete, select, text, update

from mappings.calculation import MethodChoice
from mappings.policy import CourseChoice
from store.change_stamps import CATALOGUE, OVERRIDES, POLICIES, ChangeStamp, read_stamps
from store.evidence import StandingKey
from store.frameworks import Framework, GraduationStandard, StandardKind
from store.overrides import set_override, standing_key, withdraw_override
from store.people import Course
from store.policies import set_course_choice, set_district_policy
from store.recompute import recompute
from store.standings import StandingKind, StandingRow
from tests.conftest import ON_POSTGRES
from tests.store.district import make_district, observation
from tests.store.test_recompute import POLICY, seed


def stamps(database) -> dict[str, str]:
    with database.begin() as session:
        return read_stamps(session)


def test_catalogue_and_policy_writes_replace_their_stamps(database):
    with database.begin() as session:
        d = make_district(session)
    first = stamps(database)
    assert set(first) == {CATALOGUE}
    with database.begin() as session:
        session.get(GraduationStandard, d.science).title = "Science, renamed"
    second = stamps(database)
    assert second[CATALOGUE] != first[CATALOGUE]
    with database.begin() as session:
        set_district_policy(session, POLICY)
    third = stamps(database)
    assert third[CATALOGUE] == second[CATALOGUE] and POLICIES in third
    with database.begin() as session:  # evidence is no part of either
        from store.evidence import record_observations

        record_observations(
            session, [observation(d.students[0], d.math_indicators[0], d.courses[0], 3, 1, "x")]
        )
    assert stamps(database) == third


def test_bulk_statements_and_deleted_courses_replace_stamps(database):
    with database.begin() as session:
        d = make_district(session)
        set_district_policy(session, POLICY)
    before = stamps(database)
    with database.begin() as session:
        session.execute(update(Framework).values(half_points=True))
    after = stamps(database)
    assert after[CATALOGUE] != before[CATALOGUE] and after[POLICIES] == before[POLICIES]
    with database.begin() as session:
        session.delete(session.get(Course, d.courses[1]))
    assert stamps(database)[POLICIES] != after[POLICIES]


def test_a_catalogue_change_from_another_transaction_reaches_the_next_recompute(database):
    with database.begin() as session:
        d = seed(session)
        recompute(session)
    with database.begin() as session:
        math = session.scalars(
            select(StandingRow).where(StandingRow.indicator_id.in_(d.math_indicators))
        ).all()
        assert math and not any(r.habit for r in math)
    with database.begin() as session:  # the math standard becomes a habit of work
        session.execute(
            update(GraduationStandard)
            .where(GraduationStandard.id == d.math)
            .values(kind=StandardKind.HABIT_OF_WORK)
        )
    with database.begin() as session:
        recompute(session)
        rows = session.scalars(
            select(StandingRow).where(
                StandingRow.standard_id == d.math, StandingRow.kind != StandingKind.VERIFICATION
            )
        ).all()
        # a habit of work counts habit-of-work evidence only: the summative scores no longer do
        assert rows and all(r.habit and r.value is None for r in rows)


def test_a_policy_change_from_another_transaction_reaches_the_next_recompute(database):
    with database.begin() as session:
        d = seed(session)
        recompute(session)
    key = f"indicator:{d.students[0]}:{d.courses[0]}:{d.math_indicators[0]}"
    with database.begin() as session:
        assert session.scalars(select(StandingRow).where(StandingRow.key == key)).one().value == Decimal(
            "2.50"
        )
        set_course_choice(session, d.courses[0], CourseChoice(method=MethodChoice.of("latest")))
    with database.begin() as session:
        recompute(session)
        assert session.scalars(select(StandingRow).where(StandingRow.key == key)).one().value == Decimal(
            "3.00"
        )


def test_a_database_without_stamps_reads_afresh_and_gets_them(database):
    with database.begin() as session:
        seed(session)
        session.execute(delete(ChangeStamp))
    with database.begin() as session:
        assert read_stamps(session) == {}
        assert recompute(session)
    assert set(stamps(database)) == {CATALOGUE, POLICIES, OVERRIDES}


@pytest.mark.skipif(ON_POSTGRES, reason="drops a table the shared PostgreSQL test database keeps")
def test_a_database_not_yet_upgraded_still_recomputes_and_saves_frameworks(database):
    with database.engine.begin() as conn:
        conn.execute(text("DROP TABLE change_stamps"))
    with database.begin() as session:
        d = seed(session)
        assert recompute(session)
        session.get(GraduationStandard, d.science).title = "renamed"
    with database.begin() as session:
        assert read_stamps(session) == {}
        assert recompute(session) == []


def test_an_override_from_another_transaction_reaches_the_next_incremental_recompute(database):
    with database.begin() as session:
        d = seed(session)
        recompute(session)
    s0, pi1, c0 = d.students[0], d.math_indicators[0], d.courses[0]
    key = standing_key("indicator", s0, c0, pi1)

    def recomputed() -> StandingRow:
        with database.begin() as session:
            recompute(session, [StandingKey(s0, pi1, c0)])
            return session.scalars(select(StandingRow).where(StandingRow.key == key)).one()

    assert recomputed().value == Decimal("2.50")  # this process now knows s0 has no override
    before = stamps(database)
    with database.begin() as session:
        set_override(
            session,
            student_id=s0,
            course_id=c0,
            indicator_id=pi1,
            value=Decimal(3),
            author_id=d.teacher,
            reason="oral exam",
        )
    assert stamps(database)[OVERRIDES] != before[OVERRIDES]
    overridden = recomputed()
    assert overridden.value == Decimal("3.00") and overridden.overridden
    with database.begin() as session:
        withdraw_override(session, key, by_user_id=d.teacher)
    withdrawn = recomputed()
    assert withdrawn.value == Decimal("2.50") and not withdrawn.overridden
