"""The part of Canvas's REST API a tool needs to see a course's own assignments and scores.

    GET /api/v1/users/self
    GET /api/v1/courses/:course_id
    GET /api/v1/courses/:course_id/assignment_groups   (include[]=assignments)
    GET /api/v1/courses/:course_id/assignments
    GET /api/v1/courses/:course_id/students/submissions
        (student_ids[]=all, assignment_ids[]=..., include[]=rubric_assessment,
         graded_since=..., submitted_since=...)
    GET /api/v1/courses/:course_id/users              (enrollment_type[]=student)

Strict the way Canvas is: a bearer token (OAuth 2 or personal) acting as a user who must
teach the course (or be an admin); a developer key that enforces scopes refuses a token
without the route's `url:GET|/api/v1/...` scope; pages of `per_page` (default 10, at most
100) linked with `Link` headers; Canvas's error bodies (`{"errors": [{"message": ...}]}`).
In real Canvas an AGS line item is also an assignment (an external tool assignment), so the
tools' line items are listed here too, with their results as submissions.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Blueprint, Response, request

from sandbox.current import current_state
from sandbox.flavours import Flavour
from sandbox.gradebook import Assignment, LineItem, Submission
from sandbox.lms_api_access import ApiToken
from sandbox.native_grades import can_read_grades, iso, learners, parse_iso, submissions_of
from sandbox.refusals import Refusal
from sandbox.roster import Course, User

T = TypeVar("T")

PREFIX = "/api/v1"
#: Canvas REST pages: 10 items unless `per_page` says otherwise, never more than 100
DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 100
LINE_ITEM_GROUP = "Assignments"


def blueprint(flavour: Flavour) -> Blueprint:
    bp = Blueprint("canvas_api", __name__)
    bp.add_url_rule(f"{PREFIX}/users/self", "self", who_am_i)
    bp.add_url_rule(f"{PREFIX}/courses/<course_id>", "course", course)
    bp.add_url_rule(f"{PREFIX}/courses/<course_id>/assignment_groups", "groups", assignment_groups)
    bp.add_url_rule(f"{PREFIX}/courses/<course_id>/assignments", "assignments", assignments)
    bp.add_url_rule(f"{PREFIX}/courses/<course_id>/students/submissions", "submissions", submissions)
    bp.add_url_rule(f"{PREFIX}/courses/<course_id>/users", "users", course_users)
    return bp


def canvas_error(status: int, message: str, *, headers: dict[str, str] | None = None) -> Refusal:
    body: dict[str, Any] = {"errors": [{"message": message}]}
    if status == 401 and "not authorized" in message:
        body["status"] = "unauthorized"
    return Refusal(
        status,
        message,
        body=json.dumps(body),
        content_type="application/json; charset=utf-8",
        headers=headers,
    )


# authentication -----------------------------------------------------------------------------


def _caller(scope: str) -> ApiToken:
    """The token of the request if it may call `scope`; Canvas's 401 otherwise."""
    state = current_state()
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    raw = value.strip() if scheme.lower() == "bearer" else request.args.get("access_token", "")
    if not raw:
        raise canvas_error(401, "user authorization required")
    token = state.lms_api.api_token(raw)
    challenge = {"WWW-Authenticate": 'Bearer realm="canvas-lms"'}
    if token is None or token.expired or token.user_id not in state.users:
        raise canvas_error(401, "Invalid access token.", headers=challenge)
    if token.client_id is not None:
        key = state.lms_api.developer_keys.get(token.client_id)
        if key is None:
            raise canvas_error(401, "Invalid access token.", headers=challenge)
        if key.scopes is not None and scope not in (token.scopes or ()):
            raise canvas_error(401, "Insufficient scopes on access token.", headers=challenge)
    return token


def _course_for(token: ApiToken, course_id: str) -> Course:
    state = current_state()
    found = state.courses.get(course_id)
    if found is None:
        raise canvas_error(404, "The specified resource does not exist.")
    if not can_read_grades(state, token.user_id, found.id):
        raise canvas_error(401, "user not authorized to perform that action")
    return found


