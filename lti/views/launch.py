"""The LTI endpoints platforms are configured with: login, launch, JWKS, Canvas JSON, health."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import text

from bridge.freshness import needs_sync
from bridge.runs import start_run
from lti.launch import Audience
from lti.launch_service import complete_launch
from lti.launch_validation import LaunchCheck, LaunchValidator
from lti.login import begin_login, parse_state, state_cookie_name
from lti.services import services
from lti.tool_config import canvas_configuration
from lti.web_session import SESSION_COOKIE, SESSION_PARAM
from pbridge.errors import LaunchError
from store.launch_sessions import SESSION_LIFETIME
from store.platforms import RegistrationStatus
from store.registrations import add_deployment, get_platform
from store.tool_keys import ensure_current_key, published_jwks

bp = Blueprint("launch", __name__)


def _cookie_options() -> dict[str, Any]:
    """`Secure; SameSite=None; Partitioned` on HTTPS (the iframe is third-party); Lax on plain HTTP."""
    if services().settings.is_https:
        return {"secure": True, "httponly": True, "samesite": "None", "partitioned": True}
    return {"secure": False, "httponly": True, "samesite": "Lax"}


@bp.route("/lti/login", methods=["GET", "POST"])
def login() -> Response:
    params = {key: value for key, value in request.values.items()}
    s = services()
    login_redirect = begin_login(
        s.registrations, params, base_url=s.settings.base_url, secret_key=s.settings.secret_key
    )
    in_frame = request.headers.get("Sec-Fetch-Dest") == "iframe"
    if login_redirect.storage_target or in_frame:
        response = make_response(
            render_template(
                "launch/login.html",
                auth_url=login_redirect.auth_url,
                state=login_redirect.state,
                nonce=login_redirect.nonce,
                storage_target=login_redirect.storage_target or "",
                platform_origin=login_redirect.platform_origin,
                relaunch_url=request.url if request.method == "GET" else "",
            )
        )
    else:
        response = redirect(login_redirect.auth_url, code=302)
    options = _cookie_options()
    response.set_cookie(state_cookie_name(login_redirect.state), login_redirect.state, max_age=600, **options)
    if in_frame or login_redirect.storage_target:
        # a readable twin, so the page's script can tell whether the browser keeps our cookies
        response.set_cookie("pb_cookie_check", "1", max_age=600, **{**options, "httponly": False})
    return response


@bp.post("/lti/launch")
def launch() -> Response | tuple[str, int]:
    id_token = request.form.get("id_token", "")
    state = request.form.get("state", "")
    if not state:
        raise LaunchError("the launch has no state", claim="state")
    storage_target = parse_state(state)
    proven = request.cookies.get(state_cookie_name(state))
    if proven is None and storage_target:
        proven = request.form.get("storage_state") or None
        if proven is None and not request.form.get("storage_checked"):
            # third-party cookie blocked: ask the platform's storage (postMessage) for the state
            return render_template(
                "launch/verify_storage.html",
                id_token=id_token,
                state=state,
                storage_target=storage_target,
                platform_origin=_platform_origin_of(id_token),
            ), 200
    if proven is None:
        raise LaunchError(
            "this browser blocked the tool's cookie, so the launch cannot be verified. "
            "Ask your LMS administrator to open Proficiency Bridge in a new window, "
            "or allow cookies for this site",
            claim="state",
        )

    s = services()
    validator = LaunchValidator(
        registrations=s.registrations,
        key_sets=s.key_sets,
        nonces=s.nonces,
        secret_key=s.settings.secret_key,
        record_deployment=_record_deployment,
        leeway=s.settings.clock_leeway,
    )
    valid = validator.validate(LaunchCheck(id_token=id_token, state=state, proven_state=proven))
    with s.database.begin() as session:
        launch_session = complete_launch(session, valid)
        token = launch_session.token
        course_id = launch_session.course_id
    if course_id is not None and valid.audience in (Audience.TEACHER, Audience.STUDENT):
        _refresh_if_stale(course_id)
    if valid.audience == Audience.NONE and not valid.is_admin:
        return render_template("launch/not_for_role.html"), 403
    if valid.is_deep_linking:
        target = url_for("teacher.deep_link", **{SESSION_PARAM: token})
        if valid.audience != Audience.TEACHER and not valid.is_admin:
            return render_template("launch/not_for_role.html"), 403
    elif valid.audience == Audience.TEACHER:
        target = url_for("teacher.home", **{SESSION_PARAM: token})
    elif valid.audience == Audience.STUDENT:
        target = url_for("student.home", **{SESSION_PARAM: token})
    else:
        target = url_for("admin.home", **{SESSION_PARAM: token})
    response = redirect(target, code=303)
    response.delete_cookie(
        state_cookie_name(state), **{k: v for k, v in _cookie_options().items() if k != "httponly"}
    )
    response.set_cookie(
        SESSION_COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds()), **_cookie_options()
    )
    return response


def _refresh_if_stale(course_id: int) -> None:
    """Start a background sync when the course's standings are older than the setting allows."""
    s = services()
    minutes = s.settings.launch_sync_minutes
    if minutes <= 0 or not needs_sync(s.database, course_id, max_age=timedelta(minutes=minutes)):
        return
    run_id = start_run(s.database, [course_id], trigger="launch")
    s.dispatcher.dispatch(run_id)


def _record_deployment(platform_id: int, deployment_id: str, status: RegistrationStatus) -> None:
    with services().database.begin() as session:
        add_deployment(session, get_platform(session, platform_id), deployment_id, status=status)
    services().registrations.forget()


def _platform_origin_of(id_token: str) -> str:
    """The origin of the platform's OIDC auth URL, as at login (LTI Platform Storage's target
    origin; Canvas's issuer is not where its pages live). Unverified: used only to filter."""
    from lti.launch_validation import _decode_unverified

    try:
        _, claims = _decode_unverified(id_token)
    except LaunchError:
        return ""
    issuer = str(claims.get("iss", ""))
    audience = claims.get("aud", "")
    client_id = str(audience[0] if isinstance(audience, list) and audience else audience)
    found = services().registrations.find(issuer, client_id)
    url = found.auth_login_url if found is not None else issuer
    parts = url.split("/")
    return "/".join(parts[:3]) if len(parts) >= 3 else ""


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    s = services()
    with s.database.begin() as session:
        ensure_current_key(session, s.secret_box)
        body = published_jwks(session)
    return jsonify(body)


@bp.get("/lti/canvas.json")
def canvas_config() -> Response:
    return jsonify(canvas_configuration(services().settings.base_url))


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    s = services()
    report: dict[str, str] = {}
    healthy = True
    try:
        with s.database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        report["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - a health check reports, never raises
        current_app.logger.warning("healthz: database failed: %s", type(error).__name__)
        report["database"] = "unavailable"
        healthy = False
    if s.redis is not None:
        try:
            s.redis.ping()
            report["redis"] = "ok"
        except Exception as error:  # noqa: BLE001 - a health check reports, never raises
            current_app.logger.warning("healthz: redis failed: %s", type(error).__name__)
            report["redis"] = "unavailable"
            healthy = False
    else:
        report["redis"] = "not configured"
    report["status"] = "ok" if healthy else "degraded"
    return jsonify(report), 200 if healthy else 503
