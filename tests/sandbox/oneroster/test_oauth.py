from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote

import httpx
import pytest

from sandbox.oneroster import OneRosterState, create_app, seed_district
from sandbox.oneroster.oauth import base_string, percent_encode, query_params

V11 = "/ims/oneroster/v1p1"


def test_base_string_matches_rfc5849_section_3_4_1_1():
    params = [
        ("b5", "=%3D"),
        ("a3", "a"),
        ("c@", ""),
        ("a2", "r b"),
        ("oauth_consumer_key", "9djdj82h48djs9d2"),
        ("oauth_token", "kkk9d7dh3k39sjv7"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "137131201"),
        ("oauth_nonce", "7d8f3e4a"),
        ("c2", ""),
        ("a3", "2 q"),
    ]
    assert base_string("POST", "http://example.com/request", params) == (
        "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q"
        "%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_"
        "key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m"
        "ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk"
        "9d7dh3k39sjv7"
    )


def test_query_is_decoded_rfc3986_style_so_plus_stays_plus():
    assert query_params("filter=a%20b+c&x=") == [("filter", "a b+c"), ("x", "")]


def _signed(state, method, url, *, nonce="n1", secret="secret", plus=False):
    """Sign by hand (independently of the bridge) the way RFC 5849 says."""
    path, _, query = url.partition("?")
    oauth = [
        ("oauth_consumer_key", "pb"),
        ("oauth_nonce", nonce),
        ("oauth_signature_method", "HMAC-SHA256"),
        ("oauth_timestamp", str(int(state.clock()))),
        ("oauth_version", "1.0"),
    ]
    base = base_string(method, f"https://sis.test{path}", oauth + query_params(query))
    key = f"{percent_encode(secret)}&".encode()
    signature = base64.b64encode(hmac.new(key, base.encode(), hashlib.sha256).digest()).decode()
    header = "OAuth " + ", ".join(
        f'{k}="{quote(v, safe="")}"' for k, v in [*oauth, ("oauth_signature", signature)]
    )
    sent = url.replace("%20", "+") if plus else url
    return sent, {"Authorization": header}


@pytest.fixture
def sis11():
    state = OneRosterState(version="1.1", auth="oauth1")
    state.add_client("pb", "secret")
    seed_district(state)
    return state, httpx.Client(
        transport=httpx.WSGITransport(app=create_app(state)), base_url="https://sis.test"
    )


def test_a_signed_request_with_a_filter_passes(sis11):
    state, http = sis11
    url = f"{V11}/users?filter=" + quote("givenName='Ada' OR familyName='O/K='", safe="") + "&limit=5"
    sent, headers = _signed(state, "GET", url)
    assert http.get(sent, headers=headers).status_code == 200


def test_plus_for_space_is_refused_with_the_expected_base_string(sis11):
    state, http = sis11
    url = f"{V11}/users?filter=" + quote("givenName='Ada' OR givenName='Ben'", safe="")
    sent, headers = _signed(state, "GET", url, plus=True)
    response = http.get(sent, headers=headers)
    assert response.status_code == 401
    assert "signature mismatch" in response.json()["imsx_description"]


def test_wrong_secret_replayed_nonce_and_sha1_are_refused(sis11):
    state, http = sis11
    sent, headers = _signed(state, "GET", f"{V11}/orgs", secret="nope")
    assert http.get(sent, headers=headers).status_code == 401
    sent, headers = _signed(state, "GET", f"{V11}/orgs", nonce="once")
    assert http.get(sent, headers=headers).status_code == 200
    assert "replay" in http.get(sent, headers=headers).text
    sha1 = headers["Authorization"].replace("HMAC-SHA256", "HMAC-SHA1")
    assert "signature method" in http.get(sent, headers={"Authorization": sha1}).text
    assert http.get(f"{V11}/orgs").status_code == 401


def test_token_endpoint_errors_follow_rfc6749():
    state = OneRosterState()
    state.add_client(
        "pb", "secret", scopes={"https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"}
    )
    http = httpx.Client(transport=httpx.WSGITransport(app=create_app(state)), base_url="https://sis.test")
    form = {"grant_type": "client_credentials"}
    assert http.post("/oauth/token", data=form, auth=("pb", "bad")).json()["error"] == "invalid_client"
    refused = http.post(
        "/oauth/token",
        data={**form, "scope": "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.createput"},
        auth=("pb", "secret"),
    )
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_scope")
    body = http.post("/oauth/token", data={**form, "client_id": "pb", "client_secret": "secret"}).json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600


def test_expired_tokens_are_refused():
    now = [1_000_000.0]
    state = OneRosterState(clock=lambda: now[0], token_lifetime=60)
    state.add_client("pb", "secret")
    http = httpx.Client(transport=httpx.WSGITransport(app=create_app(state)), base_url="https://sis.test")
    token = http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("pb", "secret")).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert http.get("/ims/oneroster/rostering/v1p2/orgs", headers=headers).status_code == 200
    now[0] += 61
    assert http.get("/ims/oneroster/rostering/v1p2/orgs", headers=headers).status_code == 401
