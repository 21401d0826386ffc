"""From a course of ours to a client of its LMS's API: which credentials, which host, which token.

- The course's id in the LMS: the launch's `$Canvas.course.id` on Canvas; Moodle's and
  Schoology's launches carry the course (section) id as the context id.
- The API host: what the admin entered, else the launch's `$Canvas.api.domain` (https),
  Moodle's site URL (its issuer), or Schoology's `https://api.schoology.com/v1`.
- Canvas's token: the given teacher's own authorisation, else the admin token, else the
  authorisation of any teacher of the course; none of these is `LmsAuthorizationRequired`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.context import Bridge
from bridge.lms_api.canvas import BearerSource, CanvasClient
from bridge.lms_api.canvas_oauth import CanvasOAuth, StaticToken, TeacherTokens
from bridge.lms_api.errors import LmsAuthorizationRequired, LmsNotConnected
from bridge.lms_api.models import LmsAssignment, LmsGrade, LmsStudent
from bridge.lms_api.moodle import MoodleClient
from bridge.lms_api.schoology import DEFAULT_API_URL, SchoologyClient
from pbridge.errors import ProficiencyBridgeError
from store.lms_credentials import KINDS, LmsSecrets, authorizations_of, open_credentials, user_authorization
from store.people import Course, CourseRole, Membership
from store.platforms import Platform, Preset
from store.secret_box import SecretBox

#: what `Evidence.source` says for each LMS
SOURCES = {Preset.CANVAS: "canvas", Preset.MOODLE: "moodle", Preset.SCHOOLOGY: "schoology"}


class LmsClient(Protocol):
    """What the three clients share (see `canvas.py`, `moodle.py`, `schoology.py`)."""

    flavour: str

    def assignments(self, course_id: str) -> list[LmsAssignment]: ...

    def grades(
        self,
        course_id: str,
        assignments: Sequence[LmsAssignment],
        *,
        since: datetime | None = None,
        students: int | None = None,
    ) -> list[LmsGrade]: ...

    def students(self, course_id: str) -> list[LmsStudent]: ...


@dataclass(frozen=True)
class CourseApi:
    """Everything needed to read one course through its LMS's API."""

    course_id: int
    issuer: str
    platform: Platform
    kind: Preset
    lms_course_id: str
    base_url: str
    secrets: LmsSecrets
    teacher_ids: tuple[int, ...]
    learners: int

    @property
    def source(self) -> str:
        return SOURCES[self.kind]


def course_api(session: Session, box: SecretBox, course_id: int) -> CourseApi | None:
    """How to read `course_id` through its LMS's API; None when its platform has no credentials.

    Raises `LmsNotConnected` when credentials exist but the course cannot be located in the
    LMS (a Canvas course launched without the Canvas custom fields).
    """
    course = session.get(Course, course_id)
    if course is None:
        raise ProficiencyBridgeError(f"there is no course {course_id}; courses appear after a launch")
    if course.platform_id is None:
        return None
    platform = session.get(Platform, course.platform_id)
    if platform is None or platform.preset not in KINDS:
        return None
    secrets = open_credentials(session, box, platform.id)
    if secrets is None:
        return None
    kind = platform.preset
    lms_course_id = course.lms_course_id or ("" if kind is Preset.CANVAS else course.context_id)
    if not lms_course_id:
        raise LmsNotConnected(
            f"the Canvas id of course '{course.title or course_id}' is unknown: the tool's Canvas "
            "configuration must ask for the custom field canvas_course_id=$Canvas.course.id; "
            "open the tool from the course again once it does"
        )
    base_url = api_base_url(kind, secrets, platform, course.lms_api_domain)
    members = session.execute(
        select(Membership.user_id, Membership.role).where(
            Membership.course_id == course_id, Membership.active.is_(True)
        )
    ).all()
    session.expunge(platform)
    return CourseApi(
        course_id=course_id,
        issuer=course.issuer,
        platform=platform,
        kind=kind,
        lms_course_id=lms_course_id,
        base_url=base_url,
        secrets=secrets,
        teacher_ids=tuple(user_id for user_id, role in members if role is CourseRole.TEACHER),
        learners=sum(1 for _, role in members if role is CourseRole.STUDENT),
    )


def api_base_url(kind: Preset, secrets: LmsSecrets, platform: Platform, api_domain: str | None) -> str:
    if secrets.api_base_url:
        return secrets.api_base_url
    if kind is Preset.CANVAS:
        if not api_domain:
            raise LmsNotConnected(
                "the Canvas API host is unknown: open the tool from a course once (the launch gives "
                "$Canvas.api.domain), or enter it with `pbridge lms connect canvas --api-url`"
            )
        return f"https://{api_domain}"
    if kind is Preset.MOODLE:
        return platform.issuer.rstrip("/")
    return DEFAULT_API_URL


def open_client(bridge: Bridge, api: CourseApi, *, user_id: int | None = None) -> LmsClient:
    """A client of the course's LMS API (for Canvas, acting with the best token available)."""
    http = bridge.platform_http(api.platform)
    if api.kind is Preset.MOODLE:
        return MoodleClient(http, api.base_url, api.secrets.token, workers=bridge.max_concurrency)
    if api.kind is Preset.SCHOOLOGY:
        return SchoologyClient(
            http,
            api.base_url,
            api.secrets.client_id,
            api.secrets.client_secret,
            workers=bridge.max_concurrency,
        )
    return CanvasClient(
        http, api.base_url, canvas_tokens(bridge, api, user_id=user_id), workers=bridge.max_concurrency
    )


def canvas_oauth(bridge: Bridge, api: CourseApi) -> CanvasOAuth | None:
    secrets = api.secrets
    if not secrets.has_developer_key:
        return None
    return CanvasOAuth(
        bridge.platform_http(api.platform), api.base_url, secrets.client_id, secrets.client_secret
    )


def canvas_tokens(bridge: Bridge, api: CourseApi, *, user_id: int | None = None) -> BearerSource:
    """The teacher's own grant, else the admin token, else any teacher of the course's grant."""
    oauth = canvas_oauth(bridge, api)
    candidates = ([user_id] if user_id is not None else []) + [t for t in api.teacher_ids if t != user_id]
    with bridge.database.begin() as session:
        own = (
            user_authorization(session, bridge.secret_box, platform_id=api.platform.id, user_id=user_id)
            if user_id is not None
            else None
        )
        others = authorizations_of(
            session, bridge.secret_box, platform_id=api.platform.id, user_ids=candidates
        )
    if own is not None and oauth is not None:
        return TeacherTokens(
            oauth, own, database=bridge.database, box=bridge.secret_box, platform_id=api.platform.id
        )
    if api.secrets.token:
        return StaticToken(api.secrets.token)
    if others and oauth is not None:
        return TeacherTokens(
            oauth, others[0], database=bridge.database, box=bridge.secret_box, platform_id=api.platform.id
        )
    raise LmsAuthorizationRequired(
        "Proficiency Bridge cannot read this course in Canvas yet: no teacher of the course has "
        "authorised it and there is no admin token. A teacher opens the tool from the course and "
        "follows 'Connect to Canvas' once."
    )
