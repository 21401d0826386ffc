"""A served sandbox platform and a stand-in tool that talks to it over real HTTP.

The stand-in tool is the test itself: it holds an RSA key, signs client assertions and deep
linking responses, and walks the OIDC flow with httpx (asking the sandbox for JSON instead
of auto-submitting pages).
"""

from __future__ import annotations

import ssl
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest

from sandbox import SandboxState, create_app, serve
from sandbox.keys import SigningKey
from sandbox.registry import ALL_SCOPES
from sandbox.roster import Course, User

TOOL_KEY = SigningKey.generate("tool-key-1")
OTHER_KEY = SigningKey.generate("tool-key-1")  # same kid, different key: a forger
LOGIN_URL = "https://tool.example/lti/login"
REDIRECT_URI = "https://tool.example/lti/launch"
DEEP_LINK_URL = "https://tool.example/lti/deep-link"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
RESULTS = "application/vnd.ims.lis.v2.resultcontainer+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
MEMBERS = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
LTI = "https://purl.imsglobal.org/spec/lti/claim/"


@dataclass
class Platform:
    """A served sandbox with one course (a teacher, a TA, students) and the tool registered."""

    state: SandboxState
    http: httpx.Client
    course: Course
    teacher: User
    students: list[User]
    client_id: str = "tool-1"
    deployment_id: str = "1"
    extra: dict[str, Any] = field(default_factory=dict)

    # OIDC --------------------------------------------------------------------------------

    def login_initiation(self, user: User, **query: str) -> dict[str, str]:
        response = self.http.get(
            self.state.launch_url(user=user.id, course=self.course.id, **query),
            headers={"Accept": "application/json"},
        )
        assert response.status_code == 200, response.text
        params: dict[str, str] = response.json()["params"]
        return params

    def auth_params(self, initiation: dict[str, str], **overrides: str | None) -> dict[str, str]:
        params = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": initiation["client_id"],
            "redirect_uri": REDIRECT_URI,
            "login_hint": initiation["login_hint"],
            "lti_message_hint": initiation["lti_message_hint"],
            "state": "state-" + uuid.uuid4().hex,
            "nonce": "nonce-" + uuid.uuid4().hex,
        }
        params.update({key: value for key, value in overrides.items() if value is not None})
        for key in [key for key, value in overrides.items() if value is None]:
            params.pop(key)
        return params

    def authenticate(self, params: dict[str, str]) -> httpx.Response:
        return self.http.post(self.state.auth_url, data=params, headers={"Accept": "application/json"})

    def id_token(self, user: User, **query: str) -> str:
        response = self.authenticate(self.auth_params(self.login_initiation(user, **query)))
        assert response.status_code == 200, response.text
        token: str = response.json()["params"]["id_token"]
        return token

    def launch(self, user: User, **query: str) -> dict[str, Any]:
        """The verified claims of a launch by `user` (checked against the sandbox's JWKS)."""
        token = self.id_token(user, **query)
        return verify_platform_token(self, token)

    # services ----------------------------------------------------------------------------

    def assertion(self, key: SigningKey = TOOL_KEY, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": self.state.token_url,
            "iat": now,
            "exp": now + 60,
            "jti": uuid.uuid4().hex,
        }
        claims.update(overrides)
        claims = {key_: value for key_, value in claims.items() if value is not None}
        return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})

    def request_token(self, scopes: tuple[str, ...] = ALL_SCOPES, **form: str) -> httpx.Response:
        data = {
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": self.assertion(),
            "scope": " ".join(scopes),
        }
        data.update(form)
        return self.http.post(self.state.token_url, data=data)

    def bearer(self, scopes: tuple[str, ...] = ALL_SCOPES) -> dict[str, str]:
        response = self.request_token(scopes)
        assert response.status_code == 200, response.text
        return {"Authorization": "Bearer " + response.json()["access_token"]}

    def line_items_url(self) -> str:
        claims = self.extra.get("claims") or self.launch(self.teacher)
        self.extra["claims"] = claims
        url: str = claims[AGS_CLAIM]["lineitems"]
        return url

    def create_line_item(self, headers: dict[str, str], **body: Any) -> dict[str, Any]:
        payload = {"label": "Indicator A.1", "scoreMaximum": 4} | body
        response = self.http.post(
            self.line_items_url(),
            json=payload,
            headers={**headers, "Content-Type": LINEITEM, "Accept": LINEITEM},
        )
        assert response.status_code == 201, response.text
        item: dict[str, Any] = response.json()
        return item

    def post_score(self, item_id: str, headers: dict[str, str], **body: Any) -> httpx.Response:
        """POST a score (FullyGraded, Completed, 3/4 unless `body` says otherwise)."""
        payload = {
            "scoreGiven": 3,
            "scoreMaximum": 4,
            "activityProgress": "Completed",
            "gradingProgress": "FullyGraded",
            "timestamp": "2025-10-01T10:00:00Z",
        } | body
        payload = {key: value for key, value in payload.items() if value is not None}
        return self.http.post(
            service_url(item_id, "/scores"),
            json=payload,
            headers={**headers, "Content-Type": SCORE},
        )


