"""Moodle's web services (REST protocol, JSON): a course's assignments, grades and rubric fillings.

    core_webservice_get_site_info             who the token is, and which functions it may call
    mod_assign_get_assignments                the course's assignments (points, due dates)
    core_grading_get_definitions              their rubrics: criteria and levels
    core_grades_get_gradeitems                grade categories (Moodle 4.2+; optional)
    mod_assign_get_grades                     every grade of many assignments, `since` a time
    mod_assign_get_submissions                submission dates and states, many assignments
    core_grading_get_gradingform_instances    the rubric fillings of one rubric

Moodle answers errors with HTTP 200 and `{"exception", "errorcode", "message"}`; those become
`LmsApiRefused` naming the function or capability to add. Array parameters go PHP-style
(`assignmentids[0]=5`), in a POST body so many assignments fit in one call. A grade of
`"-1.00000"` is no grade. Moodle has no "excused" or "missing": an assignment without a grade
is pending when handed in, unsubmitted otherwise; late means submitted after the due date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bridge.http import PlatformHttp
from bridge.lms_api.errors import LmsApiRefused
from bridge.lms_api.fan_out import in_parallel
from bridge.lms_api.models import (
    CriterionScore,
    GradeState,
    LmsAssignment,
    LmsGrade,
    LmsStudent,
    RubricCriterion,
    RubricRating,
    decimal_or_none,
    grade_state,
)

SERVER_PATH = "/webservice/rest/server.php"

#: the functions the bridge calls, and what each is for (the README lists them too)
REQUIRED_FUNCTIONS = {
    "core_webservice_get_site_info": "checking the connection",
    "mod_assign_get_assignments": "listing a course's assignments",
    "mod_assign_get_grades": "reading grades",
    "mod_assign_get_submissions": "reading submission dates",
    "core_grading_get_definitions": "reading rubrics",
    "core_grading_get_gradingform_instances": "reading rubric scores per criterion",
}
OPTIONAL_FUNCTIONS = {"core_grades_get_gradeitems": "showing grade categories (Moodle 4.2 and later)"}


class MoodleClient:
    """One Moodle site's web services, with one token."""

    flavour = "moodle"

    def __init__(self, http: PlatformHttp, site_url: str, token: str, *, workers: int = 8) -> None:
        self.http = http
        self.site_url = site_url.rstrip("/")
        self._token = token
        self.workers = workers

    def __repr__(self) -> str:
        return f"<MoodleClient {self.site_url}>"

    def call(self, function: str, **params: object) -> Any:
        """One web-service function; lists become PHP-style `name[i]` parameters."""
        data: list[tuple[str, str]] = [
            ("wstoken", self._token),
            ("wsfunction", function),
            ("moodlewsrestformat", "json"),
        ]
        for name, value in params.items():
            if isinstance(value, list | tuple):
                data += [(f"{name}[{index}]", str(item)) for index, item in enumerate(value)]
            else:
                data.append((name, str(value)))
        url = self.site_url + SERVER_PATH
        response = self.http.post(url, data=dict(data), headers={"Accept": "application/json"})
        try:
            body = response.json()
        except ValueError:
            raise LmsApiRefused(
                f"Moodle answered {function} with something other than JSON; is the REST protocol "
                "enabled (Site administration > Server > Web services > Manage protocols)?",
                missing="the REST protocol",
                url=url,
                status=response.status_code,
                platform_message=response.text[:200],
            ) from None
        if isinstance(body, dict) and "exception" in body:
            raise refusal(function, body, url)
        return body

    # reads ------------------------------------------------------------------------------------

    def site_info(self) -> dict[str, Any]:
        info = self.call("core_webservice_get_site_info")
        return info if isinstance(info, dict) else {}

    def assignments(self, course_id: str) -> list[LmsAssignment]:
        """The course's assignments with their rubrics and grade categories."""
        answer, categories = in_parallel(
            [
                lambda: self.call("mod_assign_get_assignments", courseids=[course_id]),
                lambda: self._categories(course_id),
            ],
            workers=self.workers,
        )
        courses = [c for c in answer.get("courses", []) if str(c.get("id")) == str(course_id)]
        if not courses:
            warning: dict[str, Any] = next(iter(answer.get("warnings") or []), {})
            raise LmsApiRefused(
                f"Moodle did not show course {course_id} to the token's user; enrol them as a teacher "
                "or give them mod/assign:grade there",
                missing=f"access to course {course_id}",
                platform_message=str(warning.get("message") or ""),
            )
        rows = courses[0].get("assignments") or []
        cmids = [row["cmid"] for row in rows]
        rubrics = self._rubrics(cmids) if cmids else {}
        found = []
        for position, row in enumerate(rows, start=1):
            rubric_id, criteria = rubrics.get(str(row["cmid"]), ("", ()))
            grade = decimal_or_none(row.get("grade"))
            found.append(
                LmsAssignment(
                    id=str(row["id"]),
                    title=str(row.get("name") or ""),
                    # a negative grade is a scale (its id): no points
                    points_possible=grade if grade is not None and grade > 0 else None,
                    due_at=_moment(row.get("duedate")),
                    group=categories.get(str(row.get("name") or ""), ""),
                    criteria=criteria,
                    rubric_id=rubric_id,
                    position=position,
                    url=f"{self.site_url}/mod/assign/view.php?id={row['cmid']}",
                )
            )
        return found

    def _categories(self, course_id: str) -> dict[str, str]:
        """Grade category by item name; {} on a Moodle without the function or without access."""
        try:
            answer = self.call("core_grades_get_gradeitems", courseid=course_id)
        except LmsApiRefused:
            return {}
        names: dict[str, list[str]] = {}
        for item in answer.get("gradeItems") or []:
            names.setdefault(str(item.get("itemname") or ""), []).append(str(item.get("category") or ""))
        # two items of one name cannot be told apart: no category for either
        return {name: found[0] for name, found in names.items() if len(set(found)) == 1}

    def _rubrics(self, cmids: list[Any]) -> dict[str, tuple[str, tuple[RubricCriterion, ...]]]:
        answer = self.call("core_grading_get_definitions", cmids=cmids, areaname="submissions", activeonly=1)
        found = {}
        for area in answer.get("areas") or []:
            for definition in area.get("definitions") or []:
                rubric = definition.get("rubric")
                if definition.get("method") != "rubric" or not isinstance(rubric, dict):
                    continue
                criteria = tuple(
                    RubricCriterion(
                        id=str(criterion["id"]),
                        description=str(criterion.get("description") or ""),
                        points=max(
                            (
                                decimal_or_none(level.get("score")) or Decimal(0)
                                for level in criterion.get("levels", [])
                            ),
                            default=None,
                        ),
                        ratings=tuple(
                            RubricRating(
                                id=str(level["id"]),
                                description=str(level.get("definition") or ""),
                                points=decimal_or_none(level.get("score")) or Decimal(0),
                            )
                            for level in criterion.get("levels") or []
                        ),
                    )
                    for criterion in rubric.get("rubric_criteria") or []
                )
                found[str(area.get("cmid"))] = (str(definition.get("id")), criteria)
        return found

    def students(self, course_id: str) -> list[LmsStudent]:
        """Moodle's user ids are the LTI `sub`s: no list is needed to match students."""
        return []

    def grades(
        self,
        course_id: str,
        assignments: Sequence[LmsAssignment],
        *,
        since: datetime | None = None,
        students: int | None = None,
    ) -> list[LmsGrade]:
        """Grades, submissions and rubric fillings of these assignments, read at once.

        With `since`, grades are asked for from that time on, and only results whose grade or
        submission changed since are returned; submissions and fillings are read whole, so
        each returned result carries its submission date and its rubric scores.
        """
        if not assignments:
            return []
        ids = [a.id for a in assignments]
        stamp = int(since.timestamp()) if since is not None else 0
        rubrics = [a for a in assignments if a.rubric_id]
        calls = [
            lambda: self.call("mod_assign_get_grades", assignmentids=ids, since=stamp),
            lambda: self.call("mod_assign_get_submissions", assignmentids=ids),
            *[
                lambda a=a: self.call(
                    "core_grading_get_gradingform_instances", definitionid=a.rubric_id, since=0
                )
                for a in rubrics
            ],
        ]
        grades_answer, submissions_answer, *fillings = in_parallel(calls, workers=self.workers)
        grades = {
            (str(block["assignmentid"]), str(row["userid"])): row
            for block in grades_answer.get("assignments") or []
            for row in block.get("grades") or []
        }
        submissions = {
            (str(block["assignmentid"]), str(row["userid"])): row
            for block in submissions_answer.get("assignments") or []
            for row in block.get("submissions") or []
        }
        by_item = {
            str(instance["itemid"]): instance
            for answer in fillings
            for instance in answer.get("instances") or []
            if instance.get("status") == 1
        }
        keys = set(grades) | {
            key
            for key, row in submissions.items()
            if since is None or int(row.get("timemodified") or 0) >= stamp
        }
        by_id = {a.id: a for a in assignments}
        found = []
        for assignment_id, user_id in sorted(keys):
            assignment = by_id.get(assignment_id)
            if assignment is None:
                continue
            found.append(
                _grade(
                    assignment,
                    user_id,
                    grades.get((assignment_id, user_id)),
                    submissions.get((assignment_id, user_id)),
                    by_item,
                )
            )
        return found


