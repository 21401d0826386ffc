"""The pull through the whole sync: evidence per student and target, dated right, never a 0."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bridge.lms_api.pull import pull_lms_scores
from bridge.outcome import CourseOutcome
from mappings.conversion import LevelMap, default_cut_scores
from mappings.evidence import EvidenceStatus
from sandbox.faults import FaultRule
from store.lms_credentials import course_cursors, reset_cursors
from store.people import User
from store.standings import StandingKind, StandingRow
from tests.bridge.lms_api.conftest import levels_by_indicator

RATINGS = LevelMap(
    levels=(
        ("Exceeds", Decimal(4)),
        ("Meets", Decimal(3)),
        ("Partially meets", Decimal(2)),
        ("Does not meet", Decimal(1)),
    )
)


def _user_of(row) -> str:
    """The LMS user id in an evidence ref `<platform>:<assignment>:<user>[:<criterion>]`."""
    return row.source_ref.split(":")[2]


def test_whole_assignments_give_dated_evidence_and_no_level_for_what_was_not_graded(course):
    flavour = course.state.flavour.name
    graded, pending, future = course.native(0), course.native(-2), course.native(-1)
    indicator = course.indicators[0][0]
    for assignment in (graded, pending, future):
        course.align(assignment, [indicator])
    outcome = course.sync()
    assert outcome.problems == [] and outcome.failed == 0
    rows = course.evidence()
    assert {r.source for r in rows} == {flavour}
    assert all(r.level is None or r.level in {1, 2, 3, 4} for r in rows)  # never a 0
    by_assignment: dict[str, list] = {}
    for row in rows:
        by_assignment.setdefault(row.source_ref.split(":")[1], []).append(row)
    assert future.id not in by_assignment  # nothing handed in, nothing recorded
    assert by_assignment[pending.id] and all(r.level is None for r in by_assignment[pending.id])
    cuts = default_cut_scores()
    shown = 0
    for row in by_assignment[graded.id]:
        submission = course.state.grades.submission(graded.id, _user_of(row))
        if submission.score is not None and not submission.excused and not submission.missing:
            assert row.level == cuts.convert(
                Decimal(str(submission.score)), Decimal(str(graded.points_possible))
            )
            shown += 1
        else:
            assert row.level is None  # excused or missing: shown, never a 0
        expected = graded.due_at if flavour == "schoology" else (submission.submitted_at or graded.due_at)
        assert row.assessed_at == expected  # never the grading date
        assert row.assessed_at != submission.graded_at
    assert shown == sum(
        1 for s in course.state.grades.submissions(graded.id) if s.score is not None and not s.excused
    )


@pytest.mark.parametrize("flavour_course", ["canvas_course", "moodle_course"])
def test_three_rubric_criteria_give_evidence_on_three_indicators_through_the_whole_sync(
    request, flavour_course
):
    course = request.getfixturevalue(flavour_course)
    lab = course.rubric_assignment()
    listed = next(a for a in course.client().assignments(course.api().lms_course_id) if a.id == lab.id)
    criteria = {c.description: c.id for c in listed.criteria}
    indicators = [course.indicators[0][0], course.indicators[0][1], course.indicators[1][0]]
    for criterion, indicator in zip(listed.criteria, indicators, strict=True):
        course.align(lab, [indicator], criterion=criterion.id, conversion=RATINGS)
    whole = course.indicators[1][1]
    course.align(lab, [whole])
    outcome = course.sync()
    assert outcome.failed == 0, outcome.problems
    rows = [r for r in course.evidence() if r.source_ref.split(":")[1] == lab.id]
    levels = levels_by_indicator(rows)
    assert set(levels) == {*indicators, whole}
    native = course.state.grades.assignment(lab.id)
    names = {c.id: c.description for c in native.rubric.criteria}
    for submission in course.state.grades.submissions(lab.id):
        if not submission.rubric_assessment or submission.excused:
            continue
        mine = [r for r in rows if _user_of(r) == submission.user_id]
        for part in submission.rubric_assessment:
            criterion_id = criteria[names[part.criterion_id]]
            row = next(r for r in mine if r.source_ref.endswith(":" + criterion_id))
            assert row.level == RATINGS.convert(None, rating=part.rating)
    with course.stack.database.begin() as session:
        counted = session.scalar(
            select(func.count())
            .select_from(StandingRow)
            .where(
                StandingRow.kind == StandingKind.INDICATOR,
                StandingRow.indicator_id.in_(indicators),
                StandingRow.value.is_not(None),
            )
        )
    assert counted >= 3 * 20  # each criterion's indicator has standings for the graded students


def test_delta_reads_only_what_changed_and_a_new_alignment_is_read_whole(course):
    first = course.native(0)
    course.align(first, [course.indicators[0][0]])
    course.sync()
    before = {r.source_ref: r.level for r in course.evidence()}
    learner = course.seed.student_ids[0]
    was = next((level for ref, level in before.items() if _user(ref) == learner), None)
    top = was != 4
    course.state.grades.set_submission(
        first.id,
        learner,
        score=first.points_possible if top else 0.5,
        submitted_at=first.due_at,
        graded_at=datetime.now(UTC),
        workflow_state="graded",
        attempt=1,
    )
    changed = CourseOutcome()
    keys = pull_lms_scores(course.bridge, course.course_id, changed)
    assert changed.pulled == 1
    assert {k.student_id for k in keys} == {_our_id(course, learner)}
    after = {r.source_ref: r.level for r in course.evidence()}
    assert [ref for ref in after if after[ref] != before.get(ref)] == [
        ref for ref in after if _user(ref) == learner
    ]
    assert after[next(ref for ref in after if _user(ref) == learner)] == (4 if top else 1)

    idle = CourseOutcome()
    assert pull_lms_scores(course.bridge, course.course_id, idle) == set()
    assert idle.pulled == 1  # the overlap window reads the last change again; it changes nothing

    course.align(first, [course.indicators[0][0], course.indicators[0][1]])  # re-aligned: read whole
    again = CourseOutcome()
    pull_lms_scores(course.bridge, course.course_id, again)
    assert again.pulled == len(before)


def _user(ref: str) -> str:
    return ref.split(":")[2]


def _our_id(course, lms_user_id: str) -> int:
    with course.stack.database.begin() as session:
        user = course.state.users[lms_user_id]
        return session.scalars(select(User.id).where(User.sub == user.sub)).one()


def test_a_full_sweep_on_demand_retires_a_grade_taken_back(course):
    first = course.native(0)
    course.align(first, [course.indicators[0][0]])
    course.sync()
    graded = next(
        s for s in course.state.grades.submissions(first.id) if s.score is not None and not s.excused
    )
    course.state.grades.set_submission(first.id, graded.user_id)  # grade removed in the LMS
    pull_lms_scores(course.bridge, course.course_id, CourseOutcome())
    mine = [r for r in course.evidence() if _user_of(r) == graded.user_id]
    assert [r.status for r in mine] == [EvidenceStatus.ACTIVE]  # a delta read cannot see removals
    with course.stack.database.begin() as session:
        assert reset_cursors(session, course.course_id) == 1
    keys = pull_lms_scores(course.bridge, course.course_id, CourseOutcome())
    mine = [r for r in course.evidence() if _user_of(r) == graded.user_id]
    assert [r.status for r in mine] == [EvidenceStatus.REMOVED_AT_SOURCE]
    assert len(keys) == 1
    others = [r for r in course.evidence() if _user_of(r) != graded.user_id]
    assert all(r.status is EvidenceStatus.ACTIVE for r in others)


def test_a_run_that_dies_midway_leaves_nothing_half_done_and_the_next_one_ends_whole(canvas_course):
    course = canvas_course
    for index in range(4):
        course.align(course.native(index), [course.indicators[0][0]])
    course.sync()  # the roster, and a first read
    with course.stack.database.begin() as session:
        reset_cursors(session, course.course_id)
    first_rows = {(r.source_ref, r.indicator_id): r.level for r in course.evidence()}
    learner = course.seed.student_ids[3]
    for index in range(4):
        native = course.native(index)
        course.state.grades.set_submission(
            native.id,
            learner,
            score=0.0,
            submitted_at=native.due_at,
            graded_at=datetime.now(UTC),
            workflow_state="graded",
        )
    course.state.faults.add(FaultRule(path="students/submissions", status=503))
    outcome = course.sync()
    assert outcome.failed == 1
    assert "failed after" in outcome.problems[0].reason
    assert {(r.source_ref, r.indicator_id): r.level for r in course.evidence()} == first_rows  # untouched
    with course.stack.database.begin() as session:
        assert course_cursors(session, course.course_id) == {}  # not advanced: the window is read again
    course.state.faults.clear()
    course.sync()
    rows = course.evidence()
    assert len(rows) == len({(r.source_ref, r.indicator_id) for r in rows}) == len(first_rows)
    assert {r.level for r in rows if _user_of(r) == learner} == {Decimal(1)}


def test_students_who_never_launched_are_matched_by_their_sis_id(canvas_course):
    course = canvas_course
    state = course.state
    stranger = state.add_user(given_name="Nia", family_name="Unmatched")  # no SIS id, never launched
    state.enroll(course.seed.course_id, stranger.id, ["Learner"])
    first = course.native(0)
    state.grades.set_submission(
        first.id,
        stranger.id,
        score=15.0,
        submitted_at=first.due_at,
        graded_at=first.due_at,
        workflow_state="graded",
    )
    course.align(first, [course.indicators[0][0]])
    outcome = course.sync()
    with course.stack.database.begin() as session:
        query = select(User.lis_person_sourcedid, User.lms_user_id).where(User.lms_user_id.is_not(None))
        learnt = {sis: lms_id for sis, lms_id in session.execute(query)}
    for student in course.seed.student_ids:
        assert learnt[state.users[student].person_sourcedid] == student
    assert [p.subject for p in outcome.problems] == [f"LMS user {stranger.id}"]
    assert stranger.id not in {_user_of(r) for r in course.evidence()}
