"""Launches: login initiation per flavour, a strict auth endpoint, complete claims, tampering."""

from __future__ import annotations

import base64
import html
import json
import time
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest

from sandbox import create_app, serve
from sandbox.faults import FaultRule
from sandbox.keys import KeyRing
from sandbox.tampering import Tampering
from tests.sandbox.conftest import (
    AGS_CLAIM,
    LTI,
    NRPS_CLAIM,
    REDIRECT_URI,
    Platform,
    build_platform,
    verify_platform_token,
)


def test_a_launch_carries_every_claim_a_tool_needs(platform: Platform) -> None:
    claims = platform.launch(platform.teacher)
    state = platform.state
    assert claims["iss"] == state.issuer
    assert claims["aud"] == "tool-1"
    assert claims["sub"] == platform.teacher.sub
    assert claims["exp"] > claims["iat"]
    assert claims["nonce"].startswith("nonce-")
    assert claims[LTI + "message_type"] == "LtiResourceLinkRequest"
    assert claims[LTI + "version"] == "1.3.0"
    assert claims[LTI + "deployment_id"] == "1"
    assert claims[LTI + "resource_link"]["id"]
    assert "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor" in claims[LTI + "roles"]
    assert claims[LTI + "context"]["id"] == platform.course.context_id
    assert claims[LTI + "context"]["title"] == "Algebra I"
    assert claims[LTI + "lis"] == {"person_sourcedid": "tch-1", "course_section_sourcedid": "sec-1"}
    assert claims[LTI + "tool_platform"]["product_family_code"]
    assert claims[LTI + "launch_presentation"]["return_url"].startswith(state.base_url)
    assert claims[AGS_CLAIM]["lineitems"].startswith(state.base_url)
    assert claims[NRPS_CLAIM]["service_versions"] == ["2.0"]
    assert claims["email"] == platform.teacher.email


def test_login_initiation_per_flavour(platform: Platform) -> None:
    params = platform.login_initiation(platform.students[0])
    assert params["iss"] == platform.state.issuer
    assert params["client_id"] == "tool-1"
    assert params["lti_deployment_id"] == "1"
    assert params["login_hint"] and params["lti_message_hint"]
    canvas_only = {"canvas_region", "canvas_environment", "lti_storage_target"}
    if platform.state.flavour.name == "canvas":
        assert canvas_only <= set(params)
        assert params["lti_storage_target"] == "post_message_forwarding"
    else:
        assert not canvas_only & set(params)


def test_canvas_offers_platform_storage_only_around_an_iframe(canvas: Platform) -> None:
    framed = canvas.state.begin_launch(user=canvas.teacher.id, course=canvas.course.id)
    window = canvas.state.begin_launch(
        user=canvas.teacher.id, course=canvas.course.id, document_target="window"
    )
    assert framed.params["lti_storage_target"] == "post_message_forwarding"
    assert "lti_storage_target" not in window.params
    assert window.params["canvas_region"]


def test_the_platform_answers_a_jwks_fetch_while_a_launch_is_in_flight(generic: Platform) -> None:
    """A tool validating the id_token fetches the JWKS while the platform is still busy."""
    generic.state.faults.add(FaultRule(path="^/auth$", hang_seconds=1.0, next_n=1))
    params = generic.auth_params(generic.login_initiation(generic.teacher))
    with ThreadPoolExecutor(1) as pool:
        slow_launch = pool.submit(generic.authenticate, params)
        jwks = generic.http.get(generic.state.jwks_url, timeout=0.5)
        assert not slow_launch.done()
        assert jwks.status_code == 200
        assert slow_launch.result().status_code == 200


def test_issuers_per_flavour() -> None:
    assert build_platform("canvas").state.issuer == "https://canvas.instructure.com"
    assert build_platform("schoology").state.issuer == "https://schoology.schoology.com"
    moodle = build_platform("moodle")
    moodle.state.bind_base_url("http://127.0.0.1:9")
    assert moodle.state.issuer == "http://127.0.0.1:9"


