"""Schoology's REST API v1: a section's assignments, grading categories and grades.

    GET /v1/users/me                                   who the key acts as
    GET /v1/sections/{id}/assignments?limit=200        assignments (paged: start/limit, links.next)
    GET /v1/sections/{id}/grading_categories           category titles
    GET /v1/sections/{id}/enrollments?limit=200        enrollment id -> user id
    GET /v1/sections/{id}/grades?limit=200[&timestamp=] every grade of the section, or those changed

Signed with OAuth 1.0a two-legged (the app's consumer key and secret, HMAC-SHA1), a fresh
nonce on every request and retry. Grades are keyed by enrollment, so the enrollments are read
alongside. Numbers often come as strings. Due dates are `YYYY-MM-DD HH:MM:SS` without a zone:
they are read as UTC. Schoology's grade objects carry no submission date, so evidence from
Schoology is dated by the due date. Its public API exposes no per-criterion rubric scores:
Schoology assignments are aligned whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from bridge.http import PlatformHttp
from bridge.lms_api.errors import LmsApiRefused
from bridge.lms_api.fan_out import in_parallel
from bridge.lms_api.models import LmsAssignment, LmsGrade, LmsStudent, decimal_or_none, grade_state
from bridge.oneroster.auth import OAuth1Signer

DEFAULT_API_URL = "https://api.schoology.com/v1"
LIMIT = 200
EXCUSED, INCOMPLETE, MISSING = 1, 2, 3


class SchoologyClient:
    """Schoology's API with one consumer key (acting as the user who made it)."""

    flavour = "schoology"

    def __init__(
        self, http: PlatformHttp, base_url: str, consumer_key: str, consumer_secret: str, *, workers: int = 8
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self._auth = OAuth1Signer(consumer_key, consumer_secret, method="HMAC-SHA1")
        self.workers = workers

    def __repr__(self) -> str:
        return f"<SchoologyClient {self.base_url}>"

    def _get(self, url: str) -> Any:
        response = self.http.get(
            url, auth=self._auth, headers={"Accept": "application/json"}, expected=(200, 303, 401, 403)
        )
        if response.status_code == 303 and response.headers.get("Location"):
            # /users/me answers with a redirect to the user's own URL
            return self._get(str(httpx.URL(url).join(response.headers["Location"])))
        if response.status_code in (401, 403):
            raise refusal(response, url.split("?")[0])
        return response.json()

    def _pages(self, path: str, key: str, **query: str) -> Iterator[dict[str, Any]]:
        """Every item of a paged list, following `links.next` to the end."""
        url: str | None = str(
            httpx.URL(self.base_url + path, params={**query, "start": "0", "limit": str(LIMIT)})
        )
        while url:
            body = self._get(url)
            items = body.get(key) if isinstance(body, dict) else None
            if isinstance(items, dict):  # grades: {"grades": {"grade": [...]}}
                items = items.get("grade")
            yield from items or []
            links = body.get("links") if isinstance(body, dict) else None
            url = links.get("next") if isinstance(links, dict) else None

    # reads ------------------------------------------------------------------------------------

    def whoami(self) -> dict[str, Any]:
        body = self._get(self.base_url + "/users/me")
        return body if isinstance(body, dict) else {}

    def assignments(self, section_id: str) -> list[LmsAssignment]:
        rows, categories = in_parallel(
            [
                lambda: list(self._pages(f"/sections/{section_id}/assignments", "assignment")),
                lambda: self._get(f"{self.base_url}/sections/{section_id}/grading_categories"),
            ],
            workers=self.workers,
        )
        titles = {
            str(c.get("id")): str(c.get("title") or "")
            for c in (categories or {}).get("grading_category") or []
        }
        return [
            LmsAssignment(
                id=str(row["id"]),
                title=str(row.get("title") or ""),
                points_possible=decimal_or_none(row.get("max_points")),
                due_at=_due(row.get("due")),
                group=titles.get(str(row.get("grading_category")), ""),
                published=str(row.get("published", "1")) not in ("0", "False", "false"),
                position=position,
                url=str(row.get("web_url") or ""),
            )
            for position, row in enumerate(rows, start=1)
        ]

    def students(self, section_id: str) -> list[LmsStudent]:
        return [
            LmsStudent(
                id=str(row["uid"]),
                sis_id=str(row.get("school_uid") or ""),
                name=str(row.get("name_display") or ""),
            )
            for row in self._enrollments(section_id)
            if str(row.get("admin", "0")) in ("0", "False", "false")
        ]

    def _enrollments(self, section_id: str) -> list[dict[str, Any]]:
        return list(self._pages(f"/sections/{section_id}/enrollments", "enrollment"))

    def grades(
        self,
        section_id: str,
        assignments: Sequence[LmsAssignment],
        *,
        since: datetime | None = None,
        students: int | None = None,
    ) -> list[LmsGrade]:
        if not assignments:
            return []
        query = {"timestamp": str(int(since.timestamp()))} if since is not None else {}
        enrollments, rows = in_parallel(
            [
                lambda: self._enrollments(section_id),
                lambda: list(self._pages(f"/sections/{section_id}/grades", "grades", **query)),
            ],
            workers=self.workers,
        )
        users = {str(e["id"]): str(e["uid"]) for e in enrollments}
        by_id = {a.id: a for a in assignments}
        found = []
        for row in rows:
            assignment = by_id.get(str(row.get("assignment_id")))
            user_id = users.get(str(row.get("enrollment_id")))
            if assignment is None or user_id is None:
                continue
            found.append(_grade(assignment, user_id, row))
        return found


def _due(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def _grade(assignment: LmsAssignment, user_id: str, row: dict[str, Any]) -> LmsGrade:
    exception = int(decimal_or_none(row.get("exception")) or 0)
    score = decimal_or_none(row.get("grade")) if exception == 0 else None
    state = grade_state(
        excused=exception == EXCUSED,
        score=score,
        missing=exception == MISSING,
        submitted=False,
        pending=exception == INCOMPLETE
        or (score is None and str(row.get("pending", "0")) in ("1", "True", "true")),
    )
    stamp = decimal_or_none(row.get("timestamp"))
    return LmsGrade(
        assignment_id=assignment.id,
        user_id=user_id,
        state=state,
        score=score,
        submitted_at=None,
        due_at=assignment.due_at,
        graded_at=datetime.fromtimestamp(int(stamp), UTC) if stamp else None,
    )


def refusal(response: httpx.Response, url: str) -> LmsApiRefused:
    try:
        said = str(response.json().get("message") or "")
    except (ValueError, AttributeError):
        said = response.text[:200]
    if response.status_code == 401:
        return LmsApiRefused(
            "Schoology refused the consumer key or its signature; check the key and secret "
            "(Schoology: App Center > the app > API keys) with `pbridge lms connect schoology`",
            missing="a valid consumer key and secret",
            url=url,
            status=401,
            platform_message=said,
        )
    return LmsApiRefused(
        "the user behind the Schoology key may not read this section's grades; the key must "
        "belong to a school administrator or to a teacher of the section",
        missing="permission to view the section's grades",
        url=url,
        status=403,
        platform_message=said,
    )
