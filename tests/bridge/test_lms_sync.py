"""The AGS bridge against the sandbox: pull, compute, write back only what changed."""

from __future__ import annotations

from sqlalchemy import func, select

from bridge.lms_sync import sync_course
from store.evidence import EvidenceRow, EvidenceStatus
from store.standings import StandingKind, StandingRow


def _our_columns(course):
    state = course.stack.state
    return [li for li in state.grades.line_items(course.sandbox_course) if li.tag == "proficiency"]


def _our_posts(course):
    ours = {c.id for c in _our_columns(course)}
    return [s for s in course.stack.state.grades.all_scores() if s.line_item_id in ours]


def _shown(course):
    """What the sandbox gradebook shows in our columns: {(resource_id, sub): score}."""
    state = course.stack.state
    shown = {}
    for item in _our_columns(course):
        for result in state.grades.results(item.id):
            shown[(item.resource_id, result.user_sub)] = result.result_score
    return shown


def test_first_sync_pulls_every_score_and_writes_standard_columns(course):
    outcome = sync_course(course.bridge, course.course_id)
    assert outcome.problems == []
    assert outcome.pulled == 3 * len(course.learners)
    with course.stack.database.begin() as session:
        assert session.scalar(select(func.count()).select_from(EvidenceRow)) == 3 * len(course.learners) * 2
        standards = session.scalar(
            select(func.count())
            .select_from(StandingRow)
            .where(StandingRow.kind == StandingKind.STANDARD, StandingRow.course_id == course.course_id)
        )
    assert standards == 2 * len(course.learners)
    columns = _our_columns(course)
    assert sorted(c.resource_id for c in columns) == ["MATH.1", "MATH.2"]
    assert all(c.score_maximum == 4 for c in columns)
    assert outcome.written == len(_shown(course)) == 2 * len(course.learners)


def test_a_second_sync_with_nothing_new_writes_nothing(course):
    sync_course(course.bridge, course.course_id)
    posts_before = len(_our_posts(course))
    again = sync_course(course.bridge, course.course_id)
    assert again.written == 0
    assert again.failed == 0
    assert len(_our_posts(course)) == posts_before
    assert len(_our_columns(course)) == 2  # no duplicate columns


def _standard_values(course):
    with course.stack.database.begin() as session:
        rows = session.execute(
            select(StandingRow.student_id, StandingRow.standard_id, StandingRow.value).where(
                StandingRow.kind == StandingKind.STANDARD, StandingRow.course_id == course.course_id
            )
        ).all()
    return {(student, standard): value for student, standard, value in rows}


def test_a_changed_score_rewrites_only_the_columns_whose_standing_changed(course):
    sync_course(course.bridge, course.course_id)
    before = _standard_values(course)
    posts_before = len(_our_posts(course))
    course.score(0, 0, 5.0, minutes=5)  # student 0 fails assessment 1 (standard 1)
    course.score(2, 0, 5.0, minutes=5)  # and assessment 3 (standard 1 too)
    outcome = sync_course(course.bridge, course.course_id)
    after = _standard_values(course)
    changed = [key for key in after if after[key] != before.get(key)]
    assert changed  # the failing scores moved the standing
    assert outcome.written == len(changed)
    assert len(_our_posts(course)) == posts_before + len(changed)


def test_a_renamed_column_is_still_ours(course):
    sync_course(course.bridge, course.course_id)
    state = course.stack.state
    first = _our_columns(course)[0]
    state.grades.update_line_item(first.id, label="Renamed by the teacher")
    sync_course(course.bridge, course.course_id)
    assert len(_our_columns(course)) == 2


def test_a_removed_result_is_kept_and_marked(course):
    sync_course(course.bridge, course.course_id)
    state = course.stack.state
    item = course.line_items[0]
    sub = state.find_user(course.learners[1]).sub
    state.grades._results[item].pop(sub)  # the teacher deleted the grade
    sync_course(course.bridge, course.course_id)
    with course.stack.database.begin() as session:
        statuses = set(
            session.scalars(select(EvidenceRow.status).where(EvidenceRow.source_ref.endswith(f"#{sub}")))
        )
    assert EvidenceStatus.REMOVED_AT_SOURCE in statuses


def test_a_student_who_left_keeps_their_evidence_marked_and_gets_no_more_writes(course):
    sync_course(course.bridge, course.course_id)
    state = course.stack.state
    leaver = state.find_user(course.learners[3])
    state.set_enrollment_status(course.sandbox_course, leaver.id, "Deleted")
    theirs_before = [p for p in _our_posts(course) if p.user_sub == leaver.sub]
    course.score(0, 3, 5.0, minutes=7)  # a late grade for them arrives anyway
    sync_course(course.bridge, course.course_id)
    with course.stack.database.begin() as session:
        statuses = set(
            session.scalars(
                select(EvidenceRow.status).where(EvidenceRow.source_ref.endswith(f"#{leaver.sub}"))
            )
        )
    assert EvidenceStatus.STUDENT_LEFT in statuses
    assert [p for p in _our_posts(course) if p.user_sub == leaver.sub] == theirs_before


def test_insufficient_evidence_clears_a_number_written_before(course):
    from store.evidence import exclude_evidence
    from store.recompute import recompute

    sync_course(course.bridge, course.course_id)
    state = course.stack.state
    student = state.find_user(course.learners[0])
    with course.stack.database.begin() as session:
        from store.people import User

        student_id = session.scalars(select(User.id).where(User.sub == student.sub)).one()
        rows = session.scalars(select(EvidenceRow).where(EvidenceRow.student_id == student_id)).all()
        keys = set()
        for row in rows:
            keys |= exclude_evidence(session, row.id, by_user_id=student_id, reason="work was lost")
        recompute(session, keys, course_id=course.course_id)
    outcome = sync_course(course.bridge, course.course_id)
    assert outcome.written == 2  # both standard columns cleared for that student
    for column in _our_columns(course):
        history = state.grades.score_history(column.id, student.sub)
        assert history[0].score_given is not None  # a number was shown first
        assert history[-1].score_given is None and history[-1].grading_progress == "NotReady"
    assert sync_course(course.bridge, course.course_id).written == 0


def test_a_column_whose_maximum_the_teacher_changed_is_set_back_and_reported(course):
    sync_course(course.bridge, course.course_id)
    state = course.stack.state
    column = _our_columns(course)[0]
    state.grades.update_line_item(column.id, score_maximum=10.0)
    outcome = sync_course(course.bridge, course.course_id)
    assert any("maximum of 10" in notice for notice in outcome.notices)
    assert state.grades.line_item(column.id).score_maximum == 4
