"""The OAuth 2 token endpoint (client credentials with a signed JWT assertion) and bearer checks.

Per the 1EdTech Security Framework the tool authenticates with a JWT signed by its own key:
the platform fetches the tool's JWKS, checks the signature (RS256 only), `iss` = `sub` =
client_id, `aud` = this token URL, `exp`, `iat`, and that the `jti` was never used. Moodle
checks neither `aud` nor `jti` and answers JSON labelled `text/html`; Canvas refuses an
`aud` that differs from its token URL by a trailing slash. Moodle grants the intersection
of what was asked and what is allowed; the others refuse any scope not granted.
"""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
from flask import Blueprint, Response, request

from sandbox.access import Grant
from sandbox.canvas_oauth import issue_api_token
from sandbox.current import current_state
from sandbox.flavours import Flavour
from sandbox.refusals import Refusal
from sandbox.registry import AGS_LINEITEM, ToolRegistration
from sandbox.tool_keys import ToolKeyError

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: how far in the future an assertion's `iat` may be, seconds (clock skew)
IAT_LEEWAY = 60


def blueprint(flavour: Flavour) -> Blueprint:
    bp = Blueprint("tokens", __name__)
    bp.add_url_rule(flavour.token_path, "token", issue_token, methods=["POST"])
    return bp


def issue_token() -> Response:
    state = current_state()
    form = request.form
    if state.flavour.name == "canvas" and form.get("grant_type") in ("authorization_code", "refresh_token"):
        return issue_api_token()  # Canvas's REST API OAuth shares the LTI token URL
    if form.get("grant_type") != "client_credentials":
        raise Refusal(400, "grant_type must be client_credentials", error="unsupported_grant_type")
    if form.get("client_assertion_type") != JWT_BEARER:
        raise Refusal(400, f"client_assertion_type must be {JWT_BEARER}")
    assertion = form.get("client_assertion")
    if not assertion:
        raise Refusal(400, "client_assertion is missing")
    requested = form.get("scope", "").split()
    if not requested:
        raise Refusal(400, "scope is missing: ask for the AGS/NRPS scopes you need", error="invalid_scope")
    tool = _authenticate(assertion, form.get("client_id"))
    granted = _grant_scopes(tool, requested)
    grant = state.tokens.issue(tool.client_id, granted)
    body = {
        "access_token": grant.token,
        "token_type": "Bearer",
        "expires_in": state.tokens.lifetime,
        "scope": " ".join(sorted(granted)),
    }
    content_type = "text/html; charset=utf-8" if state.flavour.name == "moodle" else ("application/json")
    return Response(json.dumps(body), status=200, content_type=content_type)


def _authenticate(assertion: str, form_client_id: str | None) -> ToolRegistration:
    """The tool the assertion proves to be; Refusal(401, invalid_client) otherwise."""
    state = current_state()
    moodle = state.flavour.name == "moodle"
    try:
        header = jwt.get_unverified_header(assertion)
        unverified: dict[str, Any] = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise _invalid_client(f"client_assertion is not a JWT: {error}") from None
    if header.get("alg") != "RS256":
        raise _invalid_client(f"client_assertion must be signed RS256, not {header.get('alg')!r}")
    client_id = unverified.get("iss")
    if not isinstance(client_id, str) or state.tool(client_id) is None:
        raise _invalid_client(f"client_assertion iss {client_id!r} is not a registered client_id")
    if unverified.get("sub") != client_id:
        raise _invalid_client("client_assertion sub must equal iss (the client_id)")
    if form_client_id and form_client_id != client_id:
        raise _invalid_client("client_id does not match the client_assertion's iss")
    tool = state.tools[client_id]
    try:
        key = state.tool_keys.key_for(tool, header.get("kid"))
        claims = jwt.decode(
            assertion,
            key,
            algorithms=["RS256"],
            options={"verify_aud": False, "require": ["exp", "iat"]},
            leeway=5,
        )
    except ToolKeyError as error:
        raise _invalid_client(str(error)) from None
    except jwt.PyJWTError as error:
        raise _invalid_client(f"client_assertion refused: {error}") from None
    if claims["iat"] > time.time() + IAT_LEEWAY:
        raise _invalid_client("client_assertion iat is in the future")
    if not moodle:
        _check_audience(claims.get("aud"))
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise _invalid_client("client_assertion has no jti")
        if not state.tokens.use_jti(client_id, jti, until=float(claims["exp"])):
            raise _invalid_client(f"client_assertion jti {jti!r} was already used")
    return tool


def _check_audience(aud: Any) -> None:
    state = current_state()
    audiences = aud if isinstance(aud, list) else [aud]
    token_url = state.token_url
    if state.flavour.name == "canvas":
        accepted = token_url in audiences
    else:
        accepted = any(isinstance(a, str) and a.rstrip("/") == token_url for a in audiences)
    if not accepted:
        raise _invalid_client(f"client_assertion aud {aud!r} must be the token URL {token_url}")


def _grant_scopes(tool: ToolRegistration, requested: list[str]) -> frozenset[str]:
    state = current_state()
    allowed = set(tool.scopes)
    if state.grade_sync_only:
        allowed.discard(AGS_LINEITEM)
    if state.flavour.name == "moodle":
        granted = frozenset(scope for scope in requested if scope in allowed)
        if not granted:
            raise Refusal(400, "none of the requested scopes is allowed", error="invalid_scope")
        return granted
    refused = [scope for scope in requested if scope not in allowed]
    if refused:
        raise Refusal(
            400,
            f"scopes not granted to client {tool.client_id!r}: {' '.join(refused)}",
            error="invalid_scope",
        )
    return frozenset(requested)


def _invalid_client(message: str) -> Refusal:
    return Refusal(401, message, error="invalid_client")


def require_grant(*any_of: str) -> Grant:
    """The bearer token's grant if it carries one of `any_of`; a Refusal otherwise.

    Canvas and Moodle answer a missing scope with 401, the spec's others with 403.
    """
    state = current_state()
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refusal(
            401,
            "missing access token: send Authorization: Bearer <token from the token endpoint>",
            error="unauthorized",
            headers={"WWW-Authenticate": 'Bearer realm="sandbox"'},
        )
    grant = state.tokens.grant(token.strip())
    if grant is None or state.tool(grant.client_id) is None:
        raise Refusal(
            401,
            "the access token is unknown or expired: ask the token endpoint for a new one",
            error="unauthorized",
            headers={"WWW-Authenticate": 'Bearer realm="sandbox", error="invalid_token"'},
        )
    if not grant.scopes.intersection(any_of):
        status = 401 if state.flavour.name in ("canvas", "moodle") else 403
        raise Refusal(
            status,
            f"insufficient permissions: this call needs one of the scopes {' '.join(any_of)}",
            error="unauthorized" if status == 401 else "insufficient_scope",
            headers={"WWW-Authenticate": 'Bearer realm="sandbox", error="insufficient_scope"'},
        )
    return grant
