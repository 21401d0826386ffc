"""The token endpoint's checks, per flavour, and bearer checks on the services."""

from __future__ import annotations

import time

import jwt
from flask import Flask, jsonify

from sandbox import create_app, serve
from sandbox.keys import SigningKey
from sandbox.registry import AGS_LINEITEM, AGS_SCORE, GRADE_SYNC_ONLY_SCOPES, NRPS_MEMBERSHIP
from tests.sandbox.conftest import (
    CONTAINER,
    JWT_BEARER,
    LINEITEM,
    OTHER_KEY,
    Platform,
    build_platform,
)


def test_a_good_assertion_gets_a_bearer_token(generic: Platform) -> None:
    response = generic.request_token((AGS_SCORE,))
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert body["scope"] == AGS_SCORE
    assert response.headers["content-type"] == "application/json"


def test_a_forged_signature_is_refused(platform: Platform) -> None:
    response = platform.request_token(client_assertion=platform.assertion(key=OTHER_KEY))
    assert response.status_code == 401
    assert "invalid_client" in response.text


def test_only_rs256_assertions(generic: Platform) -> None:
    now = int(time.time())
    claims = {
        "iss": "tool-1",
        "sub": "tool-1",
        "aud": generic.state.token_url,
        "iat": now,
        "exp": now + 60,
        "jti": "x",
    }
    hs256 = jwt.encode(claims, "a-shared-secret-of-enough-length!", algorithm="HS256")
    response = generic.request_token(client_assertion=hs256)
    assert response.status_code == 401
    assert "RS256" in response.json()["error_description"]


def test_wrong_audience_is_refused(generic: Platform) -> None:
    response = generic.request_token(client_assertion=generic.assertion(aud="https://else/token"))
    assert response.status_code == 401
    assert "aud" in response.json()["error_description"]


def test_canvas_refuses_a_trailing_slash_others_do_not(canvas: Platform, generic: Platform) -> None:
    slashed = canvas.assertion(aud=canvas.state.token_url + "/")
    assert canvas.request_token(client_assertion=slashed).status_code == 401
    slashed = generic.assertion(aud=generic.state.token_url + "/")
    assert generic.request_token(client_assertion=slashed).status_code == 200


def test_iss_and_sub_must_be_the_client_id(generic: Platform) -> None:
    assert generic.request_token(client_assertion=generic.assertion(sub="x")).status_code == 401
    unknown = generic.request_token(client_assertion=generic.assertion(iss="x", sub="x"))
    assert unknown.status_code == 401


def test_expired_and_future_assertions_are_refused(generic: Platform) -> None:
    now = int(time.time())
    old = generic.assertion(iat=now - 600, exp=now - 300)
    assert generic.request_token(client_assertion=old).status_code == 401
    ahead = generic.assertion(iat=now + 600, exp=now + 900)
    assert generic.request_token(client_assertion=ahead).status_code == 401


def test_a_jti_is_single_use(canvas: Platform) -> None:
    assertion = canvas.assertion()
    assert canvas.request_token(client_assertion=assertion).status_code == 200
    again = canvas.request_token(client_assertion=assertion)
    assert again.status_code == 401
    assert "already used" in again.json()["error_description"]
    assert canvas.request_token(client_assertion=canvas.assertion(jti=None)).status_code == 401


def test_moodle_skips_jti_and_aud_and_labels_json_as_html(moodle: Platform) -> None:
    assertion = moodle.assertion(aud="https://anything.example", jti=None)
    first = moodle.request_token(client_assertion=assertion)
    second = moodle.request_token(client_assertion=assertion)
    assert first.status_code == second.status_code == 200
    assert first.headers["content-type"].startswith("text/html")
    refused = moodle.request_token(client_assertion=moodle.assertion(key=OTHER_KEY))
    assert refused.status_code == 401
    assert refused.json() == {"error": "invalid_client"}
    assert refused.headers["content-type"].startswith("text/html")


