"""Access tokens for LTI services (AGS, NRPS) by the client-credentials grant.

We sign a JWT assertion with the tool's current key and trade it at the platform's token
endpoint. Tokens are cached per (issuer, client_id, scopes) until shortly before they
expire, in Redis when configured so every worker shares them, never across registrations:
pylti1p3 keys its cache by issuer and scopes only, which hands one Canvas key's token to
another key's requests.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import httpx
import jwt

from bridge.http import PlatformHttp
from pbridge.errors import PlatformRejected

if TYPE_CHECKING:
    from redis import Redis

#: refresh this many seconds before the platform's expiry
EXPIRY_MARGIN = 60


@dataclass(frozen=True)
class ToolIdentity:
    """Who we are at one platform, and where its token endpoint is."""

    issuer: str
    client_id: str
    token_url: str
    #: the assertion's `aud`; the token URL unless the platform names another
    audience: str | None = None


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: bytes


class TokenCache(Protocol):
    def get(self, key: str) -> str | None: ...

    def put(self, key: str, token: str, ttl_seconds: int) -> None: ...


class MemoryTokenCache:
    """Per-process cache; enough for one worker or the in-process sync."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._items: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def get(self, key: str) -> str | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or found[1] <= self._clock():
                return None
            return found[0]

    def put(self, key: str, token: str, ttl_seconds: int) -> None:
        with self._lock:
            self._items[key] = (token, self._clock() + ttl_seconds)


class RedisTokenCache:
    """Shared by every worker; the key expires with the token."""

    def __init__(self, redis: Redis, *, prefix: str = "pbridge:token:") -> None:
        self._redis = redis
        self._prefix = prefix

    def get(self, key: str) -> str | None:
        value = self._redis.get(self._prefix + key)
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    def put(self, key: str, token: str, ttl_seconds: int) -> None:
        self._redis.set(self._prefix + key, token, ex=max(1, ttl_seconds))


def cache_key(identity: ToolIdentity, scopes: Iterable[str]) -> str:
    raw = json.dumps([identity.issuer, identity.client_id, sorted(set(scopes))])
    return hashlib.sha256(raw.encode()).hexdigest()


class ServiceTokens:
    """Hands out bearer tokens for one platform registration."""

    def __init__(
        self,
        http: PlatformHttp,
        identity: ToolIdentity,
        *,
        key: Callable[[], SigningKey],
        cache: TokenCache,
    ) -> None:
        self._http = http
        self._identity = identity
        self._key = key
        self._cache = cache
        self._lock = threading.Lock()

    def token(self, scopes: Iterable[str]) -> str:
        """A bearer token for these scopes, from the cache or freshly granted."""
        return self._entry(scopes)[0]

    def granted(self, scopes: Iterable[str]) -> frozenset[str]:
        """The scopes the platform granted when asked for these (Moodle quietly grants fewer:
        in "grade sync only" mode it leaves out the line item scope)."""
        return self._entry(scopes)[1]

    def _entry(self, scopes: Iterable[str]) -> tuple[str, frozenset[str]]:
        wanted = sorted(set(scopes))
        key = cache_key(self._identity, wanted)
        cached = _decode(self._cache.get(key))
        if cached:
            return cached
        with self._lock:  # one grant at a time per registration, not one per thread
            cached = _decode(self._cache.get(key))
            if cached:
                return cached
            token, expires_in, granted = self._grant(wanted)
            entry = (token, frozenset(granted))
            self._cache.put(
                key,
                json.dumps({"token": token, "scopes": sorted(granted)}),
                max(1, expires_in - EXPIRY_MARGIN),
            )
            return entry

    def forget(self, scopes: Iterable[str]) -> None:
        """Drop a token the platform refused (revoked early), so the next call asks again."""
        self._cache.put(cache_key(self._identity, scopes), "", 1)

    def _grant(self, scopes: list[str]) -> tuple[str, int, list[str]]:
        identity = self._identity
        signing = self._key()
        now = int(time.time())
        assertion = jwt.encode(
            {
                "iss": identity.client_id,
                "sub": identity.client_id,
                "aud": identity.audience or identity.token_url,
                "iat": now,
                "exp": now + 300,
                "jti": f"{uuid.uuid4()}-{secrets.token_hex(4)}",
            },
            signing.private_pem,
            algorithm="RS256",
            headers={"kid": signing.kid},
        )
        response = self._http.post(
            identity.token_url,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
                "scope": " ".join(scopes),
            },
            headers={"Accept": "application/json"},
            expected=(200,),
        )
        token, expires_in, granted = _parse_token(response, identity.token_url)
        return token, expires_in, granted if granted is not None else scopes


def _decode(value: str | None) -> tuple[str, frozenset[str]] | None:
    if not value:
        return None
    try:
        data = json.loads(value)
        return str(data["token"]), frozenset(data["scopes"])
    except (ValueError, KeyError, TypeError):
        return None


def _parse_token(response: httpx.Response, url: str) -> tuple[str, int, list[str] | None]:
    """Read the token whatever the Content-Type says (Moodle answers JSON as text/html)."""
    try:
        body = json.loads(response.content)
    except ValueError:
        raise PlatformRejected(
            "the token endpoint did not answer JSON", url=url, status=response.status_code
        ) from None
    if not isinstance(body, dict) or not body.get("access_token"):
        message = str(body.get("error", "")) if isinstance(body, dict) else ""
        raise PlatformRejected(
            "the token endpoint gave no access token",
            url=url,
            status=response.status_code,
            platform_message=message,
        )
    try:
        expires_in = int(body.get("expires_in", 3600))
    except (TypeError, ValueError):
        expires_in = 3600
    scope = body.get("scope")
    granted = scope.split() if isinstance(scope, str) and scope.strip() else None
    return str(body["access_token"]), expires_in, granted
