"""The three clients against the sandbox served over HTTP: one model out of three APIs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from bridge.lms_api.models import GradeState
from sandbox.gradebook import Submission


def _truth(submission: Submission, flavour: str) -> GradeState | None:
    """The state each LMS shows for a sandbox submission (None: the LMS shows no row).

    Moodle knows neither excused nor missing (such work is just not submitted) and lists
    every submission row; Schoology lists only grades, exceptions and pending work.
    """
    if flavour != "moodle" and submission.excused:
        return GradeState.EXCUSED
    if flavour != "moodle" and submission.missing:
        return GradeState.MISSING
    if submission.score is not None:
        return GradeState.GRADED
    if submission.submitted_at is not None:
        return GradeState.PENDING
    return None if flavour == "schoology" else GradeState.UNSUBMITTED


def test_assignments_carry_points_due_dates_groups_and_rubrics(course):
    flavour = course.state.flavour.name
    listed = course.client().assignments(course.api().lms_course_id)
    natives = course.state.grades.assignments(course.seed.course_id)
    assert sorted(a.id for a in listed) == sorted(a.id for a in natives)  # Canvas lists by group
    by_id = {a.id: a for a in listed}
    for native in natives:
        found = by_id[native.id]
        assert found.title == native.name
        assert found.points_possible == Decimal(str(round(native.points_possible)))
        assert found.due_at == native.due_at and found.due_at.tzinfo is not None
        assert found.group == native.group
    rubric = next(a for a in listed if a.id == course.rubric_assignment().id)
    if flavour == "schoology":
        assert rubric.criteria == ()  # Schoology's API has no per-criterion scores
    else:
        assert [c.description for c in rubric.criteria] == [
            "Reasoning and Proof",
            "Accuracy of Computation",
            "Communicating Mathematics",
        ]
        assert [r.description for r in rubric.criteria[0].ratings] == [
            "Exceeds",
            "Meets",
            "Partially meets",
            "Does not meet",
        ]
        assert rubric.criteria[0].points == Decimal(4)
        assert rubric.rubric_id


def test_grades_of_every_assignment_in_one_go_with_their_states(course):
    flavour = course.state.flavour.name
    client = course.client()
    api = course.api()
    listed = client.assignments(api.lms_course_id)
    grades = client.grades(api.lms_course_id, listed, students=api.learners)
    found = {(g.assignment_id, g.user_id): g for g in grades}
    assert len(found) == len(grades)  # no result twice, whatever the paging
    expected = {}
    for native in course.state.grades.assignments(course.seed.course_id):
        for submission in course.state.grades.submissions(native.id):
            state = _truth(submission, flavour)
            if state is not None:
                expected[(native.id, submission.user_id)] = (state, submission)
    assert {key: g.state for key, g in found.items()} == {key: s for key, (s, _) in expected.items()}
    for key, (state, submission) in expected.items():
        grade = found[key]
        if state is GradeState.GRADED:
            assert grade.score == Decimal(str(submission.score))
        else:
            assert grade.score is None
        if flavour != "schoology":  # Schoology's grades carry no submission date
            assert grade.submitted_at == submission.submitted_at
        assert grade.due_at == course.state.grades.assignment(key[0]).due_at


def test_rubric_scores_come_per_criterion_with_their_rating(course):
    if course.state.flavour.name == "schoology":
        return
    client = course.client()
    api = course.api()
    lab = next(a for a in client.assignments(api.lms_course_id) if a.criteria)
    native = course.state.grades.assignment(lab.id)
    grades = client.grades(api.lms_course_id, [lab])
    graded = [g for g in grades if g.state is GradeState.GRADED]
    assert graded
    for grade in graded:
        submission = course.state.grades.submission(lab.id, grade.user_id)
        assert len(grade.criteria) == 3
        for part in submission.rubric_assessment:
            criterion_id = next(
                c.id for c in lab.criteria if c.description == _criterion(native, part.criterion_id)
            )
            score = grade.criterion(criterion_id)
            assert score.rating == part.rating
            assert score.points == Decimal(str(part.points))


def _criterion(native, criterion_id: str) -> str:
    return next(c.description for c in native.rubric.criteria if c.id == criterion_id)


def test_since_returns_only_what_changed(course):
    client = course.client()
    api = course.api()
    listed = client.assignments(api.lms_course_id)
    first = course.native(0)
    learner = course.seed.student_ids[0]
    everything = [
        s
        for a in course.state.grades.assignments(course.seed.course_id)
        for s in course.state.grades.submissions(a.id)
    ]
    late = max(s.graded_at for s in everything if s.graded_at) + timedelta(days=30)
    course.state.grades.set_submission(
        first.id,
        learner,
        score=1.0,
        submitted_at=first.due_at,
        graded_at=late,
        workflow_state="graded",
        attempt=1,
    )
    recent = client.grades(api.lms_course_id, listed, since=late - timedelta(minutes=1))
    assert [(g.assignment_id, g.user_id, g.score) for g in recent if g.state is GradeState.GRADED] == [
        (first.id, learner, Decimal(1))
    ]
    assert all(g.graded_at is None or g.graded_at >= late - timedelta(minutes=1) for g in recent)
