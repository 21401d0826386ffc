"""The sandbox's Canvas REST API: tokens, permissions, scopes, paging, rubrics, line items."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bridge.paging import next_link
from sandbox.faults import CanvasThrottle
from sandbox.gradebook import Score
from tests.sandbox.lms_served import Served, served_lms


@pytest.fixture
def canvas():
    with served_lms("canvas", students=5, assignments=6) as served:
        yield served


def _get(served: Served, path: str, token: str | None, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return served.http.get(served.url + "/api/v1" + path, params=params, headers=headers)


def _all(served: Served, path: str, token: str, **params) -> list[dict]:
    rows: list[dict] = []
    response = _get(served, path, token, **params)
    while True:
        assert response.status_code == 200, response.text
        rows.extend(response.json())
        following = next_link(response.headers.get("Link"))
        if following is None:
            return rows
        response = served.http.get(following, headers={"Authorization": f"Bearer {token}"})


def test_requests_without_a_valid_token_are_refused_as_canvas_does(canvas):
    course = canvas.seed.course_id
    missing = _get(canvas, f"/courses/{course}/assignments", None)
    assert missing.status_code == 401
    assert missing.json()["errors"][0]["message"] == "user authorization required"
    wrong = _get(canvas, f"/courses/{course}/assignments", "1~nope")
    assert wrong.status_code == 401
    assert wrong.json()["errors"][0]["message"] == "Invalid access token."
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")


def test_only_teachers_of_the_course_and_admins_may_read_it(canvas):
    seed = canvas.seed
    api = canvas.state.lms_api
    student = api.add_personal_token(seed.student_ids[0])
    ta = api.add_personal_token(seed.ta_id)
    admin = api.add_personal_token(seed.admin_id)
    refused = _get(canvas, f"/courses/{seed.course_id}/assignments", student)
    assert refused.status_code == 401
    assert refused.json() == {
        "errors": [{"message": "user not authorized to perform that action"}],
        "status": "unauthorized",
    }
    assert _get(canvas, f"/courses/{seed.course_id}/assignments", ta).status_code == 200
    assert _get(canvas, f"/courses/{seed.second_course_id}/assignments", ta).status_code == 401
    assert _get(canvas, f"/courses/{seed.second_course_id}/assignments", admin).status_code == 200
    assert _get(canvas, "/courses/99999/assignments", admin).status_code == 404


def test_assignment_groups_carry_assignments_with_their_rubrics(canvas):
    token = canvas.state.lms_api.add_personal_token(canvas.seed.teacher_id)
    groups = _all(
        canvas, f"/courses/{canvas.seed.course_id}/assignment_groups", token, **{"include[]": "assignments"}
    )
    names = [group["name"] for group in groups]
    assert names == ["Quizzes", "Homework", "Projects", "Tests"]
    assignments = [a for group in groups for a in group["assignments"]]
    assert len(assignments) == 6
    lab = next(a for a in assignments if a["name"].startswith("Lab"))
    assert lab["use_rubric_for_grading"] is True
    assert [c["description"] for c in lab["rubric"]] == [
        "Reasoning and Proof",
        "Accuracy of Computation",
        "Communicating Mathematics",
    ]
    assert next(r["description"] for r in lab["rubric"][0]["ratings"]) == "Exceeds"
    assert lab["due_at"].endswith("Z")
    assert all(a["assignment_group_id"] in {g["id"] for g in groups} for a in assignments)


def test_submissions_page_by_per_page_and_link_headers_to_the_end(canvas):
    token = canvas.state.lms_api.add_personal_token(canvas.seed.teacher_id)
    path = f"/courses/{canvas.seed.course_id}/students/submissions"
    first = _get(canvas, path, token, **{"student_ids[]": "all"})
    assert len(first.json()) == 10  # Canvas's default page
    capped = _get(canvas, path, token, **{"student_ids[]": "all", "per_page": "500"})
    assert capped.status_code == 200
    assert 'rel="next"' not in capped.headers["Link"]  # 30 rows: one page of at most 100
    rows = _all(canvas, path, token, **{"student_ids[]": "all", "per_page": "7"})
    assert len(rows) == 6 * 5
    assert len({(r["assignment_id"], r["user_id"]) for r in rows}) == 30


def test_submissions_filter_by_assignment_and_graded_since_and_show_rubric_assessments(canvas):
    state, seed = canvas.state, canvas.seed
    token = state.lms_api.add_personal_token(seed.teacher_id)
    path = f"/courses/{seed.course_id}/students/submissions"
    lab = next(a for a in state.grades.assignments(seed.course_id) if a.rubric is not None)
    plain = _all(
        canvas, path, token, **{"student_ids[]": "all", "assignment_ids[]": lab.id, "per_page": "100"}
    )
    assert {r["assignment_id"] for r in plain} == {int(lab.id)}
    assert all("rubric_assessment" not in r for r in plain)
    with_rubric = _all(
        canvas,
        path,
        token,
        **{"student_ids[]": "all", "assignment_ids[]": lab.id, "include[]": "rubric_assessment"},
    )
    graded = [r for r in with_rubric if r["workflow_state"] == "graded" and not r["excused"]]
    assert graded
    for row in graded:
        assert set(row["rubric_assessment"]) == {c.id for c in lab.rubric.criteria}
        part = next(iter(row["rubric_assessment"].values()))
        assert part["rating_id"] is not None and part["points"] >= 0
    latest = max(s.graded_at for s in state.grades.submissions(lab.id) if s.graded_at)
    since = (latest - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = _all(canvas, path, token, **{"student_ids[]": "all", "graded_since": since})
    assert recent and all(r["graded_at"] >= since for r in recent)
    assert (
        _get(canvas, path, token, **{"student_ids[]": "all", "graded_since": "yesterday"}).status_code == 400
    )


def test_excused_missing_and_ungraded_submissions_keep_their_states(canvas):
    state, seed = canvas.state, canvas.seed
    token = state.lms_api.add_personal_token(seed.teacher_id)
    first = state.grades.assignments(seed.course_id)[0]
    state.grades.set_submission(first.id, seed.student_ids[0], excused=True, workflow_state="graded")
    state.grades.set_submission(first.id, seed.student_ids[1], missing=True)
    rows = {
        r["user_id"]: r
        for r in _all(
            canvas,
            f"/courses/{seed.course_id}/students/submissions",
            token,
            **{"student_ids[]": "all", "assignment_ids[]": first.id},
        )
    }
    assert rows[int(seed.student_ids[0])]["excused"] is True
    assert rows[int(seed.student_ids[0])]["score"] is None
    assert rows[int(seed.student_ids[1])]["missing"] is True
    future = state.grades.assignments(seed.course_id)[-1]
    ungraded = _all(
        canvas,
        f"/courses/{seed.course_id}/students/submissions",
        token,
        **{"student_ids[]": "all", "assignment_ids[]": future.id},
    )
    assert {r["workflow_state"] for r in ungraded} == {"unsubmitted"}
    assert all(r["score"] is None for r in ungraded)


def test_a_tools_line_items_are_external_tool_assignments_with_their_results(canvas):
    state, seed = canvas.state, canvas.seed
    token = state.lms_api.add_personal_token(seed.teacher_id)
    item = state.grades.add_line_item(
        course_id=seed.course_id,
        label="Quiz via tool",
        score_maximum=10.0,
        owner_client_id="tool",
        deployment_id="1",
    )
    learner = state.users[seed.student_ids[0]]
    stamp = state.grades.assignments(seed.course_id)[0].due_at
    state.grades.accept_score(
        Score(item.id, learner.sub, stamp, "Completed", "FullyGraded", 4.0, 5.0, None, stamp),
        result_score=4.0,
        result_maximum=5.0,
    )
    listed = _all(canvas, f"/courses/{seed.course_id}/assignments", token)
    tool_assignment = next(a for a in listed if a["name"] == "Quiz via tool")
    assert tool_assignment["submission_types"] == ["external_tool"]
    assert tool_assignment["id"] not in {int(a.id) for a in state.grades.assignments(seed.course_id)}
    rows = _all(
        canvas,
        f"/courses/{seed.course_id}/students/submissions",
        token,
        **{"student_ids[]": "all", "assignment_ids[]": str(tool_assignment["id"])},
    )
    scored = [r for r in rows if r["score"] is not None]
    assert [(r["user_id"], r["score"]) for r in scored] == [(int(learner.id), 8.0)]


def test_a_developer_key_that_enforces_scopes_refuses_tokens_without_the_route(canvas):
    state, seed = canvas.state, canvas.seed
    key = state.lms_api.add_developer_key(
        redirect_uris=["https://tool.example/cb"],
        scopes=["url:GET|/api/v1/courses/:course_id/assignment_groups"],
    )
    token, _ = state.lms_api.issue_access_token(
        client_id=key.client_id,
        user_id=seed.teacher_id,
        scopes=("url:GET|/api/v1/courses/:course_id/assignment_groups",),
        with_refresh=False,
    )
    assert _get(canvas, f"/courses/{seed.course_id}/assignment_groups", token.token).status_code == 200
    refused = _get(
        canvas, f"/courses/{seed.course_id}/students/submissions", token.token, **{"student_ids[]": "all"}
    )
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["message"] == "Insufficient scopes on access token."


def test_the_cost_bucket_covers_the_rest_api(canvas):
    canvas.state.faults.set_throttle(CanvasThrottle(bucket=2, cost=1, leak_per_second=0.001))
    token = canvas.state.lms_api.add_personal_token(canvas.seed.teacher_id)
    path = f"/courses/{canvas.seed.course_id}/assignments"
    first = _get(canvas, path, token)
    assert float(first.headers["X-Rate-Limit-Remaining"]) == pytest.approx(1, abs=0.01)
    _get(canvas, path, token)
    refused = _get(canvas, path, token)
    assert refused.status_code == 403
    assert "Rate Limit Exceeded" in refused.text
