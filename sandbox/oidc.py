"""Launching: login initiation, the OIDC authentication endpoint, and the platform's JWKS.

The authentication endpoint is as strict as the OIDC third-party-initiated-login profile of
LTI 1.3 asks: every parameter checked, the hints issued at login initiation redeemed once,
the redirect URI one the tool registered. Each refusal is a 400 saying what was wrong.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from markupsafe import escape

from sandbox.claims import launch_claims
from sandbox.current import current_state
from sandbox.flavours import Flavour
from sandbox.launches import DEEP_LINKING_REQUEST, PendingLaunch
from sandbox.pages import auto_submit_form, launch_frame_page, storage_frame_page, wants_json
from sandbox.refusals import Refusal
from sandbox.tampering import tampered_token

REQUIRED_AUTH_PARAMS = (
    "scope",
    "response_type",
    "response_mode",
    "prompt",
    "client_id",
    "redirect_uri",
    "login_hint",
    "lti_message_hint",
    "state",
    "nonce",
)
EXPECTED_VALUES = {
    "scope": "openid",
    "response_type": "id_token",
    "response_mode": "form_post",
    "prompt": "none",
}


def blueprint(flavour: Flavour) -> Blueprint:
    bp = Blueprint("oidc", __name__)
    bp.add_url_rule("/sandbox/launch", "launch", start_launch, methods=["GET"])
    bp.add_url_rule(flavour.auth_path, "auth", authenticate, methods=["GET", "POST"])
    bp.add_url_rule(flavour.jwks_path, "jwks", jwks, methods=["GET"])
    bp.add_url_rule("/sandbox/platform_storage", "storage", storage_frame, methods=["GET"])
    bp.add_url_rule("/sandbox/return", "return", launch_return, methods=["GET"])
    return bp


def start_launch() -> Response | tuple[str, int] | str:
    """`GET /sandbox/launch?course=&user=[&resource_link=&message_type=&client_id=...]`."""
    state = current_state()
    args = request.args
    if not args.get("user"):
        raise Refusal(400, "say who launches: /sandbox/launch?user=<id>&course=<id>")
    flavour = state.flavour.name
    document_target = args.get("document_target") or ("iframe" if flavour == "canvas" else "window")
    if document_target not in ("iframe", "window"):
        raise Refusal(400, f"document_target must be iframe or window, not {document_target!r}")
    try:
        initiation = state.begin_launch(
            user=args["user"],
            course=args.get("course") or None,
            resource_link=args.get("resource_link") or None,
            message_type=args.get("message_type") or "LtiResourceLinkRequest",
            client_id=args.get("client_id") or None,
            deployment_id=args.get("deployment_id") or None,
            document_target=document_target,
        )
    except (LookupError, ValueError) as error:
        raise Refusal(400, f"cannot launch: {error.args[0]}") from None
    if wants_json():
        return jsonify(initiation.as_json())
    if flavour == "canvas" and document_target == "iframe":
        return launch_frame_page(
            title=f"Course {args.get('course') or ''} — sandbox Canvas",
            action=initiation.url,
            fields=initiation.params,
            storage_url=state.url("/sandbox/platform_storage"),
        )
    return auto_submit_form(initiation.url, initiation.params)


def authenticate() -> Response | str:
    """The OIDC authentication request: check it, answer a form_post of id_token + state."""
    state = current_state()
    params = request.values
    missing = [name for name in REQUIRED_AUTH_PARAMS if not params.get(name)]
    if missing:
        raise Refusal(400, f"the authentication request lacks {', '.join(missing)}")
    for name, expected in EXPECTED_VALUES.items():
        if params[name] != expected:
            raise Refusal(400, f"{name} must be {expected!r}, not {params[name]!r}")
    tool = state.tool(params["client_id"])
    if tool is None:
        raise Refusal(400, f"client_id {params['client_id']!r} is not a registered tool")
    if params["redirect_uri"] not in tool.redirect_uris:
        raise Refusal(
            400,
            f"redirect_uri {params['redirect_uri']!r} is not registered for client "
            f"{tool.client_id!r} (registered: {', '.join(tool.redirect_uris)})",
        )
    pending = state.launches.peek(params["lti_message_hint"])
    if pending is None:
        raise Refusal(400, "lti_message_hint is unknown, expired or already used: start the launch again")
    if pending.client_id != tool.client_id:
        raise Refusal(400, "client_id does not match the one the login initiation was sent to")
    if params["login_hint"] != pending.login_hint:
        raise Refusal(400, "login_hint does not match the one the platform sent")
    if state.launches.redeem(params["lti_message_hint"]) is None:
        raise Refusal(400, "lti_message_hint was used by a concurrent request")
    id_token = _id_token(pending, params["nonce"])
    fields = {"id_token": id_token, "state": params["state"]}
    if state.flavour.name == "canvas" and pending.document_target == "iframe":
        fields["lti_storage_target"] = "post_message_forwarding"
    if wants_json():
        return jsonify({"action": params["redirect_uri"], "method": "POST", "params": fields})
    return auto_submit_form(params["redirect_uri"], fields)


def _id_token(pending: PendingLaunch, nonce: str) -> str:
    state = current_state()
    deep_link = None
    if pending.message_type == DEEP_LINKING_REQUEST:
        deep_link = state.launches.open_deep_link(
            client_id=pending.client_id,
            deployment_id=pending.deployment_id,
            course_id=pending.course_id,
            user_id=pending.user_id,
            data=state.opaque_id("deep_link", pending.message_hint),
            accept_types=state.flavour.accept_types,
            accept_presentation_document_targets=("iframe", "window"),
            accept_multiple=True,
            auto_create=True,
        )
    claims = launch_claims(state, pending, nonce, deep_link)
    previous_nonce = state.tampering.remember_nonce(nonce)
    tampering = state.tampering.pop()
    if tampering is None:
        return state.keys.sign(claims)
    return tampered_token(claims, tampering, state.keys, previous_nonce=previous_nonce)


def jwks() -> Response:
    response = jsonify(current_state().keys.jwks())
    response.headers["Cache-Control"] = "max-age=300"
    return response


def storage_frame() -> str:
    return storage_frame_page()


def launch_return() -> str:
    course = escape(request.args.get("course", ""))
    message = escape(request.args.get("lti_msg", ""))
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Back in the course'
        f"</title></head><body><h1>Back in course {course}</h1>"
        f"<p>{message}</p></body></html>"
    )