def _scope(route: str) -> str:
    return f"url:GET|{PREFIX}{route}"


# paging -------------------------------------------------------------------------------------


def _page(items: Sequence[T]) -> tuple[list[T], str]:
    """One page of `items` as `page`/`per_page` ask, and its Link header."""
    per_page = _positive("per_page") or DEFAULT_PER_PAGE
    per_page = min(per_page, MAX_PER_PAGE)
    page = _positive("page") or 1
    last = max(1, math.ceil(len(items) / per_page))
    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "per_page")]
    base = current_state().base_url + request.path

    def url(number: int) -> str:
        return base + "?" + urlencode([*kept, ("page", str(number)), ("per_page", str(per_page))])

    links = [(page, "current")]
    if page < last:
        links.append((page + 1, "next"))
    if page > 1:
        links.append((page - 1, "prev"))
    links += [(1, "first"), (last, "last")]
    header = ",".join(f'<{url(number)}>; rel="{rel}"' for number, rel in links)
    return list(items[(page - 1) * per_page : page * per_page]), header


def _positive(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise canvas_error(400, f"{name} must be a positive integer")
    return int(raw)


def _json(payload: Any, link: str | None = None) -> Response:
    response = Response(json.dumps(payload), status=200, content_type="application/json; charset=utf-8")
    if link:
        response.headers["Link"] = link
    return response


# endpoints ----------------------------------------------------------------------------------


def who_am_i() -> Response:
    token = _caller(_scope("/users/:id"))
    user = current_state().users[token.user_id]
    return _json(
        {"id": int(user.id), "name": user.name, "short_name": user.given_name, "login_id": user.login_id}
    )


def course(course_id: str) -> Response:
    token = _caller(_scope("/courses/:id"))
    found = _course_for(token, course_id)
    return _json(
        {
            "id": int(found.id),
            "name": found.title,
            "course_code": found.label,
            "workflow_state": "available",
            "sis_course_id": found.course_offering_sourcedid,
        }
    )


def assignment_groups(course_id: str) -> Response:
    token = _caller(_scope("/courses/:course_id/assignment_groups"))
    found = _course_for(token, course_id)
    with_assignments = "assignments" in request.args.getlist("include[]")
    listed = _listed(found)
    groups: dict[str, list[dict[str, Any]]] = {}
    for group_id, body in listed:
        groups.setdefault(group_id, []).append(body)
    names = _group_names(found)
    payload = []
    for position, (group_id, bodies) in enumerate(groups.items(), start=1):
        group: dict[str, Any] = {
            "id": int(group_id),
            "name": names[group_id],
            "position": position,
            "group_weight": 0,
            "rules": {},
        }
        if with_assignments:
            group["assignments"] = bodies
        payload.append(group)
    chosen, link = _page(payload)
    return _json(chosen, link)


def assignments(course_id: str) -> Response:
    token = _caller(_scope("/courses/:course_id/assignments"))
    found = _course_for(token, course_id)
    chosen, link = _page([body for _, body in _listed(found)])
    return _json(chosen, link)


def submissions(course_id: str) -> Response:
    token = _caller(_scope("/courses/:course_id/students/submissions"))
    found = _course_for(token, course_id)
    state = current_state()
    args = request.args
    student_ids = args.getlist("student_ids[]")
    people = learners(state, found.id)
    if "all" not in student_ids:
        wanted = set(student_ids)
        people = [p for p in people if p.id in wanted]
    wanted_assignments = set(args.getlist("assignment_ids[]"))
    graded_since = _time_arg("graded_since")
    submitted_since = _time_arg("submitted_since")
    with_rubric = "rubric_assessment" in args.getlist("include[]")
    rows: list[dict[str, Any]] = []
    for assignment in state.grades.assignments(found.id):
        if wanted_assignments and assignment.id not in wanted_assignments:
            continue
        for submission in submissions_of(state, assignment, people):
            rows.append(_submission_json(assignment, submission, with_rubric))
    for item in state.grades.line_items(found.id):
        assignment_id = _line_item_assignment_id(item)
        if wanted_assignments and assignment_id not in wanted_assignments:
            continue
        rows.extend(_line_item_submissions(item, assignment_id, people))
    rows = [
        row
        for row in rows
        if _since(row, "graded_at", graded_since) and _since(row, "submitted_at", submitted_since)
    ]
    rows.sort(key=lambda r: (r["assignment_id"], r["user_id"]))
    chosen, link = _page(rows)
    return _json(chosen, link)


def course_users(course_id: str) -> Response:
    token = _caller(_scope("/courses/:course_id/users"))
    found = _course_for(token, course_id)
    state = current_state()
    types = set(request.args.getlist("enrollment_type[]"))
    short = {"student": "Learner", "teacher": "Instructor", "ta": "TeachingAssistant"}
    wanted_roles = {short[t] for t in types if t in short}
    people: list[User] = []
    for enrollment in state.course_enrollments(found.id):
        if enrollment.status == "Deleted":
            continue
        if wanted_roles and not wanted_roles & set(enrollment.roles):
            continue
        people.append(state.users[enrollment.user_id])
    chosen, link = _page(
        [
            {
                "id": int(person.id),
                "name": person.name,
                "sortable_name": f"{person.family_name}, {person.given_name}",
                "short_name": person.given_name,
                "sis_user_id": person.person_sourcedid,
                "login_id": person.login_id,
            }
            for person in people
        ]
    )
    return _json(chosen, link)


def _since(row: dict[str, Any], key: str, since: datetime | None) -> bool:
    """Whether the row's time `key` is at or after `since` (always, when there is no filter)."""
    if since is None:
        return True
    stamp = parse_iso(row[key]) if row[key] else None
    return stamp is not None and stamp >= since


def _time_arg(name: str) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    moment = parse_iso(raw)
    if moment is None:
        raise canvas_error(400, f"{name} must be an ISO 8601 time, not {raw!r}")
    return moment


# shapes ---------------------------------------------------------------------------------------


def _group_id(course_id: str, name: str) -> str:
    state = current_state()
    with state.lock:
        found = state.lms_api.group_ids.get((course_id, name))
        if found is None:
            found = state.lms_api.group_ids[(course_id, name)] = state.next_id("assignment_group")
        return found


def _group_names(found: Course) -> dict[str, str]:
    state = current_state()
    return {
        group_id: name
        for (course_id, name), group_id in state.lms_api.group_ids.items()
        if course_id == found.id
    }


def _line_item_assignment_id(item: LineItem) -> str:
    """The assignment Canvas keeps behind an AGS line item (made the first time it is seen)."""
    state = current_state()
    with state.lock:
        found = state.lms_api.line_item_assignments.get(item.id)
        if found is None:
            found = state.lms_api.line_item_assignments[item.id] = state.next_id("assignment")
        return found


def _listed(found: Course) -> list[tuple[str, dict[str, Any]]]:
    """(group id, assignment JSON) of the course's assignments and line items, in order."""
    state = current_state()
    listed = []
    natives = state.grades.assignments(found.id)
    for assignment in natives:
        group_id = _group_id(found.id, assignment.group)
        listed.append((group_id, _assignment_json(assignment, group_id)))
    items = state.grades.line_items(found.id)
    for position, item in enumerate(items, start=len(natives) + 1):
        group_id = _group_id(found.id, LINE_ITEM_GROUP)
        listed.append((group_id, _line_item_json(item, group_id, position)))
    return listed


def _assignment_json(assignment: Assignment, group_id: str) -> dict[str, Any]:
    state = current_state()
    body: dict[str, Any] = {
        "id": int(assignment.id),
        "name": assignment.name,
        "description": assignment.description,
        "course_id": int(assignment.course_id),
        "assignment_group_id": int(group_id),
        "position": assignment.position,
        "due_at": iso(assignment.due_at),
        "points_possible": assignment.points_possible,
        "grading_type": assignment.grading_type,
        "published": assignment.published,
        "submission_types": ["online_upload"],
        "omit_from_final_grade": False,
        "html_url": f"{state.base_url}/courses/{assignment.course_id}/assignments/{assignment.id}",
    }
    rubric = assignment.rubric
    if rubric is not None:
        body["rubric"] = [
            {
                "id": criterion.id,
                "description": criterion.description,
                "long_description": "",
                "points": criterion.points,
                "criterion_use_range": False,
                "ratings": [
                    {
                        "id": f"{criterion.id}_{index}",
                        "description": rating.description,
                        "long_description": "",
                        "points": rating.points,
                    }
                    for index, rating in enumerate(criterion.ratings)
                ],
            }
            for criterion in rubric.criteria
        ]
        body["rubric_settings"] = {
            "id": int(rubric.id),
            "title": rubric.title,
            "points_possible": rubric.points_possible,
            "free_form_criterion_comments": False,
            "hide_score_total": False,
            "hide_points": False,
        }
        body["use_rubric_for_grading"] = True
    return body


def _line_item_json(item: LineItem, group_id: str, position: int) -> dict[str, Any]:
    state = current_state()
    assignment_id = _line_item_assignment_id(item)
    return {
        "id": int(assignment_id),
        "name": item.label,
        "description": "",
        "course_id": int(item.course_id),
        "assignment_group_id": int(group_id),
        "position": position,
        "due_at": item.end_date_time,
        "points_possible": item.score_maximum,
        "grading_type": "points",
        "published": True,
        "submission_types": ["external_tool"],
        "omit_from_final_grade": False,
        "external_tool_tag_attributes": {"url": item.resource_link_id or "", "new_tab": False},
        "html_url": f"{state.base_url}/courses/{item.course_id}/assignments/{assignment_id}",
    }


def _submission_json(assignment: Assignment, submission: Submission, with_rubric: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": int(submission.id),
        "assignment_id": int(assignment.id),
        "user_id": int(submission.user_id),
        "score": submission.score,
        "entered_score": submission.score,
        "grade": None if submission.score is None else f"{submission.score:g}",
        "submitted_at": iso(submission.submitted_at),
        "graded_at": iso(submission.graded_at),
        "cached_due_date": iso(assignment.due_at),
        "excused": submission.excused,
        "late": submission.late,
        "missing": submission.missing,
        "late_policy_status": None,
        "points_deducted": None,
        "workflow_state": submission.workflow_state,
        "attempt": submission.attempt,
        "grader_id": int(submission.grader_id) if submission.grader_id else None,
        "grade_matches_current_submission": True,
    }
    if with_rubric and submission.rubric_assessment and assignment.rubric is not None:
        criteria = {c.id: c for c in assignment.rubric.criteria}
        assessment = {}
        for part in submission.rubric_assessment:
            criterion = criteria.get(part.criterion_id)
            rating_id = None
            if criterion is not None:
                for index, rating in enumerate(criterion.ratings):
                    if rating.description == part.rating:
                        rating_id = f"{criterion.id}_{index}"
            assessment[part.criterion_id] = {
                "rating_id": rating_id,
                "comments": part.comments,
                "points": part.points,
            }
        body["rubric_assessment"] = assessment
    return body


def _line_item_submissions(item: LineItem, assignment_id: str, people: list[User]) -> list[dict[str, Any]]:
    state = current_state()
    results = {result.user_sub: result for result in state.grades.results(item.id)}
    rows = []
    for person in people:
        result = results.get(person.sub)
        score = None
        if result is not None and result.result_score is not None:
            maximum = result.result_maximum or item.score_maximum
            score = round(result.result_score / maximum * item.score_maximum, 4) if maximum else None
        rows.append(
            {
                "id": int(f"9{assignment_id}{person.id}"),
                "assignment_id": int(assignment_id),
                "user_id": int(person.id),
                "score": score,
                "entered_score": score,
                "grade": None if score is None else f"{score:g}",
                "submitted_at": None,
                "graded_at": iso(result.timestamp) if result is not None and score is not None else None,
                "cached_due_date": item.end_date_time,
                "excused": False,
                "late": False,
                "missing": False,
                "late_policy_status": None,
                "points_deducted": None,
                "workflow_state": "graded" if score is not None else "unsubmitted",
                "attempt": None,
                "grader_id": None,
                "grade_matches_current_submission": True,
            }
        )
    return rows
