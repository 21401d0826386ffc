"""Deep linking responses: strict validation, then resource links and line items placed."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
import pytest

from tests.sandbox.conftest import CONTAINER, LTI, OTHER_KEY, TOOL_KEY, Platform

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"


def _request(platform: Platform) -> tuple[str, dict[str, Any], dict[str, Any]]:
    claims = platform.launch(platform.teacher, message_type="LtiDeepLinkingRequest")
    settings = claims[DL + "deep_linking_settings"]
    return settings["deep_link_return_url"], settings, claims


def _response(platform: Platform, settings: dict[str, Any], items: list[dict], **overrides: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": platform.client_id,
        "aud": platform.state.issuer,
        "iat": now,
        "exp": now + 300,
        "nonce": uuid.uuid4().hex,
        LTI + "message_type": "LtiDeepLinkingResponse",
        LTI + "version": "1.3.0",
        LTI + "deployment_id": "1",
        DL + "data": settings["data"],
        DL + "content_items": items,
        DL + "msg": "Added the quiz",
    }
    claims.update(overrides)
    key = overrides.pop("_key", TOOL_KEY)
    claims.pop("_key", None)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


QUIZ = {
    "type": "ltiResourceLink",
    "title": "Unit 2 check",
    "url": "https://tool.example/lti/launch?quiz=2",
    "custom": {"quiz": "2"},
    "lineItem": {"scoreMaximum": 4, "label": "Unit 2 check", "tag": "proficiency"},
}


def test_a_valid_response_places_a_link_and_a_line_item_the_tool_owns(canvas: Platform) -> None:
    url, settings, _ = _request(canvas)
    response = canvas.http.post(
        url, data={"JWT": _response(canvas, settings, [QUIZ])}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200, response.text
    placed = response.json()["placed"][0]
    link = canvas.state.resource_links[placed["resource_link_id"]]
    assert link.title == "Unit 2 check" and link.custom == {"quiz": "2"} and link.from_deep_link
    headers = canvas.bearer()
    items = canvas.http.get(canvas.line_items_url(), headers={**headers, "Accept": CONTAINER}).json()
    assert [(i["label"], i["resourceLinkId"], i["tag"]) for i in items] == [
        ("Unit 2 check", link.id, "proficiency")
    ]
    # launching the new link carries the line item claim and the link's own URL and custom
    claims = canvas.launch(canvas.teacher, resource_link=link.id)
    assert claims[LTI + "target_link_uri"] == QUIZ["url"]
    assert claims[LTI + "custom"] == {"quiz": "2"}
    assert "lineitem" in claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]


def test_the_same_request_cannot_be_answered_twice(generic: Platform) -> None:
    url, settings, _ = _request(generic)
    assert generic.http.post(url, data={"JWT": _response(generic, settings, [])}).status_code == 200
    again = generic.http.post(url, data={"JWT": _response(generic, settings, [])})
    assert again.status_code == 400


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"aud": "https://someone.else"}, "aud"),
        ({"iss": "another-tool"}, "iss"),
        ({DL + "data": "changed"}, "data"),
        ({LTI + "deployment_id": "2"}, "deployment_id"),
        ({LTI + "message_type": "LtiResourceLinkRequest"}, "message_type"),
        ({LTI + "version": "1.1"}, "version"),
        ({"nonce": None}, "nonce"),
        ({"exp": 1}, "expired"),
        ({"_key": OTHER_KEY}, "Signature"),
    ],
)
def test_bad_responses_are_refused_and_place_nothing(
    generic: Platform, overrides: dict[str, Any], complaint: str
) -> None:
    url, settings, _ = _request(generic)
    token = _response(generic, settings, [QUIZ], **overrides)
    response = generic.http.post(url, data={"JWT": token}, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert complaint in response.json()["message"]
    assert not any(link.from_deep_link for link in generic.state.resource_links.values())


def test_a_replayed_nonce_is_refused(generic: Platform) -> None:
    first_url, first_settings, _ = _request(generic)
    nonce = uuid.uuid4().hex
    token = _response(generic, first_settings, [], nonce=nonce)
    assert generic.http.post(first_url, data={"JWT": token}).status_code == 200
    url, settings, _ = _request(generic)
    replay = generic.http.post(url, data={"JWT": _response(generic, settings, [], nonce=nonce)})
    assert replay.status_code == 400


def test_schoology_accepts_only_resource_links_and_html(schoology: Platform) -> None:
    url, settings, _ = _request(schoology)
    assert settings["accept_types"] == ["ltiResourceLink", "html"]
    link = {"type": "link", "url": "https://example.org", "title": "A site"}
    refused = schoology.http.post(url, data={"JWT": _response(schoology, settings, [link])})
    assert refused.status_code == 400
    html = {"type": "html", "html": "<p>Hi</p>", "title": "Note"}
    accepted = schoology.http.post(url, data={"JWT": _response(schoology, settings, [html])})
    assert accepted.status_code == 200
    assert schoology.state.course_content[0]["item"]["html"] == "<p>Hi</p>"


def test_a_line_item_without_a_maximum_is_refused(generic: Platform) -> None:
    url, settings, _ = _request(generic)
    item = QUIZ | {"lineItem": {"label": "x"}}
    assert generic.http.post(url, data={"JWT": _response(generic, settings, [item])}).status_code == 400