def test_the_html_launch_page_posts_to_the_tool_login(moodle: Platform) -> None:
    response = moodle.http.get(moodle.state.launch_url(user=moodle.teacher.id, course=moodle.course.id))
    assert response.status_code == 200
    assert 'action="https://tool.example/lti/login"' in response.text
    assert 'name="lti_message_hint"' in response.text


def test_canvas_iframe_launch_embeds_platform_storage(canvas: Platform) -> None:
    response = canvas.http.get(canvas.state.launch_url(user=canvas.teacher.id, course=canvas.course.id))
    assert 'name="post_message_forwarding"' in response.text
    assert 'target="tool_frame"' in response.text
    storage = canvas.http.get(canvas.state.url("/sandbox/platform_storage"))
    assert "lti.put_data.response" in storage.text


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"scope": "openid profile"}, "scope must be 'openid'"),
        ({"response_type": "code"}, "response_type must be 'id_token'"),
        ({"response_mode": "query"}, "response_mode must be 'form_post'"),
        ({"prompt": "login"}, "prompt must be 'none'"),
        ({"client_id": "nobody"}, "is not a registered tool"),
        ({"redirect_uri": "https://evil.example/launch"}, "is not registered for client"),
        ({"login_hint": "someone-else"}, "login_hint does not match"),
        ({"lti_message_hint": "forged"}, "lti_message_hint is unknown"),
        ({"nonce": None}, "lacks nonce"),
        ({"state": None}, "lacks state"),
    ],
)
def test_the_auth_endpoint_refuses_a_wrong_request(
    generic: Platform, overrides: dict[str, str | None], complaint: str
) -> None:
    params = generic.auth_params(generic.login_initiation(generic.teacher), **overrides)
    response = generic.http.post(generic.state.auth_url, data=params)
    assert response.status_code == 400
    assert complaint in html.unescape(response.text)


def test_message_hints_are_single_use(canvas: Platform) -> None:
    params = canvas.auth_params(canvas.login_initiation(canvas.teacher))
    assert canvas.authenticate(params).status_code == 200
    again = canvas.authenticate(params)
    assert again.status_code == 400
    assert "already used" in again.json()["message"]


def test_auth_answers_a_form_post_to_the_redirect_uri(generic: Platform) -> None:
    params = generic.auth_params(generic.login_initiation(generic.teacher))
    response = generic.http.get(generic.state.auth_url, params=params)
    assert response.status_code == 200
    assert f'action="{REDIRECT_URI}"' in response.text
    assert 'name="id_token"' in response.text and f'value="{params["state"]}"' in response.text


