"""The standings table keeps no foreign keys; what a deletion leaves behind is swept away."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from mappings.policy import Policy
from store.evidence import record_observations
from store.people import Course, User
from store.policies import set_district_policy
from store.recompute import recompute
from store.standing_writes import COLUMNS, StandingColumns, inserting_standings, remove_orphans
from store.standings import StandingRow
from tests.store.district import make_district, observation


def _seeded(database):
    with database.begin() as session:
        d = make_district(session)
        set_district_policy(session, Policy())
        pi1, pi2, _ = d.math_indicators
        c0, c1 = d.courses
        record_observations(
            session,
            [
                observation(d.students[0], pi1, c0, 3, 1, "a1"),
                observation(d.students[0], pi2, c1, 2, 2, "a2"),
                observation(d.students[1], pi1, c0, 4, 1, "a3"),
            ],
        )
        recompute(session)
    return d


def _standings(session) -> list[tuple[int, int | None]]:
    found = session.execute(select(StandingRow.student_id, StandingRow.course_id)).all()
    return sorted(((s, c) for s, c in found), key=lambda row: (row[0], row[1] or 0))


def test_a_deleted_student_leaves_nothing_behind(database):
    d = _seeded(database)
    gone = d.students[0]
    with database.begin() as session:
        before = _standings(session)
        session.execute(delete(User).where(User.id == gone))
        assert remove_orphans(session) == sum(1 for student, _ in before if student == gone)
    with database.begin() as session:
        after = _standings(session)
        assert after == [row for row in before if row[0] != gone]
        assert after  # the other student's standings stay
        assert remove_orphans(session) == 0


def test_a_deleted_course_keeps_the_standings_across_courses(database):
    d = _seeded(database)
    c0, c1 = d.courses
    with database.begin() as session:
        before = _standings(session)
        session.execute(delete(Course).where(Course.id == c0))
        assert remove_orphans(session) == sum(1 for _, course in before if course == c0)
        after = _standings(session)
    assert (d.students[0], None) in after  # across courses: course_id is NULL, never an orphan
    assert (d.students[0], c1) in after
    assert all(course != c0 for _, course in after)


def _as_columns(rows: list[StandingRow]) -> StandingColumns:
    def centi(value):
        return None if value is None else int(value * 100)

    names = [name for name in COLUMNS if name != "computed_at"]
    found = {name: [getattr(row, name) for row in rows] for name in names}
    found["value"] = [centi(v) for v in found["value"]]
    found["computed_value"] = [centi(v) for v in found["computed_value"]]
    return StandingColumns(**found, computed_at=rows[0].computed_at)


def test_ids_given_inside_the_insert_are_the_rows_once_it_ends(database):
    _seeded(database)
    with database.begin() as session:
        rows = list(session.scalars(select(StandingRow).order_by(StandingRow.key)))
        columns = _as_columns(rows)
        session.execute(delete(StandingRow))
        with inserting_standings(session, columns) as ids:
            given = list(ids)
        stored = dict(session.execute(select(StandingRow.key, StandingRow.id)).all())
    assert len(set(given)) == len(rows)
    assert stored == dict(zip(columns.key, given, strict=True))


def test_a_failed_block_leaves_nothing_inserted(database):
    _seeded(database)
    with database.begin() as session:
        rows = list(session.scalars(select(StandingRow)))
        columns = _as_columns(rows)
        session.execute(delete(StandingRow))
    with pytest.raises(RuntimeError), database.begin() as session, inserting_standings(session, columns):
        raise RuntimeError("the caller's own work failed")
    with database.begin() as session:
        assert session.scalars(select(StandingRow)).first() is None


def test_a_full_recompute_sweeps_what_a_deletion_left(database):
    d = _seeded(database)
    with database.begin() as session:
        session.execute(delete(User).where(User.id == d.students[0]))
    with database.begin() as session:
        recompute(session)
    with database.begin() as session:
        students = {student for student, _ in _standings(session)}
    assert students == {d.students[1]}
