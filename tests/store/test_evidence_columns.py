"""The evidence a small recompute reads: the same observations as the ORM rows give, with
every kind of value, whichever way the database's driver is read."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from mappings.evidence import EvidenceStatus, Purpose
from store.evidence import EvidenceRow, exclude_evidence, mark_removed, record_observations
from store.evidence_columns import load_evidence_columns, load_observed
from tests.store.district import make_district, observation


def test_observations_read_for_recomputing_match_the_stored_rows(database):
    with database.begin() as session:
        d = make_district(session)
        pi1, pi2, _ = d.math_indicators
        habit = d.habit_indicators[0]
        c0, _ = d.courses
        s0, s1, _ = d.students
        record_observations(
            session,
            [
                observation(s0, pi1, c0, 3, 1, "a1", raw_score=Decimal("18.5"), raw_max=Decimal("20")),
                observation(s0, pi1, c0, 2.5, 3, "a2", purpose=Purpose.FORMATIVE),
                observation(s0, pi1, None, None, 5, "a3"),  # excused: no level, no course
                observation(s0, pi1, c0, 4, 9, "a4", attempt=2, replaces_source_ref="a1"),
                observation(s0, pi2, c0, 1, 2, "b1"),
                observation(s0, habit, c0, 3, 2, "h1", purpose=Purpose.HABIT_OF_WORK),
                observation(s1, pi1, c0, 2, 1, "c1"),  # another student: not asked for
            ],
        )
        ids = {ref: i for ref, i in session.execute(select(EvidenceRow.source_ref, EvidenceRow.id))}
        exclude_evidence(session, ids["b1"], by_user_id=d.teacher, reason="copied from a classmate")
        mark_removed(session, "ags", ["a2"], EvidenceStatus.REMOVED_AT_SOURCE)

    pairs = {(s0, pi1), (s0, pi2), (s0, habit)}
    with database.begin() as session:
        bodies, columns = load_observed(session, pairs)
        rows = session.scalars(
            select(EvidenceRow)
            .where(EvidenceRow.student_id == s0)
            .order_by(EvidenceRow.indicator_id, EvidenceRow.assessed_at, EvidenceRow.attempt)
        ).all()

    assert set(bodies) == pairs
    read = [(o.course_id, o.evidence) for pair in sorted(bodies) for o in bodies[pair]]
    assert read == [(row.course_id, row.to_evidence()) for row in rows]
    first = bodies[(s0, pi1)][0].evidence
    assert first.assessed_at.tzinfo is not None  # aware, as the mapped column gives it
    assert isinstance(first.purpose, Purpose)
    # the columns hold the same observations, in the same order
    assert columns.id.tolist() == [row.id for row in rows]
    assert columns.level.tolist() == [-1 if r.level is None else int(r.level * 100) for r in rows]
    assert columns.course.tolist() == [r.course_id or 0 for r in rows]
    assert columns.purpose.tolist() == [
        {Purpose.FORMATIVE: 0, Purpose.SUMMATIVE: 1, Purpose.HABIT_OF_WORK: 2}[r.purpose] for r in rows
    ]
    assert columns.removed.tolist() == [int(r.status is EvidenceStatus.REMOVED_AT_SOURCE) for r in rows]
    assert columns.excluded.tolist() == [int(r.excluded) for r in rows]
    assert columns.replaces.tolist() == [r.replaces_evidence_id or 0 for r in rows]
    assert sum(columns.removed.tolist()) == 1 and sum(columns.excluded.tolist()) == 1
    assert sum(1 for r in columns.replaces.tolist() if r) == 1


def test_a_district_read_and_a_pass_of_students_give_the_methods_order(database):
    """On PostgreSQL these come by COPY, unsorted, and are sorted after: the same rows in the
    same order as the database's own ORDER BY, ties on the date broken by attempt, then id."""
    with database.begin() as session:
        d = make_district(session)
        pi1, pi2, _ = d.math_indicators
        c0, _ = d.courses
        s0, s1, s2 = d.students
        record_observations(  # recorded out of order; two on one date, the later attempt first
            session,
            [
                observation(s1, pi2, c0, 2, 4, "e1"),
                observation(s0, pi1, c0, 4, 3, "e2", attempt=2),
                observation(s0, pi1, c0, 3, 3, "e3"),
                observation(s2, pi1, c0, 1, 1, "e4"),
                observation(s0, pi1, c0, 2, 1, "e5"),
                observation(s1, pi1, c0, 3, 2, "e6"),
                observation(s0, pi1, c0, 1, 3, "e7"),
            ],
        )
    with database.begin() as session:
        ordered = session.execute(
            select(EvidenceRow.id, EvidenceRow.student_id).order_by(
                EvidenceRow.student_id,
                EvidenceRow.indicator_id,
                EvidenceRow.assessed_at,
                EvidenceRow.attempt,
                EvidenceRow.id,
            )
        ).all()
        everyone = load_evidence_columns(session, None)
        some = load_evidence_columns(session, None, students=[s2, s0])
    assert everyone.id.tolist() == [i for i, _ in ordered]
    assert some.id.tolist() == [i for i, s in ordered if s in (s0, s2)]
    assert some.student.tolist() == [s for _, s in ordered if s in (s0, s2)]