def test_scopes_not_granted(generic: Platform, moodle: Platform) -> None:
    restricted = build_platform("generic", scopes=(AGS_SCORE,))
    with serve(create_app(restricted.state)):
        refused = restricted.request_token((AGS_SCORE, NRPS_MEMBERSHIP))
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid_scope"
        assert NRPS_MEMBERSHIP in refused.json()["error_description"]
    moodle.state.grade_sync_only = True
    granted = moodle.request_token((AGS_LINEITEM, AGS_SCORE))
    assert granted.status_code == 200
    assert granted.json()["scope"] == AGS_SCORE
    assert moodle.request_token((AGS_LINEITEM,)).status_code == 400
    assert generic.request_token((), scope="").status_code == 400


def test_wrong_grant_and_assertion_types(generic: Platform) -> None:
    assert generic.request_token(grant_type="password").json()["error"] == "unsupported_grant_type"
    assert generic.request_token(client_assertion_type="basic").status_code == 400


def test_the_tool_jwks_is_fetched_cached_and_refetched_on_a_new_kid() -> None:
    published = {"keys": []}
    jwks_app = Flask("tool-jwks")
    jwks_app.add_url_rule("/jwks", "jwks", lambda: jsonify(published))
    first, second = SigningKey.generate("k1"), SigningKey.generate("k2")
    published["keys"] = [first.public_jwk]
    with serve(jwks_app) as tool_server:
        platform = build_platform("generic")
        platform.state.register_tool(
            client_id="tool-1",
            deployment_ids=["1"],
            login_url="https://t/login",
            redirect_uris=["https://t/launch"],
            jwks_url=tool_server.url + "/jwks",
        )
        with serve(create_app(platform.state)):
            cache = platform.state.tool_keys
            assert platform.request_token(client_assertion=platform.assertion(first)).status_code == 200
            assert platform.request_token(client_assertion=platform.assertion(first)).status_code == 200
            assert cache.fetch_count == 1
            published["keys"] = [first.public_jwk, second.public_jwk]
            assert platform.request_token(client_assertion=platform.assertion(second)).status_code == 200
            assert cache.fetch_count == 2
            unknown = platform.request_token(client_assertion=platform.assertion(SigningKey.generate("k3")))
            assert unknown.status_code == 401
            assert "no key with kid 'k3'" in unknown.json()["error_description"]


def test_services_need_a_live_bearer_token(platform: Platform) -> None:
    url = platform.line_items_url()
    accept = {"Accept": CONTAINER}
    assert platform.http.get(url, headers=accept).status_code == 401
    forged = platform.http.get(url, headers={**accept, "Authorization": "Bearer nonsense"})
    assert forged.status_code == 401
    headers = platform.bearer()
    assert platform.http.get(url, headers={**headers, **accept}).status_code == 200
    platform.state.tokens.expire_all()
    assert platform.http.get(url, headers={**headers, **accept}).status_code == 401


def test_a_missing_scope_is_401_on_canvas_and_moodle_403_elsewhere(platform: Platform) -> None:
    headers = platform.bearer((AGS_SCORE,))
    response = platform.http.get(platform.line_items_url(), headers={**headers, "Accept": CONTAINER})
    expected = 401 if platform.state.flavour.name in ("canvas", "moodle") else 403
    assert response.status_code == expected


def test_moodle_grade_sync_only_cannot_create_line_items(moodle: Platform) -> None:
    moodle.state.grade_sync_only = True
    headers = moodle.bearer(GRADE_SYNC_ONLY_SCOPES)
    created = moodle.http.post(
        moodle.line_items_url(),
        json={"label": "x", "scoreMaximum": 4},
        headers={**headers, "Content-Type": LINEITEM},
    )
    assert created.status_code == 401
    listed = moodle.http.get(moodle.line_items_url(), headers={**headers, "Accept": CONTAINER})
    assert listed.status_code == 200


def test_token_requests_are_form_encoded_with_jwt_bearer(generic: Platform) -> None:
    response = generic.http.post(
        generic.state.token_url,
        json={"grant_type": "client_credentials", "client_assertion_type": JWT_BEARER},
    )
    assert response.status_code == 400