def service_url(item_id: str, suffix: str) -> str:
    """`/scores` or `/results` of a line item, keeping Moodle's query string."""
    base, _, query = item_id.partition("?")
    return base + suffix + ("?" + query if query else "")


def verify_platform_token(platform: Platform, token: str) -> dict[str, Any]:
    header = jwt.get_unverified_header(token)
    jwks = platform.http.get(platform.state.jwks_url).json()
    key = next(key for key in jwks["keys"] if key["kid"] == header["kid"])
    claims: dict[str, Any] = jwt.decode(
        token, jwt.PyJWK(key).key, algorithms=["RS256"], audience=platform.client_id
    )
    return claims


def build_platform(flavour: str, *, students: int = 4, **tool: Any) -> Platform:
    state = SandboxState.for_flavour(flavour, keys=_shared_keyring())
    state.register_tool(
        client_id="tool-1",
        deployment_ids=["1"],
        login_url=LOGIN_URL,
        redirect_uris=[REDIRECT_URI],
        public_jwks={"keys": [TOOL_KEY.public_jwk]},
        deep_link_url=DEEP_LINK_URL,
        **tool,
    )
    course = state.add_course(
        title="Algebra I",
        label="ALG1",
        course_section_sourcedid="sec-1",
    )
    teacher = state.add_user(
        given_name="Ada",
        family_name="Okafor",
        person_sourcedid="tch-1",
        institution_roles=("Instructor",),
    )
    state.enroll(course.id, teacher.id, ["Instructor"])
    learners = []
    for number in range(students):
        learner = state.add_user(
            given_name=f"Student{number}", family_name="Test", person_sourcedid=f"stu-{number}"
        )
        state.enroll(course.id, learner.id, ["Learner"])
        learners.append(learner)
    return Platform(state, httpx.Client(timeout=5.0, verify=_TLS), course, teacher, learners)


_KEYRING: list[Any] = []
#: one TLS context for every test client (building one per client costs more than a test)
_TLS = ssl.create_default_context()


def _shared_keyring() -> Any:
    """Platforms in tests share keys (RSA generation is the slow part); rotation tests
    make their own."""
    from sandbox.keys import KeyRing

    if not _KEYRING:
        _KEYRING.append(KeyRing())
    return KeyRing([_KEYRING[0].current])


@pytest.fixture(params=["canvas", "moodle", "schoology", "generic"])
def platform(request: pytest.FixtureRequest) -> Iterator[Platform]:
    """A served platform of each flavour."""
    yield from _served(request.param)


@pytest.fixture
def canvas() -> Iterator[Platform]:
    yield from _served("canvas")


@pytest.fixture
def moodle() -> Iterator[Platform]:
    yield from _served("moodle")


@pytest.fixture
def generic() -> Iterator[Platform]:
    yield from _served("generic")


@pytest.fixture
def schoology() -> Iterator[Platform]:
    yield from _served("schoology")


def _served(flavour: str, **options: Any) -> Iterator[Platform]:
    platform = build_platform(flavour, **options)
    server = serve(create_app(platform.state))
    try:
        yield platform
    finally:
        platform.http.close()
        server.stop()
