"""The sandbox's Moodle web services: tokens, services, capabilities, grades, rubrics."""

from __future__ import annotations

import pytest

from sandbox.lms_api_access import MOODLE_FUNCTIONS
from sandbox.moodle_ws import CMID_OFFSET
from tests.sandbox.lms_served import Served, served_lms


@pytest.fixture
def moodle():
    with served_lms("moodle", students=4, assignments=6) as served:
        yield served


def _call(served: Served, token: str, function: str, **params):
    data = {"wstoken": token, "wsfunction": function, "moodlewsrestformat": "json"} | params
    response = served.http.post(served.url + "/webservice/rest/server.php", data=data)
    assert response.status_code == 200  # Moodle answers errors with 200 too
    return response.json()


def test_errors_come_as_200_with_exception_errorcode_message(moodle):
    token = moodle.state.lms_api.add_moodle_token(
        moodle.seed.teacher_id, functions=["core_webservice_get_site_info"]
    )
    assert _call(moodle, "nope", "core_webservice_get_site_info")["errorcode"] == "invalidtoken"
    refused = _call(moodle, token, "mod_assign_get_grades", **{"assignmentids[0]": "20"})
    assert refused["exception"] == "webservice_access_exception"
    assert refused["errorcode"] == "accessexception"
    assert "mod_assign_get_grades() is not allowed" in refused["debuginfo"]
    assert _call(moodle, token, "no_such_function")["errorcode"] == "invalidrecord"
    info = _call(moodle, token, "core_webservice_get_site_info")
    assert [f["name"] for f in info["functions"]] == ["core_webservice_get_site_info"]
    assert info["userid"] == int(moodle.seed.teacher_id)


def test_assignments_list_per_course_and_warn_about_courses_the_user_cannot_see(moodle):
    seed = moodle.seed
    token = moodle.state.lms_api.add_moodle_token(seed.ta_id)
    answer = _call(
        moodle,
        token,
        "mod_assign_get_assignments",
        **{"courseids[0]": seed.course_id, "courseids[1]": seed.second_course_id},
    )
    assert [c["id"] for c in answer["courses"]] == [int(seed.course_id)]
    assert answer["warnings"][0]["itemid"] == int(seed.second_course_id)
    first = answer["courses"][0]["assignments"][0]
    assert first["cmid"] == first["id"] + CMID_OFFSET
    assert isinstance(first["duedate"], int) and first["duedate"] > 0


def test_grades_are_strings_skip_ungraded_and_excused_and_honour_since(moodle):
    state, seed = moodle.state, moodle.seed
    token = state.lms_api.add_moodle_token(seed.teacher_id)
    first = state.grades.assignments(seed.course_id)[0]
    state.grades.set_submission(first.id, seed.student_ids[0], excused=True, workflow_state="graded")
    answer = _call(moodle, token, "mod_assign_get_grades", **{"assignmentids[0]": first.id})
    grades = answer["assignments"][0]["grades"]
    assert int(seed.student_ids[0]) not in {g["userid"] for g in grades}
    assert all(g["grade"].count(".") == 1 and len(g["grade"].split(".")[1]) == 5 for g in grades)
    newest = max(g["timemodified"] for g in grades)
    since = _call(
        moodle, token, "mod_assign_get_grades", **{"assignmentids[0]": first.id, "since": str(newest)}
    )
    assert {g["timemodified"] for g in since["assignments"][0]["grades"]} == {newest}
    future = state.grades.assignments(seed.course_id)[-1]
    none = _call(moodle, token, "mod_assign_get_grades", **{"assignmentids[0]": future.id})
    assert none["assignments"] == [] and none["warnings"][0]["warningcode"] == "3"
    bad = _call(moodle, token, "mod_assign_get_grades", **{"assignmentids[0]": "abc"})
    assert bad["errorcode"] == "invalidparameter"


def test_a_student_token_lacks_the_grading_capability(moodle):
    token = moodle.state.lms_api.add_moodle_token(moodle.seed.student_ids[0])
    first = moodle.state.grades.assignments(moodle.seed.course_id)[0]
    refused = _call(moodle, token, "mod_assign_get_grades", **{"assignmentids[0]": first.id})
    assert refused["exception"] == "required_capability_exception"
    assert refused["errorcode"] == "nopermissions"


def test_submissions_say_submitted_or_new(moodle):
    state, seed = moodle.state, moodle.seed
    token = state.lms_api.add_moodle_token(seed.teacher_id)
    ungraded = state.grades.assignments(seed.course_id)[-2]  # handed in, not graded yet
    answer = _call(moodle, token, "mod_assign_get_submissions", **{"assignmentids[0]": ungraded.id})
    rows = answer["assignments"][0]["submissions"]
    submitted = [r for r in rows if r["status"] == "submitted"]
    assert submitted and all(r["gradingstatus"] == "notgraded" for r in submitted)


def test_rubric_definitions_and_fillings(moodle):
    state, seed = moodle.state, moodle.seed
    token = state.lms_api.add_moodle_token(seed.teacher_id)
    lab = next(a for a in state.grades.assignments(seed.course_id) if a.rubric is not None)
    plain = state.grades.assignments(seed.course_id)[0]
    areas = _call(
        moodle,
        token,
        "core_grading_get_definitions",
        **{
            "cmids[0]": str(int(lab.id) + CMID_OFFSET),
            "cmids[1]": str(int(plain.id) + CMID_OFFSET),
            "areaname": "submissions",
            "activeonly": "1",
        },
    )["areas"]
    by_cm = {area["cmid"]: area for area in areas}
    assert by_cm[int(plain.id) + CMID_OFFSET]["definitions"] == []
    definition = by_cm[int(lab.id) + CMID_OFFSET]["definitions"][0]
    criteria = definition["rubric"]["rubric_criteria"]
    assert next(c["description"] for c in criteria) == "Reasoning and Proof"
    level_ids = {level["id"] for c in criteria for level in c["levels"]}
    instances = _call(
        moodle, token, "core_grading_get_gradingform_instances", definitionid=str(definition["id"]), since="0"
    )["instances"]
    grades = _call(moodle, token, "mod_assign_get_grades", **{"assignmentids[0]": lab.id})["assignments"][0][
        "grades"
    ]
    assert {i["itemid"] for i in instances} == {g["id"] for g in grades}
    for instance in instances:
        assert {c["criterionid"] for c in instance["rubric"]["criteria"]} == {c["id"] for c in criteria}
        assert {c["levelid"] for c in instance["rubric"]["criteria"]} <= level_ids


def test_only_json_is_answered_and_every_listed_function_exists(moodle):
    token = moodle.state.lms_api.add_moodle_token(moodle.seed.teacher_id)
    answer = moodle.http.get(
        moodle.url + "/webservice/rest/server.php",
        params={"wstoken": token, "wsfunction": "core_webservice_get_site_info", "moodlewsrestformat": "xml"},
    )
    assert answer.json()["errorcode"] == "invalidparameter"
    info = _call(moodle, token, "core_webservice_get_site_info")
    assert sorted(f["name"] for f in info["functions"]) == sorted(MOODLE_FUNCTIONS)
