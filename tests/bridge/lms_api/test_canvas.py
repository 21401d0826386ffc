"""Canvas's quirks: few requests, Link paging, scopes and permissions said plainly, throttling."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from bridge.lms_api.canvas import CanvasClient, plan_chunks
from bridge.lms_api.canvas_oauth import StaticToken
from bridge.lms_api.errors import LmsApiRefused
from bridge.lms_api.models import GradeState
from sandbox.faults import CanvasThrottle, FaultRule


def _client(course, token: str) -> CanvasClient:
    api = course.api()
    return CanvasClient(course.bridge.platform_http(api.platform), api.base_url, StaticToken(token))


def test_a_course_costs_one_listing_and_the_fewest_pages_of_submissions(canvas_course):
    state = canvas_course.state
    api = canvas_course.api()
    client = canvas_course.client()
    state.faults.reset_counts()
    listed = client.assignments(api.lms_course_id)
    students = len(canvas_course.seed.student_ids)
    grades = client.grades(api.lms_course_id, listed, students=students)
    assert state.faults.count(kind="canvas_api.groups") == 1
    submissions = len(listed) * students
    assert len(grades) == submissions
    assert state.faults.count(kind="canvas_api.submissions") == math.ceil(submissions / 100)


@pytest.mark.parametrize(
    ("assignments", "students", "chunks", "pages"),
    [(40, 30, 4, 12), (12, 26, 4, 4), (1, 500, 1, 5), (120, 5, 6, 6)],
)
def test_chunks_are_fetched_at_once_without_an_extra_page(assignments, students, chunks, pages):
    planned = plan_chunks([str(i) for i in range(assignments)], students, workers=8)
    assert len(planned) == chunks
    assert sum(len(chunk) for chunk in planned) == assignments
    assert sum(math.ceil(len(chunk) * students / 100) for chunk in planned) == pages


def test_a_missing_mark_with_a_policy_zero_is_missing_and_excused_is_never_a_score(canvas_course):
    state, seed = canvas_course.state, canvas_course.seed
    first = canvas_course.native(0)
    state.grades.set_submission(
        first.id, seed.student_ids[0], missing=True, score=0.0, workflow_state="graded"
    )
    state.grades.set_submission(first.id, seed.student_ids[1], excused=True, workflow_state="graded")
    api = canvas_course.api()
    client = canvas_course.client()
    listed = [a for a in client.assignments(api.lms_course_id) if a.id == first.id]
    found = {g.user_id: g for g in client.grades(api.lms_course_id, listed)}
    assert found[seed.student_ids[0]].state is GradeState.MISSING
    assert found[seed.student_ids[1]].state is GradeState.EXCUSED
    assert found[seed.student_ids[1]].score is None


def test_the_tools_own_line_items_are_listed_as_external_tool_assignments(canvas_course):
    state, seed = canvas_course.state, canvas_course.seed
    state.grades.add_line_item(
        course_id=seed.course_id,
        label="Standing: MATH.1",
        score_maximum=4.0,
        owner_client_id=canvas_course.stack.connection.client_id,
        deployment_id="1",
    )
    listed = canvas_course.client().assignments(canvas_course.api().lms_course_id)
    tool = [a for a in listed if a.external_tool]
    assert [(a.title, a.points_possible) for a in tool] == [("Standing: MATH.1", Decimal("4.0"))]


def test_refusals_say_which_scope_or_permission_is_missing(canvas_course):
    state, seed = canvas_course.state, canvas_course.seed
    api = canvas_course.api()
    student = _client(canvas_course, state.lms_api.add_personal_token(seed.student_ids[0]))
    with pytest.raises(LmsApiRefused) as refused:
        student.assignments(api.lms_course_id)
    assert "may not read this course's grades" in str(refused.value)
    assert refused.value.missing == "permission to view all grades in the course"

    key = state.lms_api.add_developer_key(
        redirect_uris=["https://x.example/"], scopes=["url:GET|/api/v1/courses/:course_id/assignment_groups"]
    )
    token, _ = state.lms_api.issue_access_token(
        client_id=key.client_id,
        user_id=seed.teacher_id,
        scopes=("url:GET|/api/v1/courses/:course_id/assignment_groups",),
        with_refresh=False,
    )
    scoped = _client(canvas_course, token.token)
    listed = scoped.assignments(api.lms_course_id)
    with pytest.raises(LmsApiRefused) as refused:
        scoped.grades(api.lms_course_id, listed[:1])
    assert refused.value.missing == "scope url:GET|/api/v1/courses/:course_id/students/submissions"

    with pytest.raises(LmsApiRefused) as refused:
        _client(canvas_course, "1~not-a-token").whoami()
    assert refused.value.missing == "a valid token"


def test_throttling_and_a_failing_page_are_waited_out_and_retried(canvas_course):
    state = canvas_course.state
    api = canvas_course.api()
    client = canvas_course.client()
    listed = client.assignments(api.lms_course_id)
    expected = len(listed) * len(canvas_course.seed.student_ids)
    state.faults.set_throttle(CanvasThrottle(bucket=3, cost=1, leak_per_second=200))
    state.faults.add(FaultRule(path="students/submissions", status=503, next_n=2))
    grades = client.grades(api.lms_course_id, listed)  # one chain: pages come one after another
    assert len(grades) == expected
    assert canvas_course.bridge.platform_http(api.platform).stats.retries >= 2
