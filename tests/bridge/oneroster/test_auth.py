from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote

import httpx
import pytest

from bridge.http import PlatformHttp, RetryPolicy
from bridge.oneroster.auth import (
    ClientCredentials,
    OAuth1Signer,
    TokenCache,
    TokenRefused,
    base_string_of,
    encode_query,
    hmac_sha256_signature,
)
from sandbox.oneroster.oauth import Authority
from store.sis import SisConnectionInvalid

RFC_BASE_STRING = (
    "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q"
    "%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_"
    "key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m"
    "ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk"
    "9d7dh3k39sjv7"
)


def test_signature_base_string_of_rfc5849_section_3_4_1_1():
    authorization = (
        'OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", '
        'oauth_token="kkk9d7dh3k39sjv7", oauth_signature_method="HMAC-SHA1", '
        'oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", '
        'oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"'
    )
    url = "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b"
    assert base_string_of("POST", url, authorization, body="c2&a3=2+q") == RFC_BASE_STRING


def test_signature_base_string_of_rfc5849_section_1_2_signs_as_the_rfc_says():
    authorization = (
        'OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", '
        'oauth_token="nnch734d00sl2jdk", oauth_signature_method="HMAC-SHA1", '
        'oauth_timestamp="137131202", oauth_nonce="chapoH", '
        'oauth_signature="MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D"'
    )
    base = base_string_of(
        "GET", "http://photos.example.net/photos?file=vacation.jpg&size=original", authorization
    )
    digest = hmac.new(b"kd94hf93k423kf44&pfkkdhi9sl3r4s00", base.encode(), hashlib.sha1).digest()
    assert base64.b64encode(digest).decode() == "MdpQcU8iPSUjWoN/UDMsK2sui9I="


def test_hmac_sha256_uses_the_encoded_secret_and_an_empty_token_secret():
    expected = base64.b64encode(hmac.new(b"a%20b%2Bc&", b"text", hashlib.sha256).digest()).decode()
    assert hmac_sha256_signature("text", "a b+c") == expected


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("dateLastModified>'2025-01-01T00:00:00Z'", "dateLastModified%3E%272025-01-01T00%3A00%3A00Z%27"),
        ("a b", "a%20b"),
        ("x/y=z", "x%2Fy%3Dz"),
        ("1+1", "1%2B1"),
    ],
)
def test_query_values_are_rfc3986_encoded_with_percent20(value, encoded):
    assert encode_query([("filter", value)]) == f"filter={encoded}"


@pytest.mark.parametrize(
    "filter_text",
    [
        "givenName='Ada Lovelace'",
        "dateLastModified>'2025-08-01T00:00:00.000Z' AND status='active'",
        "identifier='A/B=C' OR familyName='O''Brien'",
    ],
)
def test_our_signatures_verify_with_the_sandboxes_independent_checker(filter_text):
    """Spaces, quotes, `/` and `=` in the query: what we sign is what the SIS checks."""
    authority = Authority()
    authority.add_client("key", "se cret/+=", frozenset())
    url = "https://sis.example.org/ims/oneroster/v1p1/users?" + encode_query(
        [("filter", filter_text), ("limit", "100")]
    )
    signed = next(OAuth1Signer("key", "se cret/+=").auth_flow(httpx.Request("GET", url)))
    assert "+" not in signed.url.query.decode()
    assert "HMAC-SHA256" in signed.headers["Authorization"]
    consumer = authority.check_oauth1(
        method="GET",
        scheme="https",
        host="sis.example.org",
        path="/ims/oneroster/v1p1/users",
        raw_query=signed.url.query.decode(),
        authorization=signed.headers["Authorization"],
    )
    assert consumer == "key"


def test_each_retry_is_signed_afresh():
    signer = OAuth1Signer("key", "secret")
    url = "https://sis.example.org/x"
    assert signer.authorization("GET", url) != signer.authorization("GET", url)


def test_oauth1_refuses_plain_http_to_a_remote_host():
    with pytest.raises(SisConnectionInvalid, match="https"):
        OAuth1Signer("key", "secret").authorization("GET", "http://sis.example.org/x")


def _credentials(handler, cache=None):
    http = PlatformHttp(
        httpx.Client(transport=httpx.MockTransport(handler)),
        name="SIS",
        retry=RetryPolicy(attempts=2, base_delay=0, jitter=False),
        sleep=lambda s: None,
    )
    return ClientCredentials(
        http,
        token_url="https://sis.test/token",
        client_id="id",
        client_secret="s:e/c",
        cache=cache or TokenCache(),
    )


def test_tokens_are_cached_per_scope_and_refetched_when_expired():
    now = [1000.0]
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(200, json={"access_token": f"t{len(calls)}", "expires_in": 100})

    credentials = _credentials(handler, TokenCache(lambda: now[0], margin=10))
    assert credentials.bearer(["a"]) == "t1"
    assert credentials.bearer(["a"]) == "t1"
    assert credentials.bearer(["b"]) == "t2"
    now[0] += 95
    assert credentials.bearer(["a"]) == "t3"
    sent = calls[0]
    assert (
        sent.headers["Authorization"]
        == "Basic " + base64.b64encode(f"id:{quote('s:e/c', safe='')}".encode()).decode()
    )
    assert sent.content == b"grant_type=client_credentials&scope=a"


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (401, {"error": "invalid_client"}, "refused the client id and secret"),
        (400, {"error": "invalid_scope"}, "does not grant the scope"),
        (200, {"token_type": "bearer"}, "without an access_token"),
    ],
)
def test_token_refusals_say_what_failed(status, body, message):
    credentials = _credentials(lambda request: httpx.Response(status, json=body))
    with pytest.raises(TokenRefused, match=message):
        credentials.bearer(["roster"])


def test_no_secret_in_reprs():
    signer = OAuth1Signer("key", "very-secret")
    credentials = _credentials(lambda r: httpx.Response(200, json={}))
    assert "very-secret" not in repr(signer) and "s:e/c" not in repr(credentials)
