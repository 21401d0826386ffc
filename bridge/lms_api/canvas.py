"""Canvas's REST API: a course's assignments (with rubrics) and every student's submissions.

    GET /api/v1/courses/:id/assignment_groups?include[]=assignments&per_page=100
        groups and their assignments (rubric criteria and ratings included) in one request
    GET /api/v1/courses/:id/students/submissions?student_ids[]=all&assignment_ids[]=...
        &include[]=rubric_assessment&per_page=100[&graded_since=...]
        many assignments per request; large courses are split into a few chunks fetched at
        once, sized so the total number of pages stays at the minimum
    GET /api/v1/courses/:id/users?enrollment_type[]=student&per_page=100
        only to match students who never launched the tool, by their SIS id

Pages are followed through `Link` headers to the end. A 401 "Invalid access token." makes
the token source refresh once (a teacher's OAuth token expires hourly); any other refusal
becomes an `LmsApiRefused` that says which scope or permission is missing.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

import httpx

from bridge.http import PlatformHttp, response_text
from bridge.lms_api.errors import LmsApiRefused
from bridge.lms_api.fan_out import in_parallel
from bridge.lms_api.models import (
    CriterionScore,
    LmsAssignment,
    LmsGrade,
    LmsStudent,
    RubricCriterion,
    RubricRating,
    decimal_or_none,
    grade_state,
    parse_time,
)
from bridge.paging import next_link

PER_PAGE = 100
#: assignment ids in one submissions request at most (keeps URLs short)
MAX_ASSIGNMENTS_PER_REQUEST = 50

SCOPES = {
    "groups": "url:GET|/api/v1/courses/:course_id/assignment_groups",
    "submissions": "url:GET|/api/v1/courses/:course_id/students/submissions",
    "users": "url:GET|/api/v1/courses/:course_id/users",
    "self": "url:GET|/api/v1/users/:id",
}


class BearerSource(Protocol):
    """Where the client's access token comes from: an admin token, or a teacher's OAuth grant."""

    def bearer(self) -> str:
        """A token to send now."""
        ...

    def renew(self) -> bool:
        """Get a fresh token after Canvas refused the current one; False when none can be had."""
        ...


class CanvasClient:
    """One Canvas instance's REST API, acting with one token source."""

    flavour = "canvas"

    def __init__(self, http: PlatformHttp, base_url: str, tokens: BearerSource, *, workers: int = 8) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.workers = workers

    def _url(self, path: str) -> str:
        return f"{self.base_url}/api/v1{path}"

    # requests ---------------------------------------------------------------------------------

    def _get(self, url: str, params: list[tuple[str, str]] | None, scope: str) -> httpx.Response:
        renewed = False
        while True:
            response = self.http.get(
                url,
                params=params,
                headers={"Authorization": f"Bearer {self.tokens.bearer()}", "Accept": "application/json"},
                expected=(200, 401),
            )
            if response.status_code == 200:
                return response
            said = response_text(response)
            if "invalid access token" in said.lower() and not renewed and self.tokens.renew():
                renewed = True
                continue
            raise refusal(said, scope=scope, url=url.split("?")[0])

    def _pages(self, path: str, params: list[tuple[str, str]], scope: str) -> Iterator[Any]:
        """Every item of a paged list, following `Link: rel="next"` to the last page."""
        url: str | None = self._url(path)
        query: list[tuple[str, str]] | None = params
        while url is not None:
            response = self._get(url, query, scope)
            body = response.json()
            if not isinstance(body, list):
                raise LmsApiRefused(f"Canvas answered {path} with something other than a list", url=url)
            yield from body
            url, query = next_link(response.headers.get("Link")), None

    # reads ------------------------------------------------------------------------------------

    def whoami(self) -> dict[str, Any]:
        """The Canvas user the token acts as."""
        body = self._get(self._url("/users/self"), None, SCOPES["self"]).json()
        return body if isinstance(body, dict) else {}

    def assignments(self, course_id: str) -> list[LmsAssignment]:
        """The course's assignments, in group then position order, with their rubrics."""
        found: list[LmsAssignment] = []
        groups = self._pages(
            f"/courses/{course_id}/assignment_groups",
            [("include[]", "assignments"), ("per_page", str(PER_PAGE))],
            SCOPES["groups"],
        )
        for group in groups:
            for data in group.get("assignments") or ():
                found.append(_assignment(data, str(group.get("name") or "")))
        return found

    def students(self, course_id: str) -> list[LmsStudent]:
        rows = self._pages(
            f"/courses/{course_id}/users",
            [("enrollment_type[]", "student"), ("per_page", str(PER_PAGE))],
            SCOPES["users"],
        )
        return [
            LmsStudent(
                id=str(row["id"]), sis_id=str(row.get("sis_user_id") or ""), name=str(row.get("name") or "")
            )
            for row in rows
        ]

    def grades(
        self,
        course_id: str,
        assignments: Sequence[LmsAssignment],
        *,
        since: datetime | None = None,
        students: int | None = None,
    ) -> list[LmsGrade]:
        """Every student's submission to these assignments (changed since `since` when given).

        `students` (how many learners the course has, if known) sizes the chunks fetched at
        once; without it all assignments go in one request chain.
        """
        by_id = {a.id: a for a in assignments}
        chunks = plan_chunks(list(by_id), students, self.workers)
        params = [("student_ids[]", "all"), ("include[]", "rubric_assessment"), ("per_page", str(PER_PAGE))]
        if since is not None:
            params.append(("graded_since", since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")))

        def fetch(chunk: list[str]) -> list[LmsGrade]:
            query = params + [("assignment_ids[]", assignment_id) for assignment_id in chunk]
            rows = self._pages(f"/courses/{course_id}/students/submissions", query, SCOPES["submissions"])
            return [_grade(row, by_id) for row in rows if str(row.get("assignment_id")) in by_id]

        calls = [functools.partial(fetch, chunk) for chunk in chunks]
        return [grade for part in in_parallel(calls, workers=self.workers) for grade in part]


def plan_chunks(ids: list[str], students: int | None, workers: int) -> list[list[str]]:
    """Split assignment ids into the most chunks (up to `workers`) that need no extra page.

    With 40 assignments of 30 students, one request chain takes 12 pages in a row; four
    chunks of ten take 3 pages each, 12 in all, fetched at once.
    """
    if not ids:
        return []
    capped = [
        ids[i : i + MAX_ASSIGNMENTS_PER_REQUEST] for i in range(0, len(ids), MAX_ASSIGNMENTS_PER_REQUEST)
    ]
    if not students or students < 1:
        return capped
    minimum = math.ceil(len(ids) * students / PER_PAGE)
    for count in range(min(workers, len(ids)), len(capped), -1):
        size = math.ceil(len(ids) / count)
        chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
        if (
            size <= MAX_ASSIGNMENTS_PER_REQUEST
            and sum(math.ceil(len(chunk) * students / PER_PAGE) for chunk in chunks) <= minimum
        ):
            return chunks
    return capped


def refusal(said: str, *, scope: str, url: str) -> LmsApiRefused:
    """Canvas's 401 in words that say what to fix."""
    lowered = said.lower()
    if "insufficient scopes" in lowered:
        return LmsApiRefused(
            f"the Canvas developer key enforces scopes and does not grant {scope}; add it to the key "
            "(Admin > Developer Keys > the key's scopes) and have teachers authorise again",
            missing=f"scope {scope}",
            url=url,
            status=401,
            platform_message=said,
        )
    if "not authorized" in lowered:
        return LmsApiRefused(
            "the Canvas user behind the token may not read this course's grades; a teacher, TA or "
            "admin of the course must authorise Proficiency Bridge (or give an admin token)",
            missing="permission to view all grades in the course",
            url=url,
            status=401,
            platform_message=said,
        )
    return LmsApiRefused(
        "Canvas refused the access token: it expired, was deleted, or its developer key was "
        "turned off; a teacher authorises again, or an admin enters a new token",
        missing="a valid token",
        url=url,
        status=401,
        platform_message=said,
    )


def _assignment(data: dict[str, Any], group: str) -> LmsAssignment:
    criteria = tuple(
        RubricCriterion(
            id=str(criterion.get("id")),
            description=str(criterion.get("description") or ""),
            points=decimal_or_none(criterion.get("points")),
            ratings=tuple(
                RubricRating(
                    id=str(rating.get("id") or ""),
                    description=str(rating.get("description") or ""),
                    points=decimal_or_none(rating.get("points")) or Decimal(0),
                )
                for rating in criterion.get("ratings") or ()
            ),
        )
        for criterion in data.get("rubric") or ()
    )
    settings = data.get("rubric_settings") or {}
    return LmsAssignment(
        id=str(data["id"]),
        title=str(data.get("name") or ""),
        points_possible=decimal_or_none(data.get("points_possible")),
        due_at=parse_time(data.get("due_at")),
        group=group,
        criteria=criteria,
        rubric_id=str(settings.get("id") or "") if criteria else "",
        published=bool(data.get("published", True)),
        external_tool="external_tool" in (data.get("submission_types") or ()),
        position=int(data.get("position") or 0),
        url=str(data.get("html_url") or ""),
    )


def _grade(row: dict[str, Any], assignments: dict[str, LmsAssignment]) -> LmsGrade:
    assignment = assignments[str(row["assignment_id"])]
    entered = row.get("entered_score")
    score = decimal_or_none(entered if entered is not None else row.get("score"))
    submitted_at = parse_time(row.get("submitted_at"))
    state = grade_state(
        excused=bool(row.get("excused")),
        score=score,
        missing=bool(row.get("missing")) or row.get("late_policy_status") == "missing",
        submitted=submitted_at is not None,
        pending=row.get("workflow_state") == "pending_review",
    )
    criteria = []
    for criterion_id, part in (row.get("rubric_assessment") or {}).items():
        if not isinstance(part, dict):
            continue
        criterion = assignment.criterion(str(criterion_id))
        rating = criterion.rating(str(part.get("rating_id") or "")) if criterion else None
        criteria.append(
            CriterionScore(
                criterion_id=str(criterion_id),
                points=decimal_or_none(part.get("points")),
                rating_id=str(part.get("rating_id") or ""),
                rating=rating.description if rating else "",
            )
        )
    return LmsGrade(
        assignment_id=assignment.id,
        user_id=str(row["user_id"]),
        state=state,
        score=score,
        submitted_at=submitted_at,
        due_at=parse_time(row.get("cached_due_date")) or assignment.due_at,
        graded_at=parse_time(row.get("graded_at")),
        late=bool(row.get("late")),
        criteria=tuple(criteria),
        attempt=row.get("attempt") if isinstance(row.get("attempt"), int) else None,
    )
