"""Canvas's OAuth 2 for its REST API, from the tool's side: codes, refresh, and token sources.

    browser -> {canvas}/login/oauth2/auth?client_id&response_type=code&redirect_uri&state&scope
    Canvas  -> redirect_uri?code=...&state=...
    tool    -> POST {canvas}/login/oauth2/token grant_type=authorization_code  (access + refresh)
    later   -> POST {canvas}/login/oauth2/token grant_type=refresh_token       (a new access token)

Access tokens live an hour; the refresh token lasts until the teacher or an admin revokes it.
`TeacherTokens` hands out the stored access token while it lives, refreshes it silently
(once, under a lock, shared by the threads of a sync), keeps the new one sealed for other
workers, and forgets a revoked grant so the teacher is asked to authorise again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from bridge.http import PlatformHttp
from bridge.lms_api.canvas import SCOPES
from bridge.lms_api.errors import GrantRefused, LmsApiRefused, LmsAuthorizationRequired
from store.database import Database
from store.lms_credentials import UserAuthorization, forget_user_authorization, save_access_token
from store.secret_box import SecretBox
from store.types import utcnow

#: refresh this long before Canvas's expiry, so a token never dies in flight
EXPIRY_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True)
class CanvasGrant:
    """What Canvas's token endpoint answered; `refresh_token` is "" on a refresh."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime
    user_id: str
    user_name: str


class CanvasOAuth:
    """One Canvas developer key's OAuth 2 endpoints."""

    def __init__(self, http: PlatformHttp, base_url: str, client_id: str, client_secret: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret

    def __repr__(self) -> str:
        return f"<CanvasOAuth {self.client_id} at {self.base_url}>"

    @property
    def token_url(self) -> str:
        return self.base_url + "/login/oauth2/token"

    def authorize_url(self, *, redirect_uri: str, state: str, scopes: Iterable[str] = SCOPES.values()) -> str:
        """Where the teacher's browser goes to authorise the tool."""
        query = {
            "client_id": self.client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": " ".join(scopes),
        }
        return f"{self.base_url}/login/oauth2/auth?{urlencode(query)}"

    def redeem(self, code: str, redirect_uri: str) -> CanvasGrant:
        return self._grant(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "replace_tokens": "1",
            }
        )

    def refresh(self, refresh_token: str) -> CanvasGrant:
        return self._grant({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def check_key(self) -> None:
        """Prove the key's id and secret without a user: Canvas tells a bad client from a bad grant.

        Raises `LmsApiRefused` when Canvas does not accept the key.
        """
        try:
            self.refresh("proficiency-bridge-key-check")
        except GrantRefused:
            return

    def _grant(self, form: dict[str, str]) -> CanvasGrant:
        response = self.http.post(
            self.token_url,
            data={**form, "client_id": self.client_id, "client_secret": self._secret},
            headers={"Accept": "application/json"},
            expected=(200, 400, 401),
        )
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or not body.get("access_token"):
            error = str(body.get("error") or "no_access_token")
            said = str(body.get("error_description") or error)
            if error == "invalid_grant":
                raise GrantRefused(
                    "Canvas refused the authorisation (revoked, already used or expired); the teacher "
                    "authorises Proficiency Bridge again",
                    missing="a teacher's authorisation",
                    url=self.token_url,
                    status=response.status_code,
                    platform_message=said,
                )
            raise LmsApiRefused(
                f"Canvas refused the developer key {self.client_id} ({error}); check its id and secret "
                "(Admin > Developer Keys) and that the key is on",
                missing="a valid developer key",
                url=self.token_url,
                status=response.status_code,
                platform_message=said,
            )
        found = body.get("user")
        user: dict[str, Any] = found if isinstance(found, dict) else {}
        try:
            lifetime = float(body.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 3600.0
        return CanvasGrant(
            access_token=str(body["access_token"]),
            refresh_token=str(body.get("refresh_token") or ""),
            expires_at=utcnow() + timedelta(seconds=lifetime),
            user_id=str(user.get("id") or ""),
            user_name=str(user.get("name") or ""),
        )


class StaticToken:
    """An admin's (or any personal) access token: it does not expire and cannot be renewed."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "<StaticToken>"

    def bearer(self) -> str:
        return self._token

    def renew(self) -> bool:
        return False


class TeacherTokens:
    """A teacher's OAuth grant: the current access token, refreshed when it expires or is refused."""

    def __init__(
        self,
        oauth: CanvasOAuth,
        authorization: UserAuthorization,
        *,
        database: Database,
        box: SecretBox,
        platform_id: int,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._oauth = oauth
        self._refresh_token = authorization.refresh_token
        self._access = authorization.access_token
        self._expires_at = authorization.access_expires_at
        self.user_id = authorization.user_id
        self._database = database
        self._box = box
        self._platform_id = platform_id
        self._clock = clock
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<TeacherTokens user {self.user_id}>"

    def bearer(self) -> str:
        with self._lock:
            if (
                not self._access
                or self._expires_at is None
                or self._expires_at - EXPIRY_MARGIN <= self._clock()
            ):
                self._refresh()
            return self._access

    def renew(self) -> bool:
        with self._lock:
            self._refresh()
        return True

    def _refresh(self) -> None:
        try:
            grant = self._oauth.refresh(self._refresh_token)
        except GrantRefused:
            with self._database.begin() as session:
                forget_user_authorization(session, platform_id=self._platform_id, user_id=self.user_id)
            raise LmsAuthorizationRequired(
                "Canvas no longer accepts this teacher's authorisation of Proficiency Bridge (it was "
                "revoked or expired); the teacher opens the tool from Canvas to authorise it again"
            ) from None
        self._access, self._expires_at = grant.access_token, grant.expires_at
        with self._database.begin() as session:
            save_access_token(
                session,
                self._box,
                platform_id=self._platform_id,
                user_id=self.user_id,
                access_token=grant.access_token,
                expires_at=grant.expires_at,
            )