def _moment(value: object) -> datetime | None:
    """Moodle's Unix seconds; 0 (or nothing) means no date."""
    if isinstance(value, int | float) and value > 0:
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str) and value.isdigit() and int(value) > 0:
        return datetime.fromtimestamp(int(value), UTC)
    return None


def _grade(
    assignment: LmsAssignment,
    user_id: str,
    grade: dict[str, Any] | None,
    submission: dict[str, Any] | None,
    fillings: dict[str, dict[str, Any]],
) -> LmsGrade:
    score = decimal_or_none(grade.get("grade")) if grade else None
    if score is not None and score < 0:
        score = None  # "-1.00000": no grade
    submitted = submission is not None and submission.get("status") == "submitted"
    submitted_at = _moment(submission.get("timemodified")) if submitted and submission else None
    state = grade_state(excused=False, score=score, missing=False, submitted=submitted)
    criteria: tuple[CriterionScore, ...] = ()
    filling = fillings.get(str(grade.get("id"))) if grade else None
    if filling is not None and state is GradeState.GRADED:
        criteria = tuple(
            _criterion_score(assignment, part) for part in (filling.get("rubric") or {}).get("criteria") or []
        )
    due = assignment.due_at
    return LmsGrade(
        assignment_id=assignment.id,
        user_id=user_id,
        state=state,
        score=score,
        submitted_at=submitted_at,
        due_at=due,
        graded_at=_moment(grade.get("timemodified")) if grade else None,
        late=bool(submitted_at and due and submitted_at > due),
        criteria=criteria,
        attempt=int(grade.get("attemptnumber", 0)) + 1 if grade else None,
    )


