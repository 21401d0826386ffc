"""Deep Linking 2.0: the platform's end of the return trip.

The tool posts a signed `LtiDeepLinkingResponse` JWT to the `deep_link_return_url` the
request carried. The platform checks it as strictly as a tool checks an id_token -- the
tool's key from its JWKS, `iss` = client_id, `aud` = the platform's issuer, a fresh single-use
nonce, the same deployment, the request's `data` echoed -- and only then places the content:
resource links (with a line item owned by the tool when the item asks for one), HTML
fragments, links. Schoology accepts only resource links and HTML.
"""

from __future__ import annotations

import time
from typing import Any

import jwt
from flask import Blueprint, Response, jsonify, request
from markupsafe import escape

from sandbox.current import current_state
from sandbox.flavours import Flavour
from sandbox.launches import DeepLinkRequest
from sandbox.pages import wants_json
from sandbox.refusals import Refusal
from sandbox.registry import ResourceLink
from sandbox.service_access import is_number
from sandbox.tool_keys import ToolKeyError

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
IAT_LEEWAY = 60


def blueprint(flavour: Flavour) -> Blueprint:
    bp = Blueprint("deep_linking", __name__)
    bp.add_url_rule("/sandbox/deep_linking/<request_id>", "return", receive_response, methods=["POST"])
    return bp


def receive_response(request_id: str) -> Response | str:
    state = current_state()
    pending = state.launches.deep_link(request_id)
    if pending is None:
        raise Refusal(400, "this deep linking request is unknown or was already answered")
    token = request.form.get("JWT")
    if not token:
        raise Refusal(400, "the deep linking response must be posted as the form field JWT")
    claims = _verified_claims(token, pending)
    items = _content_items(claims, pending)
    if state.launches.close_deep_link(request_id) is None:
        raise Refusal(400, "this deep linking request was answered by a concurrent response")
    placed = [_place(item, pending) for item in items]
    summary = {
        "placed": placed,
        "msg": claims.get(DL + "msg"),
        "log": claims.get(DL + "log"),
        "errormsg": claims.get(DL + "errormsg"),
    }
    if wants_json():
        return jsonify(summary)
    rows = "".join(f"<li>{escape(entry['type'])}: {escape(entry['title'])}</li>" for entry in placed)
    message = escape(summary["msg"] or "")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Content added</title>'
        f"</head><body><h1>Added {len(placed)} item(s)</h1><p>{message}</p><ul>{rows}</ul>"
        "</body></html>"
    )


def _verified_claims(token: str, pending: DeepLinkRequest) -> dict[str, Any]:
    state = current_state()
    tool = state.tools.get(pending.client_id)
    if tool is None:
        raise Refusal(400, f"the tool {pending.client_id!r} is no longer registered")
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise Refusal(400, f"JWT is not a JWT: {error}") from None
    if header.get("alg") != "RS256":
        raise Refusal(400, f"the deep linking response must be RS256, not {header.get('alg')!r}")
    if unverified.get("iss") != tool.client_id:
        raise Refusal(400, f"iss must be the tool's client_id {tool.client_id!r}")
    try:
        key = state.tool_keys.key_for(tool, header.get("kid"))
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=state.issuer,
            options={"require": ["exp", "iat", "nonce", "aud"]},
            leeway=5,
        )
    except ToolKeyError as error:
        raise Refusal(400, str(error)) from None
    except jwt.InvalidAudienceError:
        raise Refusal(400, f"aud must be the platform's issuer {state.issuer}") from None
    except jwt.PyJWTError as error:
        raise Refusal(400, f"the deep linking response was refused: {error}") from None
    if claims["iat"] > time.time() + IAT_LEEWAY:
        raise Refusal(400, "iat is in the future")
    if claims.get(LTI + "message_type") != "LtiDeepLinkingResponse":
        raise Refusal(400, "message_type must be LtiDeepLinkingResponse")
    if claims.get(LTI + "version") != "1.3.0":
        raise Refusal(400, "version must be 1.3.0")
    if claims.get(LTI + "deployment_id") != pending.deployment_id:
        raise Refusal(400, f"deployment_id must be {pending.deployment_id!r}, as in the request")
    if claims.get(DL + "data") != pending.data:
        raise Refusal(400, "data must echo the deep linking request's data unchanged")
    nonce_key = "deep-link:" + tool.client_id
    if not state.tokens.use_jti(nonce_key, str(claims["nonce"]), until=float(claims["exp"])):
        raise Refusal(400, "nonce was already used: sign each response with a fresh nonce")
    return claims


def _content_items(claims: dict[str, Any], pending: DeepLinkRequest) -> list[dict[str, Any]]:
    items = claims.get(DL + "content_items", [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise Refusal(400, "content_items must be a list of objects")
    if len(items) > 1 and not pending.accept_multiple:
        raise Refusal(400, "the request accepted one content item, the response has several")
    for index, item in enumerate(items):
        kind = item.get("type")
        where = f"content_items[{index}]"
        if kind not in pending.accept_types:
            raise Refusal(
                400, f"{where}: type {kind!r} not accepted (accepted: {list(pending.accept_types)})"
            )
        if kind == "html" and not isinstance(item.get("html"), str):
            raise Refusal(400, f"{where}: an html item needs an 'html' string")
        if kind in ("link", "file", "image") and not isinstance(item.get("url"), str):
            raise Refusal(400, f"{where}: a {kind} item needs a 'url'")
        if kind == "ltiResourceLink":
            _check_resource_link(item, where, pending)
    return items


def _check_resource_link(item: dict[str, Any], where: str, pending: DeepLinkRequest) -> None:
    if pending.course_id is None:
        raise Refusal(400, f"{where}: a resource link needs a course; this request had none")
    if "url" in item and not isinstance(item["url"], str):
        raise Refusal(400, f"{where}: url must be a string")
    if "custom" in item and not isinstance(item["custom"], dict):
        raise Refusal(400, f"{where}: custom must be an object")
    line_item = item.get("lineItem")
    if line_item is not None:
        if not isinstance(line_item, dict):
            raise Refusal(400, f"{where}: lineItem must be an object")
        maximum = line_item.get("scoreMaximum")
        if not is_number(maximum) or maximum <= 0:
            raise Refusal(400, f"{where}: lineItem.scoreMaximum must be a number above 0")


def _place(item: dict[str, Any], pending: DeepLinkRequest) -> dict[str, Any]:
    state = current_state()
    kind = item["type"]
    title = str(item.get("title") or item.get("text") or kind)
    if kind != "ltiResourceLink":
        entry = {"type": kind, "title": title, "course_id": pending.course_id, "item": item}
        with state.lock:
            state.course_content.append(entry)
        return {"type": kind, "title": title}
    assert pending.course_id is not None
    link: ResourceLink = state.add_resource_link(
        course_id=pending.course_id,
        client_id=pending.client_id,
        deployment_id=pending.deployment_id,
        title=title,
        url=item.get("url"),
        custom=item.get("custom") or {},
        description=str(item.get("text") or ""),
        from_deep_link=True,
    )
    placed: dict[str, Any] = {"type": kind, "title": title, "resource_link_id": link.id}
    line_item = item.get("lineItem")
    if line_item is not None:
        created = state.grades.add_line_item(
            course_id=pending.course_id,
            label=str(line_item.get("label") or title),
            score_maximum=float(line_item["scoreMaximum"]),
            owner_client_id=pending.client_id,
            deployment_id=pending.deployment_id,
            resource_id=line_item.get("resourceId") or None,
            tag=line_item.get("tag") or None,
            resource_link_id=link.id,
        )
        placed["line_item_id"] = created.id
    return placed
