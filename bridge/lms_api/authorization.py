"""A teacher authorises Proficiency Bridge in Canvas once: the flow's two ends, as services.

    start:    a signed, single-use `state` naming the platform, the teacher and the course,
              and the Canvas URL the teacher's browser opens (in a new window: Canvas's login
              and consent pages refuse to be framed)
    callback: the state checked (signature, age, first use), the code redeemed, the refresh
              token sealed for the teacher

The callback carries no session of ours (it arrives in that new window, where the iframe's
partitioned cookies are not visible), so everything it needs travels in the signed state.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from bridge.context import Bridge
from bridge.lms_api.connection import CourseApi, canvas_oauth, course_api
from bridge.lms_api.errors import LmsAuthorizationFailed, LmsNotConnected
from store.lms_credentials import save_user_authorization, user_authorization
from store.people import User
from store.platforms import Preset

STATE_SALT = "pbridge-canvas-oauth"
#: how long the teacher has to log in and consent, seconds
STATE_MAX_AGE = 900


@dataclass(frozen=True)
class CanvasConnected:
    """A completed authorisation: who, for which course, as which Canvas user."""

    user_id: int
    course_id: int
    canvas_user_id: str
    canvas_user_name: str


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=STATE_SALT)


def _canvas_api(bridge: Bridge, course_id: int) -> CourseApi:
    with bridge.database.begin() as session:
        api = course_api(session, bridge.secret_box, course_id)
    if api is None or api.kind is not Preset.CANVAS or not api.secrets.has_developer_key:
        raise LmsNotConnected(
            "Canvas sign-in is not set up for this platform: an admin enters the Canvas developer key "
            "with `pbridge lms connect canvas --platform ID --client-id ...`"
        )
    return api


def canvas_authorization_needed(bridge: Bridge, *, course_id: int, user_id: int) -> bool:
    """Whether this teacher should be sent through Canvas's consent once before reading the course.

    Only on Canvas with a developer key, without an admin token, and only until the teacher
    has authorised.
    """
    with bridge.database.begin() as session:
        try:
            api = course_api(session, bridge.secret_box, course_id)
        except LmsNotConnected:
            return False
        if (
            api is None
            or api.kind is not Preset.CANVAS
            or api.secrets.token
            or not api.secrets.has_developer_key
        ):
            return False
        found = user_authorization(session, bridge.secret_box, platform_id=api.platform.id, user_id=user_id)
    return found is None


def canvas_authorization_url(
    bridge: Bridge, *, course_id: int, user_id: int, redirect_uri: str, secret_key: str
) -> str:
    """The Canvas consent URL for this teacher, with a fresh signed state."""
    api = _canvas_api(bridge, course_id)
    oauth = canvas_oauth(bridge, api)
    assert oauth is not None  # _canvas_api checked the developer key
    state = _serializer(secret_key).dumps(
        {"p": api.platform.id, "u": user_id, "c": course_id, "n": secrets.token_urlsafe(16)}
    )
    return oauth.authorize_url(redirect_uri=redirect_uri, state=state)


def complete_canvas_authorization(
    bridge: Bridge,
    *,
    code: str,
    state: str,
    redirect_uri: str,
    secret_key: str,
    first_use: Callable[[str], bool],
) -> CanvasConnected:
    """Redeem Canvas's code and keep the teacher's refresh token sealed.

    `first_use(nonce)` records the state's nonce and says whether it is new (the web app's
    nonce store), so a callback URL replayed from history or a log changes nothing.
    Raises `LmsAuthorizationFailed` for an expired, altered or replayed state.
    """
    try:
        data = _serializer(secret_key).loads(state, max_age=STATE_MAX_AGE)
    except SignatureExpired:
        raise LmsAuthorizationFailed(
            "the Canvas sign-in took too long; close this window and start again from the tool"
        ) from None
    except BadSignature:
        raise LmsAuthorizationFailed(
            "this sign-in answer was not started by Proficiency Bridge (its state is not ours); "
            "start again from the tool"
        ) from None
    if not isinstance(data, dict) or not {"p", "u", "c", "n"} <= set(data):
        raise LmsAuthorizationFailed("this sign-in answer's state is incomplete; start again from the tool")
    if not code:
        raise LmsAuthorizationFailed("Canvas sent no authorisation code; start again from the tool")
    if not first_use(str(data["n"])):
        raise LmsAuthorizationFailed(
            "this sign-in answer was already used; if Proficiency Bridge is not connected, start again"
        )
    api = _canvas_api(bridge, int(data["c"]))
    if api.platform.id != int(data["p"]):
        raise LmsAuthorizationFailed(
            "this sign-in answer belongs to another Canvas; start again from the tool"
        )
    oauth = canvas_oauth(bridge, api)
    assert oauth is not None
    grant = oauth.redeem(code, redirect_uri)
    with bridge.database.begin() as session:
        save_user_authorization(
            session,
            bridge.secret_box,
            platform_id=api.platform.id,
            user_id=int(data["u"]),
            lms_user_id=grant.user_id,
            refresh_token=grant.refresh_token,
            access_token=grant.access_token,
            access_expires_at=grant.expires_at,
        )
        user = session.get(User, int(data["u"]))
        if user is not None and grant.user_id and not user.lms_user_id:
            user.lms_user_id = grant.user_id
    return CanvasConnected(
        user_id=int(data["u"]),
        course_id=int(data["c"]),
        canvas_user_id=grant.user_id,
        canvas_user_name=grant.user_name,
    )