def _criterion_score(assignment: LmsAssignment, part: dict[str, Any]) -> CriterionScore:
    criterion = assignment.criterion(str(part.get("criterionid")))
    level_id = str(part.get("levelid") or "")
    rating = criterion.rating(level_id) if criterion else None
    return CriterionScore(
        criterion_id=str(part.get("criterionid")),
        points=rating.points if rating else None,
        rating_id=level_id,
        rating=rating.description if rating else "",
    )


def refusal(function: str, body: dict[str, Any], url: str) -> LmsApiRefused:
    """Moodle's exception in words that say what to change on the Moodle site."""
    code = str(body.get("errorcode") or "")
    said = str(body.get("message") or "")
    if body.get("debuginfo"):
        said = f"{said} ({body['debuginfo']})"
    if code == "invalidtoken":
        message = (
            "Moodle does not know the web-service token; create one (Site administration > Server > "
            "Web services > Manage tokens) and enter it with `pbridge lms connect moodle`"
        )
        missing = "a valid token"
    elif code == "accessexception":
        message = (
            f"the token's web service does not allow {function}; add it under Site administration > "
            "Server > Web services > External services > the service > Functions"
        )
        missing = f"function {function}"
    elif code == "nopermissions" or body.get("exception") == "required_capability_exception":
        message = (
            f"the token's user lacks a capability for {function}; make them a teacher of the course "
            "or grant mod/assign:grade and moodle/grade:viewall"
        )
        missing = "permission: " + (str(body.get("debuginfo") or "") or said)
    elif code == "invalidrecord" and "external_functions" in said:
        message = f"this Moodle has no web-service function {function} (too old a version?)"
        missing = f"function {function}"
    else:
        message = f"Moodle refused {function} ({code or 'error'})"
        missing = ""
    return LmsApiRefused(message, missing=missing, url=url, status=200, platform_message=said)
