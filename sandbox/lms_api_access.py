"""Who may call the sandbox's own LMS APIs: Canvas keys and tokens, Moodle tokens, Schoology keys.

Real LMSs guard their REST APIs with credentials of their own, apart from LTI:

- Canvas: an admin makes a *developer API key* (client id + secret, redirect URIs, optionally
  enforced scopes such as `url:GET|/api/v1/courses/:course_id/assignments`); a user authorises
  a tool with the OAuth 2 authorization-code flow, and the tool redeems the code for a
  one-hour access token and a refresh token. Admins may also hand out a personal access token.
- Moodle: a web-service token of a user, for a service that lists the functions allowed.
- Schoology: a consumer key and secret (OAuth 1.0a two-legged) acting as the user who made it.

A token acts as its user: what the user may see in a course (teacher, TA, admin) is what the
token may read.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from sandbox.oneroster.oauth import Authority

#: how long a Canvas access token lives, seconds (Canvas: one hour)
ACCESS_TOKEN_LIFETIME = 3600
#: how long an authorization code may wait to be redeemed, seconds
CODE_LIFETIME = 600

#: every web-service function the Moodle emulation answers
MOODLE_FUNCTIONS = (
    "core_webservice_get_site_info",
    "mod_assign_get_assignments",
    "mod_assign_get_grades",
    "mod_assign_get_submissions",
    "core_grading_get_definitions",
    "core_grading_get_gradingform_instances",
    "core_grades_get_gradeitems",
)


@dataclass(frozen=True)
class DeveloperKey:
    """A Canvas developer API key; `scopes` None means scopes are not enforced."""

    client_id: str
    secret: str
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...] | None = None
    name: str = "Developer key"

    def allows_redirect(self, uri: str) -> bool:
        """Canvas accepts a redirect URI that starts with one the key lists."""
        return any(uri.startswith(registered) for registered in self.redirect_uris)


@dataclass(frozen=True)
class AuthorizationCode:
    code: str
    client_id: str
    user_id: str
    redirect_uri: str
    scopes: tuple[str, ...] | None
    expires_at: float


@dataclass(frozen=True)
class ApiToken:
    """A bearer token for the Canvas REST API; `scopes` None: anything its user may do."""

    token: str
    user_id: str
    client_id: str | None
    scopes: tuple[str, ...] | None
    expires_at: float | None

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and time.time() >= self.expires_at


@dataclass(frozen=True)
class RefreshGrant:
    refresh_token: str
    client_id: str
    user_id: str
    scopes: tuple[str, ...] | None


@dataclass(frozen=True)
class MoodleToken:
    token: str
    user_id: str
    functions: frozenset[str]
    service: str = "Proficiency Bridge"


@dataclass(frozen=True)
class SchoologyKey:
    consumer_key: str
    secret: str
    user_id: str


class LmsApiAccess:
    """Every credential of the LMS APIs, thread-safe; tests and the demo add them directly."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.developer_keys: dict[str, DeveloperKey] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._tokens: dict[str, ApiToken] = {}
        self._refresh: dict[str, RefreshGrant] = {}
        self._moodle: dict[str, MoodleToken] = {}
        self._schoology: dict[str, SchoologyKey] = {}
        #: checks Schoology's OAuth 1.0a signatures (the SIS emulation's checker, HMAC-SHA1 here)
        self.schoology_oauth = Authority()
        #: (course, group name) -> Canvas assignment group id, and line item -> assignment id
        self.group_ids: dict[tuple[str, str], str] = {}
        self.line_item_assignments: dict[str, str] = {}

    # Canvas ---------------------------------------------------------------------------------

    def add_developer_key(
        self,
        *,
        redirect_uris: tuple[str, ...] | list[str],
        scopes: tuple[str, ...] | list[str] | None = None,
        client_id: str | None = None,
        secret: str | None = None,
        name: str = "Developer key",
    ) -> DeveloperKey:
        key = DeveloperKey(
            client_id=client_id or str(10000000000000 + secrets.randbelow(10**12)),
            secret=secret or secrets.token_urlsafe(48),
            redirect_uris=tuple(redirect_uris),
            scopes=tuple(scopes) if scopes is not None else None,
            name=name,
        )
        with self._lock:
            self.developer_keys[key.client_id] = key
        return key

    def add_personal_token(self, user_id: str, *, scopes: tuple[str, ...] | None = None) -> str:
        """A personal access token (no expiry), as an admin makes one for scheduled jobs."""
        token = ApiToken(
            token=f"{secrets.randbelow(9000) + 1000}~{secrets.token_urlsafe(48)}",
            user_id=user_id,
            client_id=None,
            scopes=scopes,
            expires_at=None,
        )
        with self._lock:
            self._tokens[token.token] = token
        return token.token

    def issue_code(
        self, *, client_id: str, user_id: str, redirect_uri: str, scopes: tuple[str, ...] | None
    ) -> str:
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._codes[code] = AuthorizationCode(
                code, client_id, user_id, redirect_uri, scopes, time.time() + CODE_LIFETIME
            )
        return code

    def redeem_code(self, code: str) -> AuthorizationCode | None:
        """The code's grant, once; None when unknown, used or expired."""
        with self._lock:
            found = self._codes.pop(code, None)
        if found is None or found.expires_at < time.time():
            return None
        return found

    def issue_access_token(
        self, *, client_id: str, user_id: str, scopes: tuple[str, ...] | None, with_refresh: bool
    ) -> tuple[ApiToken, str | None]:
        token = ApiToken(
            token=f"{secrets.randbelow(9000) + 1000}~{secrets.token_urlsafe(48)}",
            user_id=user_id,
            client_id=client_id,
            scopes=scopes,
            expires_at=time.time() + ACCESS_TOKEN_LIFETIME,
        )
        refresh = f"{secrets.randbelow(9000) + 1000}~{secrets.token_urlsafe(48)}" if with_refresh else None
        with self._lock:
            self._tokens[token.token] = token
            if refresh is not None:
                self._refresh[refresh] = RefreshGrant(refresh, client_id, user_id, scopes)
        return token, refresh

    def refresh_grant(self, refresh_token: str) -> RefreshGrant | None:
        with self._lock:
            return self._refresh.get(refresh_token)

    def revoke_refresh_tokens(self, user_id: str | None = None) -> None:
        """Test hook: the user (or everyone) removed the tool's authorisation in Canvas."""
        with self._lock:
            for key in [k for k, g in self._refresh.items() if user_id is None or g.user_id == user_id]:
                del self._refresh[key]

    def api_token(self, token: str) -> ApiToken | None:
        with self._lock:
            return self._tokens.get(token)

    def expire_access_tokens(self) -> None:
        """Test hook: every OAuth access token has outlived its hour (personal tokens stay)."""
        with self._lock:
            for key, token in list(self._tokens.items()):
                if token.expires_at is not None:
                    self._tokens[key] = ApiToken(
                        token.token, token.user_id, token.client_id, token.scopes, time.time() - 1
                    )

    # Moodle ---------------------------------------------------------------------------------

    def add_moodle_token(
        self, user_id: str, *, functions: tuple[str, ...] | list[str] = MOODLE_FUNCTIONS
    ) -> str:
        token = secrets.token_hex(16)
        with self._lock:
            self._moodle[token] = MoodleToken(token, user_id, frozenset(functions))
        return token

    def moodle_token(self, token: str) -> MoodleToken | None:
        with self._lock:
            return self._moodle.get(token)

    # Schoology ------------------------------------------------------------------------------

    def add_schoology_key(self, user_id: str) -> SchoologyKey:
        key = SchoologyKey(secrets.token_hex(20), secrets.token_hex(16), user_id)
        with self._lock:
            self._schoology[key.consumer_key] = key
        self.schoology_oauth.add_client(key.consumer_key, key.secret, frozenset())
        return key

    def schoology_key(self, consumer_key: str) -> SchoologyKey | None:
        with self._lock:
            return self._schoology.get(consumer_key)
