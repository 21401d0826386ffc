"""Moodle's quirks: errors in 200 answers said plainly, rubric fillings, categories, few calls."""

from __future__ import annotations

import pytest

from bridge.lms_api.errors import LmsApiRefused
from bridge.lms_api.models import LmsAssignment
from bridge.lms_api.moodle import MoodleClient
from sandbox.lms_api_access import MOODLE_FUNCTIONS


def _client(course, token: str) -> MoodleClient:
    api = course.api()
    return MoodleClient(course.bridge.platform_http(api.platform), api.base_url, token)


def test_a_course_costs_a_handful_of_calls_whatever_its_size(moodle_course):
    state = moodle_course.state
    api = moodle_course.api()
    client = moodle_course.client()
    state.faults.reset_counts()
    listed = client.assignments(api.lms_course_id)
    client.grades(api.lms_course_id, listed)
    rubrics = sum(1 for a in listed if a.criteria)
    # assignments + categories + definitions, then grades + submissions + one filling read per rubric
    assert state.faults.count(kind="moodle_ws.server") == 3 + 2 + rubrics


def test_late_is_submitted_after_the_due_date(moodle_course):
    state = moodle_course.state
    api = moodle_course.api()
    client = moodle_course.client()
    listed = client.assignments(api.lms_course_id)
    for grade in client.grades(api.lms_course_id, listed):
        submission = state.grades.submission(grade.assignment_id, grade.user_id)
        assert grade.late == bool(submission.submitted_at and submission.submitted_at > grade.due_at)


def test_without_the_categories_function_assignments_still_list(moodle_course):
    state, seed = moodle_course.state, moodle_course.seed
    without = [f for f in MOODLE_FUNCTIONS if f != "core_grades_get_gradeitems"]
    client = _client(moodle_course, state.lms_api.add_moodle_token(seed.admin_id, functions=without))
    listed = client.assignments(moodle_course.api().lms_course_id)
    assert listed and {a.group for a in listed} == {""}


@pytest.mark.parametrize(
    ("who", "functions", "missing", "words"),
    [
        (
            "admin",
            ["mod_assign_get_assignments", "core_grading_get_definitions"],
            "function mod_assign_get_grades",
            "External services",
        ),
        ("student", None, "permission: mod/assign:grade", "lacks a capability"),
    ],
)
def test_refusals_name_the_function_or_capability(moodle_course, who, functions, missing, words):
    state, seed = moodle_course.state, moodle_course.seed
    user = seed.admin_id if who == "admin" else seed.student_ids[0]
    token = state.lms_api.add_moodle_token(user, **({"functions": functions} if functions else {}))
    client = _client(moodle_course, token)
    first = moodle_course.native(0)
    with pytest.raises(LmsApiRefused) as refused:
        client.grades(moodle_course.api().lms_course_id, [LmsAssignment(first.id, first.name, None, None)])
    assert refused.value.missing == missing
    assert words in str(refused.value)


def test_an_unknown_token_and_a_course_out_of_reach(moodle_course):
    seed = moodle_course.seed
    with pytest.raises(LmsApiRefused) as refused:
        _client(moodle_course, "0" * 32).site_info()
    assert refused.value.missing == "a valid token"
    student = _client(moodle_course, moodle_course.state.lms_api.add_moodle_token(seed.student_ids[0]))
    with pytest.raises(LmsApiRefused) as refused:
        student.assignments(seed.course_id)
    assert refused.value.missing == f"access to course {seed.course_id}"
