"""Schoology's REST API v1, the part that shows a section's assignments and grades.

    GET /v1/users/me
    GET /v1/sections/{id}
    GET /v1/sections/{id}/assignments          ?start=&limit=
    GET /v1/sections/{id}/grading_categories
    GET /v1/sections/{id}/enrollments          ?start=&limit=
    GET /v1/sections/{id}/grades               ?start=&limit=&timestamp=&assignment_id=

Signed with OAuth 1.0a two-legged (consumer key and secret, empty token) with HMAC-SHA1, as
Schoology's API keys are (checked by the SIS emulation's strict RFC 5849 checker); the key
acts as the user who made it, who must teach the section or be a school administrator.
Lists are paged by `start`/`limit` (20 by default, at most 200) with `total` and
`links.next`. Quirks kept: numbers such as `max_points` come as strings; due dates are
`YYYY-MM-DD HH:MM:SS`; grades hang off *enrollment* ids, not user ids; an excused grade is
`exception: 1` and a missing one `exception: 3`, both with `grade: null`.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from sandbox.current import current_state
from sandbox.flavours import Flavour
from sandbox.gradebook import Assignment, Submission
from sandbox.lms_api_access import SchoologyKey
from sandbox.native_grades import can_read_grades, epoch, learners
from sandbox.oneroster.oauth import AuthRefused, percent_encode
from sandbox.refusals import Refusal
from sandbox.roster import Course, User

PREFIX = "/v1"
DEFAULT_LIMIT = 20
MAX_LIMIT = 200
SIGNATURE_METHODS = frozenset({"HMAC-SHA1"})
EXCUSED, MISSING = 1, 3


def blueprint(flavour: Flavour) -> Blueprint:
    bp = Blueprint("schoology_api", __name__)
    bp.add_url_rule(f"{PREFIX}/users/me", "me", me)
    bp.add_url_rule(f"{PREFIX}/sections/<section_id>", "section", section)
    bp.add_url_rule(f"{PREFIX}/sections/<section_id>/assignments", "assignments", assignments)
    bp.add_url_rule(f"{PREFIX}/sections/<section_id>/grading_categories", "categories", grading_categories)
    bp.add_url_rule(f"{PREFIX}/sections/<section_id>/enrollments", "enrollments", enrollments)
    bp.add_url_rule(f"{PREFIX}/sections/<section_id>/grades", "grades", grades)
    return bp


def _refusal(status: int, message: str) -> Refusal:
    body = json.dumps({"response_code": status, "message": message})
    return Refusal(status, message, body=body, content_type="application/json")


def _caller() -> SchoologyKey:
    """The consumer key that signed this request; 401 for anything not signed right."""
    access = current_state().lms_api
    try:
        consumer = access.schoology_oauth.check_oauth1(
            method=request.method,
            scheme=request.scheme,
            host=request.host,
            path=request.path,
            raw_query=request.query_string.decode(),
            authorization=request.headers.get("Authorization"),
            allowed_methods=SIGNATURE_METHODS,
        )
    except AuthRefused as refused:
        raise _refusal(401, refused.description) from None
    key = access.schoology_key(consumer)
    assert key is not None  # the checker knows only the keys registered here
    return key


def _section_for(key: SchoologyKey, section_id: str) -> Course:
    state = current_state()
    found = state.courses.get(section_id)
    if found is None:
        raise _refusal(404, f"Section {section_id} not found")
    if not can_read_grades(state, key.user_id, found.id):
        raise _refusal(403, "Access denied: the API key's user does not teach this section")
    return found


def _json(payload: Any) -> Response:
    return Response(json.dumps(payload), status=200, content_type="application/json")


def _paged(name: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """`{name: [...], "total": N, "links": {"self", "next"?}}` for `start`/`limit`."""
    start = _number("start", 0)
    limit = min(_number("limit", DEFAULT_LIMIT) or DEFAULT_LIMIT, MAX_LIMIT)
    state = current_state()
    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in ("start", "limit")]

    def url(offset: int) -> str:
        query = "&".join(
            f"{percent_encode(k)}={percent_encode(v)}"
            for k, v in [*kept, ("start", str(offset)), ("limit", str(limit))]
        )
        return f"{state.base_url}{request.path}?{query}"

    links = {"self": url(start)}
    if start + limit < len(items):
        links["next"] = url(start + limit)
    return {name: items[start : start + limit], "total": len(items), "links": links}


def _number(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise _refusal(400, f"{name} must be a whole number, not {raw!r}")
    return int(raw)


def _due(assignment: Assignment) -> str:
    return assignment.due_at.strftime("%Y-%m-%d %H:%M:%S") if assignment.due_at else ""


def _category_id(course_id: str, name: str) -> str:
    state = current_state()
    with state.lock:
        found = state.lms_api.group_ids.get((course_id, name))
        if found is None:
            found = state.lms_api.group_ids[(course_id, name)] = str(
                600000 + int(state.next_id("assignment_group"))
            )
        return found


def enrollment_id(course: Course, user: User) -> int:
    """Schoology's enrollment id of a user in a section (grades are keyed by it)."""
    return int(course.id[-4:]) * 10**9 + int(user.id)


