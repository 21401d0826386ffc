"""The sandbox's Schoology REST API: two-legged OAuth 1.0a, permissions, paging, grade exceptions."""

from __future__ import annotations

import httpx
import pytest
from authlib.oauth1 import SIGNATURE_TYPE_HEADER, ClientAuth

from tests.sandbox.lms_served import Served, served_lms


@pytest.fixture
def schoology():
    with served_lms("schoology", students=5, assignments=6) as served:
        yield served


def _signed(served: Served, key, path: str, method: str = "HMAC-SHA1", **params) -> httpx.Response:
    url = str(httpx.URL(served.url + "/v1" + path, params=params))
    auth = ClientAuth(
        key.consumer_key,
        client_secret=key.secret,
        signature_method=method,
        signature_type=SIGNATURE_TYPE_HEADER,
    )
    _, headers, _ = auth.sign("GET", url, {}, b"")
    return served.http.get(url, headers={"Authorization": headers["Authorization"]})


def test_unsigned_and_badly_signed_requests_are_refused(schoology):
    section = schoology.seed.course_id
    assert schoology.http.get(schoology.url + f"/v1/sections/{section}/assignments").status_code == 401
    key = schoology.state.lms_api.add_schoology_key(schoology.seed.teacher_id)
    forged = type(key)(key.consumer_key, "wrong-secret", key.user_id)
    refused = _signed(schoology, forged, f"/sections/{section}/assignments")
    assert refused.status_code == 401
    assert refused.json()["message"].startswith("signature mismatch")
    assert _signed(schoology, key, f"/sections/{section}/assignments", method="PLAINTEXT").status_code == 401
    assert _signed(schoology, key, f"/sections/{section}/assignments").status_code == 200


def test_a_replayed_request_is_refused(schoology):
    key = schoology.state.lms_api.add_schoology_key(schoology.seed.teacher_id)
    url = schoology.url + "/v1/users/me"
    auth = ClientAuth(key.consumer_key, client_secret=key.secret, signature_type=SIGNATURE_TYPE_HEADER)
    _, headers, _ = auth.sign("GET", url, {}, b"")
    assert schoology.http.get(url, headers=headers).status_code == 200
    assert schoology.http.get(url, headers=headers).status_code == 401


def test_the_keys_user_must_teach_the_section(schoology):
    seed = schoology.seed
    student = schoology.state.lms_api.add_schoology_key(seed.student_ids[0])
    assert _signed(schoology, student, f"/sections/{seed.course_id}/grades").status_code == 403
    assert _signed(schoology, student, "/sections/1/grades").status_code == 404


def test_assignments_come_with_string_numbers_and_categories(schoology):
    seed = schoology.seed
    key = schoology.state.lms_api.add_schoology_key(seed.teacher_id)
    listed = _signed(schoology, key, f"/sections/{seed.course_id}/assignments", limit="200").json()
    assert listed["total"] == 6 and "next" not in listed["links"]
    first = listed["assignment"][0]
    assert isinstance(first["max_points"], str) and float(first["max_points"]) > 0
    assert len(first["due"]) == len("2025-09-12 15:00:00")
    categories = _signed(schoology, key, f"/sections/{seed.course_id}/grading_categories").json()[
        "grading_category"
    ]
    assert {str(c["id"]) for c in categories} >= {a["grading_category"] for a in listed["assignment"]}


def test_grades_page_by_start_and_limit_and_mark_exceptions(schoology):
    state, seed = schoology.state, schoology.seed
    first = state.grades.assignments(seed.course_id)[0]
    state.grades.set_submission(first.id, seed.student_ids[0], excused=True, workflow_state="graded")
    state.grades.set_submission(first.id, seed.student_ids[1], missing=True)
    key = state.lms_api.add_schoology_key(seed.teacher_id)
    page = _signed(schoology, key, f"/sections/{seed.course_id}/grades", limit="7").json()
    assert len(page["grades"]["grade"]) == 7 and "next" in page["links"]
    rows = []
    start = 0
    while True:
        answer = _signed(
            schoology, key, f"/sections/{seed.course_id}/grades", limit="7", start=str(start)
        ).json()
        rows.extend(answer["grades"]["grade"])
        if "next" not in answer["links"]:
            break
        start += 7
    assert len(rows) == page["total"]
    enrollments = _signed(schoology, key, f"/sections/{seed.course_id}/enrollments").json()["enrollment"]
    by_user = {e["uid"]: e["id"] for e in enrollments}
    mine = {(r["assignment_id"], r["enrollment_id"]): r for r in rows}
    excused = mine[(int(first.id), by_user[seed.student_ids[0]])]
    assert (excused["exception"], excused["grade"]) == (1, None)
    missing = mine[(int(first.id), by_user[seed.student_ids[1]])]
    assert (missing["exception"], missing["grade"]) == (3, None)
    newest = max(r["timestamp"] for r in rows)
    recent = _signed(schoology, key, f"/sections/{seed.course_id}/grades", timestamp=str(newest)).json()
    assert {r["timestamp"] for r in recent["grades"]["grade"]} == {newest}
