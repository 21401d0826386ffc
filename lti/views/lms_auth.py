"""Connecting a teacher's Canvas account: the OAuth 2 authorization-code flow, from a launch.

    teacher.home (first time)  -> /lms/canvas            why, and a button that opens a new window
    new window                 -> /lms/canvas/start      -> Canvas's login and consent
    Canvas                     -> /lms/canvas/callback   code redeemed, refresh token kept sealed

Canvas refuses to show its login and consent pages inside the LMS's iframe, so the flow runs
in a window of its own; when it ends that window tells the tool's page (postMessage, same
origin) and closes. A teacher who has not authorised is sent to /lms/canvas once per visit to
their home page, and may choose "Not now". Only on Canvas with a developer key entered and no
admin token: with an admin token nobody needs to authorise.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from bridge.context import Bridge
from bridge.lms_api.authorization import (
    STATE_MAX_AGE,
    canvas_authorization_needed,
    canvas_authorization_url,
    complete_canvas_authorization,
)
from lti.services import services
from lti.web_session import SESSION_COOKIE, SESSION_PARAM, Forbidden, NotSignedIn
from store.database import request_session
from store.launch_sessions import LaunchSession, find_session

bp = Blueprint("lms_auth", __name__, url_prefix="/lms")

LATER = "later"


def _bridge() -> Bridge:
    return services().dispatcher.bridge


def _callback_url() -> str:
    return services().settings.base_url + "/lms/canvas/callback"


def _teacher_session() -> LaunchSession:
    """The teacher's launch session (by `ls` or cookie), bound to a course."""
    token = request.args.get(SESSION_PARAM) or request.cookies.get(SESSION_COOKIE, "")
    found = find_session(request_session(), token) if token else None
    if found is None:
        raise NotSignedIn(
            "Your session ended or was never started. Open Proficiency Bridge again from your course."
        )
    if found.role != "teacher" or found.course_id is None:
        raise Forbidden(
            "Connecting Canvas is for a course's teachers: open Proficiency Bridge from your course."
        )
    g.launch_session = found
    return found


def _needed(launch_session: LaunchSession) -> bool:
    assert launch_session.course_id is not None
    return canvas_authorization_needed(
        _bridge(), course_id=launch_session.course_id, user_id=launch_session.user_id
    )


@bp.before_app_request
def _send_teacher_through_canvas_once() -> Response | None:
    """On the teacher's home page, a teacher Canvas has not authorised goes to /lms/canvas first."""
    if request.endpoint != "teacher.home" or request.method != "GET" or request.args.get("lms_auth") == LATER:
        return None
    launch_session: LaunchSession | None = g.get("launch_session")
    if launch_session is None or launch_session.role != "teacher" or launch_session.course_id is None:
        return None
    if not canvas_authorization_needed(
        _bridge(), course_id=launch_session.course_id, user_id=launch_session.user_id
    ):
        return None
    return redirect(url_for("lms_auth.canvas", **{SESSION_PARAM: launch_session.token}), code=303)


@bp.get("/canvas")
def canvas() -> str:
    launch_session = _teacher_session()
    assert launch_session.course_id is not None
    needed = canvas_authorization_needed(
        _bridge(), course_id=launch_session.course_id, user_id=launch_session.user_id
    )
    token = launch_session.token
    return render_template(
        "lms_auth/connect.html",
        needed=needed,
        start_url=url_for("lms_auth.start", **{SESSION_PARAM: token}),
        home_url=url_for("teacher.home", lms_auth=LATER, **{SESSION_PARAM: token}),
    )


@bp.get("/canvas/start")
def start() -> Response:
    launch_session = _teacher_session()
    assert launch_session.course_id is not None
    url = canvas_authorization_url(
        _bridge(),
        course_id=launch_session.course_id,
        user_id=launch_session.user_id,
        redirect_uri=_callback_url(),
        secret_key=services().settings.secret_key,
    )
    return redirect(url, code=302)


@bp.get("/canvas/callback")
def callback() -> str:
    if request.args.get("error"):
        return render_template("lms_auth/declined.html", error=request.args["error"])
    s = services()
    connected = complete_canvas_authorization(
        _bridge(),
        code=request.args.get("code", ""),
        state=request.args.get("state", ""),
        redirect_uri=_callback_url(),
        secret_key=s.settings.secret_key,
        first_use=lambda nonce: s.nonces.consume("canvas-oauth", nonce, ttl_seconds=STATE_MAX_AGE),
    )
    return render_template("lms_auth/connected.html", name=connected.canvas_user_name)
