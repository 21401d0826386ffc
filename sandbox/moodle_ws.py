"""Moodle's web services (REST protocol): the functions a tool needs to read assignments and grades.

    POST|GET /webservice/rest/server.php?wstoken=...&wsfunction=...&moodlewsrestformat=json
        core_webservice_get_site_info
        mod_assign_get_assignments        courseids[0]=...
        mod_assign_get_grades             assignmentids[0]=...&since=...
        mod_assign_get_submissions        assignmentids[0]=...&since=...
        core_grading_get_definitions      cmids[0]=...&areaname=submissions&activeonly=1
        core_grading_get_gradingform_instances   definitionid=...&since=...
        core_grades_get_gradeitems        courseid=...

As in Moodle: every answer is HTTP 200, errors included, as `{"exception", "errorcode",
"message"}`; a token belongs to a user and to a service that lists the functions it may call;
the user needs the grading capability in the course; array parameters are PHP-style
(`assignmentids[0]=5`); times are Unix seconds; a grade is a string with five decimals and
`"-1.00000"` means "no grade"; `mod_assign_get_assignments` answers an inaccessible course
with a warning, not an exception. Moodle has no "excused": an excused submission in the
sandbox's gradebook simply has no grade here. Rubric ids are numbers (`crit_7` is criterion 7).
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, request
from werkzeug.datastructures import MultiDict

from sandbox.current import current_state
from sandbox.flavours import Flavour
from sandbox.gradebook import Assignment, Rubric
from sandbox.lms_api_access import MoodleToken
from sandbox.native_grades import can_read_grades, epoch, learners

SERVER_PATH = "/webservice/rest/server.php"
#: Moodle's course module ids are not its assignment ids; the sandbox keeps them apart by this much
CMID_OFFSET = 1000


class MoodleException(Exception):
    """A web-service exception: Moodle answers it with HTTP 200 and this JSON."""

    def __init__(self, exception: str, errorcode: str, message: str, debuginfo: str = "") -> None:
        super().__init__(message)
        self.body: dict[str, Any] = {"exception": exception, "errorcode": errorcode, "message": message}
        if debuginfo:
            self.body["debuginfo"] = debuginfo


def blueprint(flavour: Flavour) -> Blueprint:
    bp = Blueprint("moodle_ws", __name__)
    bp.add_url_rule(SERVER_PATH, "server", server, methods=["GET", "POST"])
    return bp


def server() -> Response:
    values = request.values
    try:
        if values.get("moodlewsrestformat", "xml") != "json":
            raise MoodleException(
                "invalid_parameter_exception",
                "invalidparameter",
                "Invalid parameter value detected",
                "this sandbox answers moodlewsrestformat=json only",
            )
        token = _token(values.get("wstoken", ""))
        function = values.get("wsfunction", "")
        handler = FUNCTIONS.get(function)
        if handler is None:
            raise MoodleException(
                "dml_missing_record_exception",
                "invalidrecord",
                "Can't find data record in database table external_functions.",
            )
        if function not in token.functions:
            raise MoodleException(
                "webservice_access_exception",
                "accessexception",
                "Access control exception",
                f"Access to the function {function}() is not allowed. There could be multiple reasons for "
                "this: 1. The service linked to the user token does not contain the function. 2. The "
                "service is user-restricted and the user is not listed. 3. The service is IP-restricted "
                "and the user IP is not listed. 4. The service is time-restricted and the time has expired.",
            )
        answer = handler(token, values)
    except MoodleException as error:
        answer = error.body
    return Response(json.dumps(answer), status=200, content_type="application/json; charset=utf-8")


def _token(raw: str) -> MoodleToken:
    token = current_state().lms_api.moodle_token(raw) if raw else None
    if token is None or token.user_id not in current_state().users:
        raise MoodleException("moodle_exception", "invalidtoken", "Invalid token - token not found")
    return token


def php_list(values: MultiDict[str, str], name: str) -> list[str]:
    """`name[0]=a&name[1]=b` as ["a", "b"], in index order; PARAM_INT-checked by callers."""
    pattern = re.compile(rf"^{re.escape(name)}\[(\d+)\]$")
    found = []
    for key, value in values.items(multi=True):
        match = pattern.match(key)
        if match:
            found.append((int(match.group(1)), value))
    return [value for _, value in sorted(found)]


def _ints(values: list[str], name: str) -> list[str]:
    for value in values:
        if not value.isdigit():
            raise MoodleException(
                "invalid_parameter_exception",
                "invalidparameter",
                "Invalid parameter value detected",
                f"{name} => Invalid parameter value detected: Invalid external api parameter: the value is "
                f'"{value}", the server was expecting "int" type',
            )
    return values


def _since(values: MultiDict[str, str]) -> int:
    raw = values.get("since", "0")
    return int(raw) if raw.isdigit() else 0


def _assignment_or_fail(token: MoodleToken, assignment_id: str) -> Assignment:
    state = current_state()
    assignment = state.grades.assignment(assignment_id)
    if assignment is None:
        raise MoodleException(
            "dml_missing_record_exception",
            "invalidrecord",
            "Can't find data record in database table assign.",
        )
    if not can_read_grades(state, token.user_id, assignment.course_id):
        raise MoodleException(
            "required_capability_exception",
            "nopermissions",
            "Sorry, but you do not currently have permissions to do that (Grade assignment).",
            "mod/assign:grade",
        )
    return assignment


def _grade_string(score: float | None) -> str:
    return "-1.00000" if score is None else f"{score:.5f}"


def _criterion_number(criterion_id: str) -> int:
    digits = re.sub(r"\D", "", criterion_id)
    return int(digits) if digits else 0


# functions --------------------------------------------------------------------------------------


def site_info(token: MoodleToken, values: MultiDict[str, str]) -> dict[str, Any]:
    state = current_state()
    user = state.users[token.user_id]
    return {
        "sitename": "Sandbox Moodle",
        "username": user.login_id,
        "firstname": user.given_name,
        "lastname": user.family_name,
        "fullname": user.name,
        "lang": "en",
        "userid": int(user.id),
        "siteurl": state.base_url,
        "functions": [{"name": name, "version": "2025041400"} for name in sorted(token.functions)],
        "release": "5.0 (Build: 20250414)",
        "version": "2025041400",
    }


def get_assignments(token: MoodleToken, values: MultiDict[str, str]) -> dict[str, Any]:
    state = current_state()
    courses, warnings = [], []
    for course_id in _ints(php_list(values, "courseids"), "courseids"):
        course = state.courses.get(course_id)
        if course is None or not can_read_grades(state, token.user_id, course_id):
            warnings.append(
                {
                    "item": "course",
                    "itemid": int(course_id),
                    "warningcode": "1",
                    "message": "No access rights in module context",
                }
            )
            continue
        courses.append(
            {
                "id": int(course.id),
                "fullname": course.title,
                "shortname": course.label,
                "timemodified": 0,
                "assignments": [_assignment_json(a) for a in state.grades.assignments(course.id)],
            }
        )
    return {"courses": courses, "warnings": warnings}


def _assignment_json(assignment: Assignment) -> dict[str, Any]:
    return {
        "id": int(assignment.id),
        "cmid": int(assignment.id) + CMID_OFFSET,
        "course": int(assignment.course_id),
        "name": assignment.name,
        "nosubmissions": 0,
        "duedate": epoch(assignment.due_at),
        "allowsubmissionsfromdate": 0,
        "cutoffdate": 0,
        "gradingduedate": 0,
        "grade": round(assignment.points_possible),
        "timemodified": epoch(assignment.due_at),
        "markingworkflow": 0,
        "teamsubmission": 0,
        "intro": assignment.description,
        "introformat": 1,
    }


def get_grades(token: MoodleToken, values: MultiDict[str, str]) -> dict[str, Any]:
    state = current_state()
    since = _since(values)
    answered, warnings = [], []
    for assignment_id in _ints(php_list(values, "assignmentids"), "assignmentids"):
        assignment = _assignment_or_fail(token, assignment_id)
        grades = []
        for person in learners(state, assignment.course_id):
            submission = state.grades.submission(assignment.id, person.id)
            if submission is None or submission.score is None or submission.excused:
                continue
            modified = epoch(submission.graded_at)
            if modified < since:
                continue
            grades.append(
                {
                    "id": int(submission.id),
                    "assignment": int(assignment.id),
                    "userid": int(person.id),
                    "attemptnumber": max(0, (submission.attempt or 1) - 1),
                    "timecreated": modified,
                    "timemodified": modified,
                    "grader": int(submission.grader_id) if submission.grader_id else -1,
                    "grade": _grade_string(submission.score),
                }
            )
        if grades:
            answered.append({"assignmentid": int(assignment.id), "grades": grades})
        else:
            warnings.append(
                {
                    "item": "assignment",
                    "itemid": int(assignment.id),
                    "warningcode": "3",
                    "message": "No grades found",
                }
            )
    return {"assignments": answered, "warnings": warnings}


def get_submissions(token: MoodleToken, values: MultiDict[str, str]) -> dict[str, Any]:
    state = current_state()
    since = _since(values)
    answered = []
    for assignment_id in _ints(php_list(values, "assignmentids"), "assignmentids"):
        assignment = _assignment_or_fail(token, assignment_id)
        rows = []
        for person in learners(state, assignment.course_id):
            submission = state.grades.submission(assignment.id, person.id)
            if submission is None:
                continue
            submitted = submission.submitted_at is not None
            moment = submission.submitted_at or submission.graded_at
            modified = epoch(moment) if moment is not None else epoch(assignment.due_at)
            if modified < since:
                continue
            rows.append(
                {
                    "id": int(submission.id),
                    "userid": int(person.id),
                    "attemptnumber": max(0, (submission.attempt or 1) - 1),
                    "timecreated": modified,
                    "timemodified": modified,
                    "status": "submitted" if submitted else "new",
                    "groupid": 0,
                    "latest": 1,
                    "plugins": [],
                    "gradingstatus": "graded" if submission.score is not None else "notgraded",
                }
            )
        answered.append({"assignmentid": int(assignment.id), "submissions": rows})
    return {"assignments": answered, "warnings": []}


def get_definitions(token: MoodleToken, values: MultiDict[str, str]) -> dict[str, Any]:
    state = current_state()
    if values.get("areaname", "") != "submissions":
        raise MoodleException(
            "invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected", "areaname"
        )
    areas, warnings = [], []
    for cmid in _ints(php_list(values, "cmids"), "cmids"):
        assignment = state.grades.assignment(str(int(cmid) - CMID_OFFSET))
        if assignment is None or not can_read_grades(state, token.user_id, assignment.course_id):
            warnings.append(
                {"item": "module", "itemid": int(cmid), "warningcode": "1", "message": "No access"}
            )
            continue
        rubric = assignment.rubric
        areas.append(
            {
                "cmid": int(cmid),
                "contextid": int(cmid) + 5000,
                "component": "mod_assign",
                "areaname": "submissions",
                "activemethod": "rubric" if rubric is not None else None,
                "definitions": [_definition_json(rubric)] if rubric is not None else [],
            }
        )
    return {"areas": areas, "warnings": warnings}


def _definition_json(rubric: Rubric) -> dict[str, Any]:
    return {
        "id": int(rubric.id),
        "method": "rubric",
        "name": rubric.title,
        "description": "",
        "descriptionformat": 1,
        "status": 20,
        "rubric": {
            "rubric_criteria": [
                {
                    "id": _criterion_number(criterion.id),
                    "sortorder": position,
                    "description": criterion.description,
                    "descriptionformat": 0,
                    "levels": [
                        {
                            "id": _criterion_number(criterion.id) * 100 + index + 1,
                            "score": rating.points,
                            "definition": rating.description,
                            "definitionformat": 0,
                        }
                        for index, rating in enumerate(criterion.ratings)
                    ],
                }
                for position, criterion in enumerate(rubric.criteria, start=1)
            ]
        },
    }


def get_instances(token: MoodleToken, values: MultiDict[str, str]) -> dict[str, Any]:
    state = current_state()
    definition = values.get("definitionid", "")
    if not definition.isdigit():
        raise MoodleException(
            "invalid_parameter_exception",
            "invalidparameter",
            "Invalid parameter value detected",
            "definitionid",
        )
    since = _since(values)
    assignment = next(
        (
            a
            for course_id in list(state.courses)
            for a in state.grades.assignments(course_id)
            if a.rubric is not None and a.rubric.id == definition
        ),
        None,
    )
    if assignment is None or assignment.rubric is None:
        raise MoodleException(
            "dml_missing_record_exception",
            "invalidrecord",
            "Can't find data record in database table grading_definitions.",
        )
    _assignment_or_fail(token, assignment.id)
    rubric = assignment.rubric
    instances = []
    for person in learners(state, assignment.course_id):
        submission = state.grades.submission(assignment.id, person.id)
        if submission is None or not submission.rubric_assessment or submission.excused:
            continue
        modified = epoch(submission.graded_at)
        if modified < since:
            continue
        criteria = []
        for part in submission.rubric_assessment:
            criterion = next((c for c in rubric.criteria if c.id == part.criterion_id), None)
            if criterion is None:
                continue
            level = next(
                (i for i, rating in enumerate(criterion.ratings) if rating.description == part.rating), None
            )
            criteria.append(
                {
                    "id": int(submission.id) * 10 + len(criteria),
                    "criterionid": _criterion_number(criterion.id),
                    "levelid": None if level is None else _criterion_number(criterion.id) * 100 + level + 1,
                    "remark": part.comments,
                    "remarkformat": 0,
                }
            )
        instances.append(
            {
                "id": int(submission.id),
                "raterid": int(submission.grader_id) if submission.grader_id else 0,
                "itemid": int(submission.id),
                "rawgrade": _grade_string(submission.score),
                "status": 1,
                "feedback": "",
                "feedbackformat": 1,
                "timemodified": modified,
                "rubric": {"criteria": criteria},
            }
        )
    return {"instances": instances, "warnings": []}


def get_gradeitems(token: MoodleToken, values: MultiDict[str, str]) -> dict[str, Any]:
    state = current_state()
    course_id = values.get("courseid", "")
    if course_id not in state.courses:
        raise MoodleException(
            "dml_missing_record_exception",
            "invalidrecord",
            "Can't find data record in database table course.",
        )
    if not can_read_grades(state, token.user_id, course_id):
        raise MoodleException(
            "required_capability_exception",
            "nopermissions",
            "Sorry, but you do not currently have permissions to do that (View all grades).",
            "moodle/grade:viewall",
        )
    items = [
        {"id": str(int(a.id) + 7000), "itemname": a.name, "category": a.group}
        for a in state.grades.assignments(course_id)
    ]
    return {"gradeItems": items, "warnings": []}


FUNCTIONS = {
    "core_webservice_get_site_info": site_info,
    "mod_assign_get_assignments": get_assignments,
    "mod_assign_get_grades": get_grades,
    "mod_assign_get_submissions": get_submissions,
    "core_grading_get_definitions": get_definitions,
    "core_grading_get_gradingform_instances": get_instances,
    "core_grades_get_gradeitems": get_gradeitems,
}
