"""'Test connection': what works, and exactly what is missing -- a scope, a function, a permission.

Each check calls the LMS the way a sync would and reports one line. Without a course, only
the credentials themselves are checked (the Canvas developer key and admin token, the Moodle
token and the functions its service allows, the Schoology key); with a course, reading its
assignments and grades is tried too, which is where missing permissions show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bridge.context import Bridge
from bridge.lms_api.canvas import CanvasClient
from bridge.lms_api.canvas_oauth import CanvasOAuth, StaticToken, TeacherTokens
from bridge.lms_api.connection import CourseApi, api_base_url, canvas_tokens, course_api, open_client
from bridge.lms_api.errors import LmsApiRefused, LmsAuthorizationRequired, LmsNotConnected
from bridge.lms_api.models import LmsAssignment
from bridge.lms_api.moodle import OPTIONAL_FUNCTIONS, REQUIRED_FUNCTIONS, MoodleClient
from bridge.lms_api.schoology import SchoologyClient
from pbridge.errors import PlatformError, ProficiencyBridgeError
from store.lms_credentials import LmsSecrets, open_credentials
from store.people import Course
from store.platforms import Platform, Preset


@dataclass(frozen=True)
class Check:
    """One line of the report; `missing` names what to add when it failed."""

    what: str
    ok: bool
    detail: str
    missing: str = ""
    #: a failed optional check does not make the connection unusable
    required: bool = True


def _probe(what: str, call: Callable[[], str], *, required: bool = True) -> Check:
    try:
        return Check(what, True, call(), required=required)
    except LmsApiRefused as error:
        return Check(what, False, str(error), error.missing, required=required)
    except (PlatformError, LmsAuthorizationRequired, LmsNotConnected) as error:
        return Check(what, False, str(error), required=required)


def check_connection(bridge: Bridge, platform_id: int, *, course_id: int | None = None) -> list[Check]:
    """Try the platform's LMS API credentials (and reading `course_id`, when given)."""
    with bridge.database.begin() as session:
        platform = session.get(Platform, platform_id)
        if platform is None:
            raise ProficiencyBridgeError(f"there is no platform {platform_id}; see `pbridge platform list`")
        secrets = open_credentials(session, bridge.secret_box, platform_id)
        api: CourseApi | None = None
        domain = None
        if course_id is not None:
            course = session.get(Course, course_id)
            if course is None or course.platform_id != platform_id:
                raise ProficiencyBridgeError(f"course {course_id} is not a course of platform {platform_id}")
            domain = course.lms_api_domain
            if secrets is not None:
                try:
                    api = course_api(session, bridge.secret_box, course_id)
                except LmsNotConnected as error:
                    return [Check("the course in the LMS", False, str(error), "the course's LMS id")]
        if platform in session:  # course_api expunges the same object
            session.expunge(platform)
    if secrets is None:
        return [
            Check(
                "credentials",
                False,
                f"no LMS API credentials for platform {platform_id}: enter them with `pbridge lms connect`",
                "credentials",
            )
        ]
    try:
        base_url = api.base_url if api else api_base_url(platform.preset, secrets, platform, domain)
    except LmsNotConnected as error:
        return [Check("API address", False, str(error), "the API URL")]
    checks = _credential_checks(bridge, platform, secrets, base_url)
    if api is not None:
        checks += _course_checks(bridge, api)
    return checks


def _credential_checks(bridge: Bridge, platform: Platform, secrets: LmsSecrets, base_url: str) -> list[Check]:
    http = bridge.platform_http(platform)
    checks: list[Check] = []
    if secrets.kind is Preset.CANVAS:
        if secrets.has_developer_key:
            oauth = CanvasOAuth(http, base_url, secrets.client_id, secrets.client_secret)

            def key() -> str:
                oauth.check_key()
                return f"Canvas accepts the developer key {secrets.client_id} (teachers can authorise)"

            checks.append(_probe("developer key", key))
        if secrets.token:

            def admin() -> str:
                me = CanvasClient(http, base_url, StaticToken(secrets.token)).whoami()
                return f"the admin token acts as {me.get('name', '?')} (Canvas user {me.get('id', '?')})"

            checks.append(_probe("admin token", admin))
    elif secrets.kind is Preset.MOODLE:
        client = MoodleClient(http, base_url, secrets.token)
        listed: set[str] = set()

        def info() -> str:
            found = client.site_info()
            listed.update(str(f.get("name")) for f in found.get("functions") or [])
            return f"the token acts as {found.get('fullname', '?')} on {found.get('sitename', base_url)}"

        checks.append(_probe("web-service token", info))
        if checks[-1].ok:
            for function, purpose in REQUIRED_FUNCTIONS.items():
                checks.append(_function_check(function, purpose, function in listed, required=True))
            for function, purpose in OPTIONAL_FUNCTIONS.items():
                checks.append(_function_check(function, purpose, function in listed, required=False))
    else:
        schoology = SchoologyClient(http, base_url, secrets.client_id, secrets.client_secret)

        def me() -> str:
            found = schoology.whoami()
            return (
                f"the key acts as {found.get('name_display', '?')} (Schoology user {found.get('uid', '?')})"
            )

        checks.append(_probe("consumer key", me))
    return checks


def _function_check(function: str, purpose: str, allowed: bool, *, required: bool) -> Check:
    if allowed:
        return Check(f"function {function}", True, f"allowed ({purpose})", required=required)
    return Check(
        f"function {function}",
        False,
        f"not in the token's service, needed for {purpose}: add it under Site administration > Server > "
        "Web services > External services > the service > Functions",
        f"function {function}",
        required=required,
    )


def _course_checks(bridge: Bridge, api: CourseApi) -> list[Check]:
    checks: list[Check] = []
    if api.kind is Preset.CANVAS:

        def token() -> str:
            source = canvas_tokens(bridge, api)
            if isinstance(source, TeacherTokens):
                return f"acting with the authorisation of teacher {source.user_id}"
            return "acting with the admin token"

        checks.append(_probe("a token to read the course", token))
        if not checks[-1].ok:
            return checks
    client = open_client(bridge, api)
    found: list[LmsAssignment] = []

    def assignments() -> str:
        found.extend(client.assignments(api.lms_course_id))
        rubrics = sum(1 for a in found if a.criteria)
        return f"{len(found)} assignments, {rubrics} with a rubric"

    checks.append(_probe(f"reading course {api.lms_course_id}'s assignments", assignments))
    if checks[-1].ok and found:

        def grades() -> str:
            read = client.grades(api.lms_course_id, found[:1], students=api.learners)
            return f"{len(read)} results of '{found[0].title}'"

        checks.append(_probe("reading grades", grades))
    if api.kind is Preset.CANVAS:
        checks.append(
            _probe(
                "reading the course's students (to match those who never opened the tool)",
                lambda: f"{len(client.students(api.lms_course_id))} students",
                required=False,
            )
        )
    return checks
