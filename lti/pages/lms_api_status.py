"""Testing a platform's LMS API credentials from the admin page (what is stored is shown by
`store.lms_credentials.credential_lines`).

The credentials themselves are entered with `pbridge lms connect` (a secret typed into a web
form would pass through more hands than a district's IT person at a terminal); the page says
whether they are there and runs the same checks as `pbridge lms test`, which name exactly what
is missing: a scope of the developer key, a function of the Moodle service, a permission.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.context import Bridge
from bridge.lms_api import Check, check_connection
from pbridge.errors import ProficiencyBridgeError
from store.people import Course
from store.platforms import Platform


class PlatformNotFound(ProficiencyBridgeError):
    status_code = 404


@dataclass(frozen=True, slots=True)
class ApiTest:
    """The checks of one platform's credentials, and of reading one course when chosen."""

    #: the chosen course as the LMS calls it ("" for the credentials alone)
    course: str
    checks: tuple[Check, ...]

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.required and not c.ok)

    @property
    def usable(self) -> bool:
        return not self.failed


def platform_courses(session: Session, platform_id: int) -> list[tuple[int, str]]:
    """The platform's courses to choose from for a test (id, what the LMS calls it)."""
    rows = session.execute(
        select(Course.id, Course.title, Course.label, Course.context_id)
        .where(Course.platform_id == platform_id)
        .order_by(Course.title, Course.id)
    ).all()
    return [(cid, title or label or context_id) for cid, title, label, context_id in rows]


def check_lms_api(bridge: Bridge, session: Session, platform_id: int, course: str = "") -> ApiTest:
    """Run `pbridge lms test` for this platform (and this course, when one is chosen)."""
    platform = session.get(Platform, platform_id)
    if platform is None:
        raise PlatformNotFound(f"there is no platform {platform_id}")
    course_id: int | None = None
    course_name = ""
    if course.strip():
        if not course.strip().isdigit():
            raise ProficiencyBridgeError(f"choose a course from the list (got {course!r})")
        course_id = int(course)
        names = dict(platform_courses(session, platform_id))
        if course_id not in names:
            raise ProficiencyBridgeError(f"course {course_id} is not a course of {platform.name}")
        course_name = names[course_id]
    checks = check_connection(bridge, platform_id, course_id=course_id)
    return ApiTest(course=course_name, checks=tuple(checks))
