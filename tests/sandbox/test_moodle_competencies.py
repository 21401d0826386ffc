"""The sandbox's Moodle competency web services refuse as Moodle does: 200 with an exception."""

from __future__ import annotations

import json

import pytest

from sandbox.lms_api_access import MOODLE_FUNCTIONS
from sandbox.moodle_competencies import WITH_COMPETENCIES
from sandbox.native_outcomes import native_outcomes
from tests.sandbox.lms_served import Served, served_lms

LEVELS = ("Does not meet", "Partially meets", "Meets", "Exceeds")


@pytest.fixture
def moodle():
    with served_lms("moodle", students=3, assignments=2) as served:
        yield served


def _call(served: Served, token: str, function: str, **params):
    data = {"wstoken": token, "wsfunction": function, "moodlewsrestformat": "json"} | params
    response = served.http.post(served.url + "/webservice/rest/server.php", data=data)
    assert response.status_code == 200  # Moodle answers errors with 200 too
    return response.json()


def _framework_fields(scale_id: str, **changes: str) -> dict[str, str]:
    configuration = [{"scaleid": scale_id}] + [
        {"id": i, "scaledefault": int(i == 1), "proficient": int(i >= 3)} for i in range(1, 5)
    ]
    fields = {
        "competencyframework[shortname]": "Maths",
        "competencyframework[idnumber]": "MATH",
        "competencyframework[scaleid]": scale_id,
        "competencyframework[scaleconfiguration]": json.dumps(configuration),
        "competencyframework[contextid]": "1",
    }
    return {k: v for k, v in (fields | changes).items() if v is not None}


def _admin(served: Served, functions=WITH_COMPETENCIES) -> str:
    return served.state.lms_api.add_moodle_token(served.seed.admin_id, functions=functions)


def _competency_in_course(served: Served, token: str) -> str:
    scale_id = native_outcomes(served.state).add_scale("Proficiency", LEVELS)
    framework = _call(
        served, token, "core_competency_create_competency_framework", **_framework_fields(scale_id)
    )
    competency = _call(
        served,
        token,
        "core_competency_create_competency",
        **{
            "competency[shortname]": "Fractions",
            "competency[idnumber]": "MATH.1",
            "competency[competencyframeworkid]": str(framework["id"]),
        },
    )
    linked = _call(
        served,
        token,
        "core_competency_add_competency_to_course",
        courseid=served.seed.course_id,
        competencyid=str(competency["id"]),
    )
    assert linked is True
    return str(competency["id"])


def test_a_service_without_the_competency_functions_is_refused(moodle):
    token = _admin(moodle, functions=MOODLE_FUNCTIONS)
    refused = _call(moodle, token, "core_competency_list_course_competencies", id=moodle.seed.course_id)
    assert refused["errorcode"] == "accessexception"
    assert "core_competency_list_course_competencies() is not allowed" in refused["debuginfo"]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"competencyframework[idnumber]": None}, "Missing required key in single structure"),
        ({"competencyframework[scaleid]": "abc"}, 'expecting "int" type'),
        ({"competencyframework[scaleid]": "999"}, "999 is not a scale of this site"),
        ({"competencyframework[scaleconfiguration]": "not json"}, "scaleconfiguration is not JSON"),
    ],
)
def test_a_framework_with_missing_or_wrong_fields_is_refused(moodle, change, said):
    token = _admin(moodle)
    scale_id = native_outcomes(moodle.state).add_scale("Proficiency", LEVELS)
    refused = _call(
        moodle, token, "core_competency_create_competency_framework", **_framework_fields(scale_id, **change)
    )
    assert refused["errorcode"] == "invalidparameter"
    assert said in refused["debuginfo"]
    assert not native_outcomes(moodle.state).frameworks


def test_a_framework_idnumber_is_used_once_and_only_managers_make_frameworks(moodle):
    token = _admin(moodle)
    scale_id = native_outcomes(moodle.state).add_scale("Proficiency", LEVELS)
    assert "id" in _call(
        moodle, token, "core_competency_create_competency_framework", **_framework_fields(scale_id)
    )
    again = _call(moodle, token, "core_competency_create_competency_framework", **_framework_fields(scale_id))
    assert again["errorcode"] == "invalidpersistent" and "ID number already in use" in again["message"]
    teacher = moodle.state.lms_api.add_moodle_token(moodle.seed.teacher_id, functions=WITH_COMPETENCIES)
    fields = _framework_fields(scale_id, **{"competencyframework[idnumber]": "OTHER"})
    refused = _call(moodle, teacher, "core_competency_create_competency_framework", **fields)
    assert refused["errorcode"] == "nopermissions"
    assert refused["debuginfo"] == "moodle/competency:competencymanage"
    assert len(native_outcomes(moodle.state).frameworks) == 1


def test_unknown_scale_and_competency_ids_are_missing_records(moodle):
    token = _admin(moodle)
    assert (
        _call(moodle, token, "core_competency_get_scale_values", scaleid="999")["errorcode"]
        == "invalidrecord"
    )
    graded = _call(
        moodle,
        token,
        "core_competency_grade_competency_in_course",
        courseid=moodle.seed.course_id,
        userid=moodle.seed.student_ids[0],
        competencyid="99999",
        grade="1",
    )
    assert graded["errorcode"] == "invalidrecord"


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"grade": "9"}, "The grade value is not in the scale"),
        ({"grade": "one"}, 'expecting "int" type'),
        ({"userid": None}, "Missing required key"),
        ({"courseid": "424242"}, "table course"),
    ],
)
def test_ratings_outside_the_scale_course_or_fields_are_refused(moodle, change, said):
    token = _admin(moodle)
    competency_id = _competency_in_course(moodle, token)
    fields = {
        "courseid": moodle.seed.course_id,
        "userid": moodle.seed.student_ids[0],
        "competencyid": competency_id,
        "grade": "3",
    }
    fields = {k: v for k, v in (fields | change).items() if v is not None}
    refused = _call(moodle, token, "core_competency_grade_competency_in_course", **fields)
    assert "exception" in refused and said in f"{refused['message']} {refused.get('debuginfo', '')}"
    assert not native_outcomes(moodle.state).user_competencies


def test_a_teacher_rates_only_enrolled_students(moodle):
    token = _admin(moodle)
    competency_id = _competency_in_course(moodle, token)
    teacher = moodle.state.lms_api.add_moodle_token(moodle.seed.teacher_id, functions=WITH_COMPETENCIES)
    fields = {"courseid": moodle.seed.course_id, "competencyid": competency_id, "grade": "3"}
    outsider = _call(
        moodle, teacher, "core_competency_grade_competency_in_course", userid=moodle.seed.teacher_id, **fields
    )
    assert "The user is not enrolled in the course" in outsider["message"]
    rated = _call(
        moodle,
        teacher,
        "core_competency_grade_competency_in_course",
        userid=moodle.seed.student_ids[0],
        **fields,
    )
    assert "exception" not in rated, rated
    student = moodle.state.lms_api.add_moodle_token(moodle.seed.student_ids[1], functions=WITH_COMPETENCIES)
    refused = _call(
        moodle,
        student,
        "core_competency_grade_competency_in_course",
        userid=moodle.seed.student_ids[1],
        **fields,
    )
    assert refused["errorcode"] == "nopermissions"
    assert len(native_outcomes(moodle.state).user_competencies) == 1
