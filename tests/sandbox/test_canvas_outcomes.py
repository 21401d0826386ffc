"""The sandbox's Canvas outcome, rubric and rubric-assessment routes refuse as Canvas does."""

from __future__ import annotations

import pytest

from sandbox.native_outcomes import native_outcomes
from tests.sandbox.lms_served import Served, served_lms

RATINGS = [
    {"description": label, "points": p}
    for p, label in ((4, "Exceeds"), (3, "Meets"), (2, "Partly"), (1, "No"))
]


@pytest.fixture
def canvas():
    with served_lms("canvas", students=3, assignments=2) as served:
        yield served


def _send(served: Served, method: str, path: str, token: str, body=None):
    return served.http.request(
        method, served.url + "/api/v1" + path, json=body, headers={"Authorization": f"Bearer {token}"}
    )


def _message(response) -> str:
    return response.json()["errors"][0]["message"]


def _admin(served: Served) -> str:
    return served.state.lms_api.add_personal_token(served.seed.admin_id)


def _root(served: Served, token: str, context: str) -> str:
    answer = _send(served, "GET", f"/{context}/root_outcome_group", token)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def _outcome(served: Served, token: str) -> str:
    course = f"courses/{served.seed.course_id}"
    made = _send(
        served,
        "POST",
        f"/{course}/outcome_groups/{_root(served, token, course)}/outcomes",
        token,
        {"title": "Fractions", "ratings": RATINGS, "mastery_points": 3},
    )
    assert made.status_code == 200, made.text
    return str(made.json()["outcome"]["id"])


def _rubric(served: Served, token: str, outcome_id: str) -> str:
    course = served.seed.course_id
    made = _send(
        served,
        "POST",
        f"/courses/{course}/rubrics",
        token,
        {
            "rubric": {"title": "R", "criteria": {"0": {"learning_outcome_id": int(outcome_id)}}},
            "rubric_association": {
                "association_id": int(served.seed.assignment_ids[0]),
                "association_type": "Assignment",
                "purpose": "grading",
            },
        },
    )
    assert made.status_code == 200, made.text
    return str(made.json()["rubric"]["data"][0]["id"])


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({}, "title is required"),
        ({"title": "X", "ratings": [{"description": "no points"}]}, "ratings[0] needs points"),
        ({"title": "X", "mastery_points": "lots"}, "mastery_points must be a number"),
        ({"title": "X", "calculation_method": "median"}, "calculation_method 'median' is not one of"),
        ({"outcome_id": 99999}, "The specified resource does not exist."),
    ],
)
def test_outcomes_with_missing_or_wrong_fields_are_refused(canvas, body, said):
    token = _admin(canvas)
    course = f"courses/{canvas.seed.course_id}"
    answer = _send(
        canvas, "POST", f"/{course}/outcome_groups/{_root(canvas, token, course)}/outcomes", token, body
    )
    assert answer.status_code in (400, 404) and said in _message(answer)
    assert not native_outcomes(canvas.state).outcomes


