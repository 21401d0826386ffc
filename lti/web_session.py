"""Who is using the page: the launch session, found by `ls` in the URL/form or by cookie.

Every link our pages build with `url_for` carries `ls` automatically, so the tool keeps
working in an iframe whose cookies the browser blocks; forms carry a CSRF token derived from
the session, so a page on another site cannot post on a teacher's behalf.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, request

from pbridge.errors import ProficiencyBridgeError
from store.database import request_session
from store.launch_sessions import LaunchSession, find_session

SESSION_COOKIE = "pb_session"
SESSION_PARAM = "ls"
AUDIENCE_BLUEPRINTS = {"teacher", "student", "admin"}

F = TypeVar("F", bound=Callable[..., Any])


class NotSignedIn(ProficiencyBridgeError):
    status_code = 401


class Forbidden(ProficiencyBridgeError):
    status_code = 403


def current_session() -> LaunchSession | None:
    return g.get("launch_session")


def csrf_token() -> str:
    launch_session = current_session()
    if launch_session is None:
        return ""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"csrf|" + launch_session.token.encode(), hashlib.sha256).hexdigest()


def register_web_session(app: Flask) -> None:
    @app.before_request
    def _load_session() -> None:
        if request.blueprint not in AUDIENCE_BLUEPRINTS:
            return
        token = request.args.get(SESSION_PARAM) or request.form.get(SESSION_PARAM)
        token = token or request.cookies.get(SESSION_COOKIE, "")
        g.launch_session = find_session(request_session(), token) if token else None
        if request.method in {"POST", "PUT", "PATCH", "DELETE"} and g.launch_session is not None:
            sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token", "")
            if not hmac.compare_digest(sent, csrf_token()):
                abort(
                    400,
                    description="The form expired or did not come from this tool; reload the page.",
                )

    @app.url_defaults
    def _carry_session(endpoint: str, values: dict[str, Any]) -> None:
        launch_session = g.get("launch_session")
        if launch_session is None or SESSION_PARAM in values:
            return
        if endpoint.split(".", 1)[0] in AUDIENCE_BLUEPRINTS:
            values[SESSION_PARAM] = launch_session.token

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        launch_session = g.get("launch_session")
        return {
            "launch_session": launch_session,
            "csrf_token": csrf_token,
            "session_param": SESSION_PARAM,
        }


def role_required(*roles: str) -> Callable[[F], F]:
    """Let the view run only for a launch session with one of these roles.

    "admin" also admits any session whose launch carried an administrator role. A teacher or
    student session is bound to the course it was launched from.
    """

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            launch_session = current_session()
            if launch_session is None:
                raise NotSignedIn(
                    "Your session ended or was never started. Open Proficiency Bridge again from your course."
                )
            allowed = launch_session.role in roles or ("admin" in roles and launch_session.is_admin)
            if not allowed:
                raise Forbidden("This page is not available for your role in this course.")
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