# endpoints ----------------------------------------------------------------------------------


def me() -> Response:
    key = _caller()
    user = current_state().users[key.user_id]
    return _json(
        {
            "uid": user.id,
            "id": int(user.id),
            "name_first": user.given_name,
            "name_last": user.family_name,
            "name_display": user.name,
            "username": user.login_id,
        }
    )


def section(section_id: str) -> Response:
    found = _section_for(_caller(), section_id)
    return _json(
        {
            "id": found.id,
            "course_title": found.title,
            "section_title": found.label,
            "section_code": found.label,
        }
    )


def assignments(section_id: str) -> Response:
    found = _section_for(_caller(), section_id)
    state = current_state()
    rows = [
        {
            "id": int(a.id),
            "title": a.name,
            "description": a.description,
            "due": _due(a),
            "grading_scale": "0",
            "grading_period": "0",
            "grading_category": _category_id(found.id, a.group),
            "max_points": f"{a.points_possible:g}",
            "factor": "1.00000",
            "is_final": "0",
            "published": 1 if a.published else 0,
            "type": "assignment",
            "grade_item_id": int(a.id),
            "show_rubric": a.rubric is not None,
            "web_url": f"{state.base_url}/assignment/{a.id}",
        }
        for a in state.grades.assignments(found.id)
    ]
    return _json(_paged("assignment", rows))


def grading_categories(section_id: str) -> Response:
    found = _section_for(_caller(), section_id)
    state = current_state()
    names = list(dict.fromkeys(a.group for a in state.grades.assignments(found.id)))
    rows = [
        {
            "id": int(_category_id(found.id, name)),
            "title": name,
            "calculation_type": 2,
            "default_max_points": "100",
            "drop_lowest": 0,
            "weight": 0,
            "delta": position,
        }
        for position, name in enumerate(names)
    ]
    return _json({"grading_category": rows})


def enrollments(section_id: str) -> Response:
    found = _section_for(_caller(), section_id)
    state = current_state()
    rows = []
    for enrollment in state.course_enrollments(found.id):
        if enrollment.status == "Deleted":
            continue
        user = state.users[enrollment.user_id]
        rows.append(
            {
                "id": enrollment_id(found, user),
                "uid": user.id,
                "school_uid": user.person_sourcedid or "",
                "name_display": user.name,
                "admin": 0 if enrollment.is_learner else 1,
                "status": 1 if enrollment.is_active else 2,
            }
        )
    return _json(_paged("enrollment", rows))


def grades(section_id: str) -> Response:
    found = _section_for(_caller(), section_id)
    state = current_state()
    since = _number("timestamp", 0)
    only = request.args.get("assignment_id")
    rows = []
    people = learners(state, found.id)
    for assignment in state.grades.assignments(found.id):
        if only and assignment.id != only:
            continue
        for person in people:
            submission = state.grades.submission(assignment.id, person.id)
            row = _grade_row(found, assignment, person, submission) if submission else None
            if row is not None and row["timestamp"] >= since:
                rows.append(row)
    page = _paged("grade", rows)
    return _json({"grades": {"grade": page["grade"]}, "total": page["total"], "links": page["links"]})


def _grade_row(
    course: Course, assignment: Assignment, person: User, submission: Submission
) -> dict[str, Any] | None:
    if submission.excused:
        exception, grade, pending = EXCUSED, None, 0
    elif submission.score is not None:
        exception, grade, pending = 0, submission.score, 0
    elif submission.missing:
        exception, grade, pending = MISSING, None, 0
    elif submission.submitted_at is not None:
        exception, grade, pending = 0, None, 1
    else:
        return None
    moment = submission.graded_at or submission.submitted_at or assignment.due_at
    return {
        "enrollment_id": enrollment_id(course, person),
        "assignment_id": int(assignment.id),
        "grade": grade,
        "exception": exception,
        "max_points": assignment.points_possible,
        "is_final": 0,
        "timestamp": epoch(moment),
        "comment": "",
        "pending": pending,
        "type": "assignment",
        "category_id": int(_category_id(course.id, assignment.group)),
    }