def test_groups_need_a_title_and_a_known_group(canvas):
    token = _admin(canvas)
    course = f"courses/{canvas.seed.course_id}"
    root = _root(canvas, token, course)
    untitled = _send(
        canvas, "POST", f"/{course}/outcome_groups/{root}/subgroups", token, {"vendor_guid": "x"}
    )
    assert untitled.status_code == 400 and _message(untitled) == "title is required"
    unknown = _send(canvas, "POST", f"/{course}/outcome_groups/99999/subgroups", token, {"title": "T"})
    assert unknown.status_code == 404
    other_course = f"courses/{canvas.seed.second_course_id}"
    elsewhere = _send(canvas, "GET", f"/{other_course}/outcome_groups/{root}/subgroups", token)
    assert elsewhere.status_code == 404  # a group of another course is not found here
    not_json = canvas.http.post(
        f"{canvas.url}/api/v1/{course}/outcome_groups/{root}/subgroups",
        content="title=T",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert not_json.status_code == 400 and "JSON object" in _message(not_json)


def test_students_and_non_admins_are_refused(canvas):
    seed = canvas.seed
    student = canvas.state.lms_api.add_personal_token(seed.student_ids[0])
    teacher = canvas.state.lms_api.add_personal_token(seed.teacher_id)
    course = f"/courses/{seed.course_id}"
    refused = _send(canvas, "GET", f"{course}/root_outcome_group", student)
    assert refused.status_code == 401 and "not authorized" in _message(refused)
    assert _send(canvas, "GET", f"{course}/root_outcome_group", teacher).status_code == 200
    account = _send(canvas, "GET", "/accounts/1/root_outcome_group", teacher)
    assert account.status_code == 401 and "not authorized" in _message(account)
    assert _send(canvas, "GET", "/accounts/7/root_outcome_group", _admin(canvas)).status_code == 404
    results = _send(canvas, "GET", f"{course}/outcome_results", student)
    assert results.status_code == 401


def test_a_developer_key_token_needs_each_route_s_scope(canvas):
    api = canvas.state.lms_api
    granted = ("url:GET|/api/v1/courses/:course_id/root_outcome_group",)
    key = api.add_developer_key(redirect_uris=["https://tool.example/cb"], scopes=granted)
    token, _ = api.issue_access_token(
        client_id=key.client_id, user_id=canvas.seed.teacher_id, scopes=granted, with_refresh=False
    )
    course = f"/courses/{canvas.seed.course_id}"
    assert _send(canvas, "GET", f"{course}/root_outcome_group", token.token).status_code == 200
    for method, path in (("GET", "/rubrics"), ("GET", "/outcome_results"), ("POST", "/rubrics")):
        refused = _send(canvas, method, course + path, token.token, {} if method == "POST" else None)
        assert refused.status_code == 401 and _message(refused) == "Insufficient scopes on access token."


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"rubric": None}, "rubric is required"),
        ({"rubric": {"criteria": {"0": {"description": "c"}}}}, "rubric[title] is required"),
        ({"rubric": {"title": "R", "criteria": {}}}, "needs at least one criterion"),
        ({"rubric_association": None}, "rubric_association is required"),
        ({"rubric_association": {"association_type": "Course"}}, "must be Assignment here"),
        (
            {"rubric_association": {"association_id": 99999, "association_type": "Assignment"}},
            "is not in course",
        ),
        (
            {"rubric": {"title": "R", "criteria": {"0": {"learning_outcome_id": 99999}}}},
            "is not an outcome of this course",
        ),
    ],
)
def test_rubrics_with_missing_or_wrong_fields_are_refused(canvas, change, said):
    token = _admin(canvas)
    body = {
        "rubric": {"title": "R", "criteria": {"0": {"description": "c", "points": 4}}},
        "rubric_association": {
            "association_id": int(canvas.seed.assignment_ids[0]),
            "association_type": "Assignment",
        },
    }
    body = {k: v for k, v in (body | change).items() if v is not None}
    answer = _send(canvas, "POST", f"/courses/{canvas.seed.course_id}/rubrics", token, body)
    assert answer.status_code in (400, 404) and said in _message(answer), answer.text
    assert not native_outcomes(canvas.state).rubrics


def test_rubric_assessments_need_a_rubric_a_criterion_points_and_a_student(canvas):
    token = _admin(canvas)
    seed = canvas.seed
    course = f"/courses/{seed.course_id}"
    student = seed.student_ids[0]
    unrubricked = f"{course}/assignments/{seed.assignment_ids[1]}/submissions/{student}"
    bare = _send(canvas, "PUT", unrubricked, token, {"rubric_assessment": {"_1": {"points": 3}}})
    assert bare.status_code == 400 and "has no rubric to assess" in _message(bare)
    criterion = _rubric(canvas, token, _outcome(canvas, token))
    submission = f"{course}/assignments/{seed.assignment_ids[0]}/submissions"
    cases = [
        (f"{submission}/{student}", {}, 400, "rubric_assessment is required"),
        (
            f"{submission}/{student}",
            {"rubric_assessment": {"_nope": {"points": 3}}},
            400,
            "is not a criterion",
        ),
        (f"{submission}/{student}", {"rubric_assessment": {criterion: {}}}, 400, "[points] is required"),
        (
            f"{submission}/{seed.teacher_id}",
            {"rubric_assessment": {criterion: {"points": 3}}},
            404,
            "does not exist",
        ),
        (
            f"{course}/assignments/99999/submissions/{student}",
            {"rubric_assessment": {}},
            404,
            "does not exist",
        ),
    ]
    for path, body, status, said in cases:
        answer = _send(canvas, "PUT", path, token, body)
        assert answer.status_code == status and said in _message(answer), (path, body, answer.text)
    assert not native_outcomes(canvas.state).results
    done = _send(
        canvas, "PUT", f"{submission}/{student}", token, {"rubric_assessment": {criterion: {"points": 3}}}
    )
    assert done.status_code == 200, done.text
    assert [r.score for r in native_outcomes(canvas.state).results.values()] == [3.0]
