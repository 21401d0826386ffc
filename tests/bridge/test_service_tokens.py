"""Service tokens: one grant per registration and scope set, cached, shared through Redis."""

import json
from urllib.parse import parse_qs

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bridge.http import PlatformHttp, RetryPolicy
from bridge.service_tokens import MemoryTokenCache, RedisTokenCache, ServiceTokens, SigningKey, ToolIdentity
from pbridge.errors import PlatformRejected

PRIVATE = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = PRIVATE.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)


def _platform(grants: list[dict], *, content_type="application/json", granted_scope=None):
    def handler(request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        claims = jwt.decode(
            form["client_assertion"], PRIVATE.public_key(), algorithms=["RS256"], audience="https://lms/token"
        )
        grants.append({"client": claims["sub"], "scope": form["scope"], "jti": claims["jti"]})
        body = {"access_token": f"token-{len(grants)}", "expires_in": 3600, "token_type": "Bearer"}
        if granted_scope is not None:
            body["scope"] = granted_scope
        return httpx.Response(200, content=json.dumps(body), headers={"Content-Type": content_type})

    return PlatformHttp(
        httpx.Client(transport=httpx.MockTransport(handler)), name="LMS", retry=RetryPolicy(attempts=1)
    )


def _tokens(http, cache, client_id="tool-a"):
    return ServiceTokens(
        http,
        ToolIdentity(issuer="https://lms", client_id=client_id, token_url="https://lms/token"),
        key=lambda: SigningKey("k1", PEM),
        cache=cache,
    )


def test_one_grant_serves_many_calls_until_it_expires():
    grants: list[dict] = []
    tokens = _tokens(_platform(grants), MemoryTokenCache())
    assert tokens.token(["a", "b"]) == tokens.token(["b", "a"]) == "token-1"
    assert len(grants) == 1
    assert grants[0]["scope"] == "a b"


def test_two_registrations_of_one_issuer_never_share_a_token():
    grants: list[dict] = []
    http = _platform(grants)
    cache = MemoryTokenCache()
    first = _tokens(http, cache, "tool-a").token(["a"])
    second = _tokens(http, cache, "tool-b").token(["a"])
    assert first != second
    assert [g["client"] for g in grants] == ["tool-a", "tool-b"]


def test_moodle_json_served_as_html_is_read_and_granted_scopes_kept():
    grants: list[dict] = []
    tokens = _tokens(_platform(grants, content_type="text/html", granted_scope="a"), MemoryTokenCache())
    assert tokens.token(["a", "b"]) == "token-1"
    assert tokens.granted(["a", "b"]) == frozenset({"a"})


def test_each_assertion_has_a_fresh_jti():
    grants: list[dict] = []
    http = _platform(grants)
    _tokens(http, MemoryTokenCache()).token(["a"])
    _tokens(http, MemoryTokenCache()).token(["a"])
    assert grants[0]["jti"] != grants[1]["jti"]


def test_an_error_answer_is_a_clear_refusal():
    http = PlatformHttp(
        httpx.Client(
            transport=httpx.MockTransport(lambda r: httpx.Response(400, json={"error": "invalid_scope"}))
        ),
        name="LMS",
        retry=RetryPolicy(attempts=1),
    )
    with pytest.raises(PlatformRejected, match="invalid_scope"):
        _tokens(http, MemoryTokenCache()).token(["a"])


def test_workers_share_tokens_through_redis(redis_client):
    grants: list[dict] = []
    http = _platform(grants)
    worker_one = _tokens(http, RedisTokenCache(redis_client))
    worker_two = _tokens(http, RedisTokenCache(redis_client))
    assert worker_one.token(["a"]) == worker_two.token(["a"])
    assert len(grants) == 1
    (key,) = redis_client.keys("pbridge:token:*")
    assert 0 < redis_client.ttl(key) <= 3600 - 60
