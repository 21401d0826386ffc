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
