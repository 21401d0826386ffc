"""Schoology's quirks: signed requests, enrollment-keyed grades, paging past 200, refusals."""

from __future__ import annotations

import pytest

from bridge.lms_api.errors import LmsApiRefused
from bridge.lms_api.schoology import SchoologyClient


def _client(course, key: str, secret: str) -> SchoologyClient:
    api = course.api()
    return SchoologyClient(course.bridge.platform_http(api.platform), api.base_url, key, secret)


def test_grades_page_past_two_hundred_and_map_enrollments_to_users(schoology_course):
    state, seed = schoology_course.state, schoology_course.seed
    api = schoology_course.api()
    client = schoology_course.client()
    state.faults.reset_counts()
    listed = client.assignments(api.lms_course_id)
    grades = client.grades(api.lms_course_id, listed)
    rows = [
        s
        for a in state.grades.assignments(seed.course_id)
        for s in state.grades.submissions(a.id)
        if s.excused or s.missing or s.score is not None or s.submitted_at is not None
    ]
    assert len(rows) > 200
    assert sorted((g.assignment_id, g.user_id) for g in grades) == sorted(
        (s.assignment_id, s.user_id) for s in rows
    )
    assert state.faults.count(kind="schoology_api.grades") == 2  # 200 a page
    assert all(g.submitted_at is None and g.assessed_at == g.due_at for g in grades)


def test_a_wrong_secret_and_a_student_key_are_refused_plainly(schoology_course):
    state, seed = schoology_course.state, schoology_course.seed
    good = state.lms_api.add_schoology_key(seed.admin_id)
    with pytest.raises(LmsApiRefused) as refused:
        _client(schoology_course, good.consumer_key, "wrong").whoami()
    assert refused.value.missing == "a valid consumer key and secret"
    student = state.lms_api.add_schoology_key(seed.student_ids[0])
    with pytest.raises(LmsApiRefused) as refused:
        _client(schoology_course, student.consumer_key, student.secret).assignments(seed.course_id)
    assert refused.value.missing == "permission to view the section's grades"