def test_a_stranger_cannot_launch_from_a_course(generic: Platform) -> None:
    stranger = generic.state.add_user(given_name="Not", family_name="Enrolled")
    response = generic.http.get(
        generic.state.launch_url(user=stranger.id, course=generic.course.id),
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert "not an active member" in response.json()["message"]


def test_canvas_substitutes_custom_variables() -> None:
    platform = build_platform(
        "canvas",
        custom={"course": "$Canvas.course.id", "user": "$Canvas.user.id", "odd": "$No.such"},
    )
    with serve(create_app(platform.state)):
        claims = platform.launch(platform.students[0])
    custom = claims[LTI + "custom"]
    assert custom == {
        "course": platform.course.id,
        "user": platform.students[0].id,
        "odd": "$No.such",
    }


def test_lineitem_claim_only_for_a_link_with_exactly_one_line_item(moodle: Platform) -> None:
    state = moodle.state
    link = state.add_resource_link(course_id=moodle.course.id, client_id="tool-1", title="Quiz")
    fields = {"course_id": moodle.course.id, "owner_client_id": "tool-1", "deployment_id": "1"}
    state.grades.add_line_item(label="One", score_maximum=10, resource_link_id=link.id, **fields)
    claims = moodle.launch(moodle.teacher, resource_link=link.id)
    assert claims[AGS_CLAIM]["lineitem"].endswith("/lineitem?type_id=1")
    state.grades.add_line_item(label="Two", score_maximum=10, resource_link_id=link.id, **fields)
    assert "lineitem" not in moodle.launch(moodle.teacher, resource_link=link.id)[AGS_CLAIM]


def test_a_launch_without_a_course_has_no_context_or_services(schoology: Platform) -> None:
    params = schoology.http.get(
        schoology.state.launch_url(user=schoology.teacher.id),
        headers={"Accept": "application/json"},
    ).json()["params"]
    token = schoology.authenticate(schoology.auth_params(params)).json()["params"]["id_token"]
    claims = verify_platform_token(schoology, token)
    assert LTI + "context" not in claims
    assert AGS_CLAIM not in claims and NRPS_CLAIM not in claims


def test_key_rotation_keeps_the_previous_key_published() -> None:
    platform = build_platform("generic")
    platform.state.keys = KeyRing()
    with serve(create_app(platform.state)):
        old_kid = platform.state.keys.current.kid
        new_kid = platform.state.keys.rotate().kid
        kids = [key["kid"] for key in platform.http.get(platform.state.jwks_url).json()["keys"]]
        token = platform.id_token(platform.teacher)
    assert kids == [old_kid, new_kid]
    assert jwt.get_unverified_header(token)["kid"] == new_kid


def _parts(token: str) -> tuple[dict, dict]:
    def decode(part: str) -> dict:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

    head, body, _ = token.split(".")
    return decode(head), decode(body)


def test_tampered_tokens_fail_where_they_should(generic: Platform) -> None:
    def tampered(kind: str, **options: object) -> str:
        generic.state.tampering.push(Tampering(kind, **options))  # type: ignore[arg-type]
        return generic.id_token(generic.teacher)

    with pytest.raises(jwt.InvalidSignatureError):
        verify_platform_token(generic, tampered("bad_signature"))
    assert _parts(tampered("alg_none"))[0]["alg"] == "none"
    assert _parts(tampered("hs256_public_key"))[0]["alg"] == "HS256"
    with pytest.raises(jwt.ExpiredSignatureError):
        verify_platform_token(generic, tampered("expired"))
    future = _parts(tampered("iat_future", seconds=300))[1]
    assert future["iat"] >= time.time() + 290
    with pytest.raises(jwt.InvalidAudienceError):
        verify_platform_token(generic, tampered("wrong_aud"))
    assert _parts(tampered("wrong_iss"))[1]["iss"] != generic.state.issuer
    assert _parts(tampered("wrong_deployment"))[1][LTI + "deployment_id"] != "1"
    assert LTI + "deployment_id" not in _parts(tampered("missing_claim", claim="deployment_id"))[1]
    first_nonce = _parts(generic.id_token(generic.teacher))[1]["nonce"]
    assert _parts(tampered("replay_nonce"))[1]["nonce"] == first_nonce
    both = verify_platform_token(generic, tampered("aud_array"))
    assert both["aud"] == ["tool-1", "another-audience"] and both["azp"] == "tool-1"
    assert _parts(tampered("unknown_kid"))[0]["kid"] == "kid-nobody-published"
    # the queue is empty again: the next launch is clean
    verify_platform_token(generic, generic.id_token(generic.teacher))


def test_a_deep_linking_launch_carries_its_settings(canvas: Platform) -> None:
    claims = canvas.launch(canvas.teacher, message_type="LtiDeepLinkingRequest")
    settings = claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"]
    assert claims[LTI + "message_type"] == "LtiDeepLinkingRequest"
    assert claims[LTI + "target_link_uri"] == "https://tool.example/lti/deep-link"
    assert settings["deep_link_return_url"].startswith(canvas.state.base_url)
    assert settings["data"] and "ltiResourceLink" in settings["accept_types"]
    assert LTI + "resource_link" not in claims
