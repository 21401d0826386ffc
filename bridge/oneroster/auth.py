"""How we prove who we are to a SIS: OAuth 2 client credentials, or OAuth 1.0a HMAC-SHA256.

OneRoster 1.2 requires OAuth 2 client credentials with the spec's scopes; 1.1 vendors use
OAuth 1.0a signed with HMAC-SHA256 (the 1.1 conformance requirement) or OAuth 2. authlib
ships HMAC-SHA1 only, so HMAC-SHA256 is registered with it here, once.

Query strings matter for OAuth 1: OneRoster filters carry spaces, quotes, `=` and `/`
(``filter=dateLastModified>'2025-01-01T00:00:00Z'``). Values are percent-encoded per RFC 3986
-- a space is `%20`, never `+` -- so the bytes we send are the bytes we sign: a server that
reads `+` literally (as many do) would otherwise compute another base string and answer 401.

Tokens are cached per (token URL, client credentials, scopes) and shared by every client in the
process; a 401 with a cached token drops it and fetches a new one once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit
from urllib.request import parse_http_list, parse_keqv_list

import httpx
from authlib.common.urls import url_decode
from authlib.oauth1 import SIGNATURE_TYPE_HEADER, ClientAuth
from authlib.oauth1.rfc5849.errors import InsecureTransportError
from authlib.oauth1.rfc5849.signature import construct_base_string, generate_signature_base_string
from authlib.oauth1.rfc5849.util import escape, unescape

from bridge.http import PlatformHttp
from pbridge.errors import PlatformRejected
from store.sis import SisConnectionInvalid

SIGNATURE_HMAC_SHA256 = "HMAC-SHA256"

OR12 = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
OR11 = "https://purl.imsglobal.org/spec/or/v1p1/scope/"

#: the scopes each kind of call asks for, per version (1.1 scopes for 1.1 vendors on OAuth 2)
SCOPES: dict[str, dict[str, tuple[str, ...]]] = {
    "1.2": {
        "roster": (OR12 + "roster-core.readonly",),
        "demographics": (OR12 + "roster-demographics.readonly",),
        "gradebook_read": (OR12 + "gradebook.readonly",),
        "gradebook_write": (OR12 + "gradebook.createput",),
        "gradebook_delete": (OR12 + "gradebook.delete",),
    },
    "1.1": {
        "roster": (OR11 + "roster-core.readonly",),
        "demographics": (OR11 + "roster-demographics.readonly",),
        "gradebook_read": (OR11 + "gradebook.readonly",),
        "gradebook_write": (OR11 + "gradebook.createput",),
        "gradebook_delete": (OR11 + "gradebook.delete",),
    },
}


def hmac_sha256_signature(base_string: str, client_secret: str, token_secret: str = "") -> str:
    """RFC 5849 §3.4.2 with SHA-256: key is `escape(secret)&escape(token secret)`."""
    key = f"{escape(client_secret or '')}&{escape(token_secret or '')}"
    digest = hmac.new(key.encode(), base_string.encode(), hashlib.sha256).digest()
    return binascii.b2a_base64(digest)[:-1].decode()


def _sign_hmac_sha256(client: ClientAuth, request: Any) -> str:
    base_string = generate_signature_base_string(request)
    return hmac_sha256_signature(base_string, client.client_secret, client.token_secret)


ClientAuth.register_signature_method(SIGNATURE_HMAC_SHA256, _sign_hmac_sha256)


def encode_query(params: Iterable[tuple[str, str]]) -> str:
    """`k=v&...` with RFC 3986 percent-encoding: `%20` for spaces, `%27` for quotes, `%3D`..."""
    return "&".join(f"{quote(str(k), safe='')}={quote(str(v), safe='')}" for k, v in params)


def base_string_of(method: str, url: str, authorization: str, body: str = "") -> str:
    """The RFC 5849 signature base string of a signed request, as we compute it.

    Shown when a SIS refuses a signature, so an admin can compare it with the SIS's log.
    Query and form body are decoded as x-www-form-urlencoded (RFC 5849 §3.4.1.3.1).
    """
    items = parse_keqv_list(parse_http_list(authorization.split(" ", 1)[1]))
    params = [(unescape(k), unescape(v)) for k, v in items.items()]
    params += url_decode(urlsplit(url).query) + (url_decode(body) if body else [])
    return str(construct_base_string(method, url, params))


class OAuth1Signer(httpx.Auth):
    """Signs each request (each retry too: a fresh nonce and timestamp) with HMAC-SHA256."""

    def __init__(self, client_id: str, client_secret: str, *, method: str = SIGNATURE_HMAC_SHA256) -> None:
        self._client = ClientAuth(
            client_id,
            client_secret=client_secret,
            signature_method=method,
            signature_type=SIGNATURE_TYPE_HEADER,
        )

    def __repr__(self) -> str:
        return f"<OAuth1Signer {self._client.client_id}>"

    def authorization(self, method: str, url: str) -> str:
        """The `Authorization: OAuth ...` value for one request (fresh nonce and timestamp)."""
        try:
            _, headers, _ = self._client.sign(method, url, {}, b"")
        except InsecureTransportError:
            raise SisConnectionInvalid(
                f"OAuth 1.0a must run over https; the SIS URL {url.split('?')[0]} is plain http"
            ) from None
        return str(headers["Authorization"])

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.authorization(request.method, str(request.url))
        yield request


@dataclass
class _Token:
    value: str = field(repr=False)
    expires_at: float


class TokenCache:
    """Access tokens per (token URL, client id, scopes), shared by threads, refreshed early."""

    def __init__(self, clock: Callable[[], float] = time.time, *, margin: float = 30.0) -> None:
        self._tokens: dict[tuple[str, str, tuple[str, ...]], _Token] = {}
        self._locks: dict[tuple[str, str, tuple[str, ...]], threading.Lock] = {}
        self._guard = threading.Lock()
        self._clock = clock
        self._margin = margin

    def lock_for(self, key: tuple[str, str, tuple[str, ...]]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def get(self, key: tuple[str, str, tuple[str, ...]]) -> str | None:
        token = self._tokens.get(key)
        if token is None or token.expires_at - self._margin <= self._clock():
            return None
        return token.value

    def put(self, key: tuple[str, str, tuple[str, ...]], value: str, expires_in: float) -> None:
        self._tokens[key] = _Token(value, self._clock() + expires_in)

    def drop(self, key: tuple[str, str, tuple[str, ...]]) -> None:
        self._tokens.pop(key, None)


#: the process-wide cache every SIS client shares unless a test passes its own
TOKENS = TokenCache()


class TokenRefused(PlatformRejected):
    """The token endpoint said no: `error` is the OAuth error code (invalid_client, ...)."""

    def __init__(self, message: str, *, error: str, url: str, status: int, said: str) -> None:
        super().__init__(message, url=url, status=status, platform_message=said)
        self.error = error


class ClientCredentials:
    """OAuth 2 client credentials (RFC 6749 §4.4) against one token endpoint."""

    def __init__(
        self,
        http: PlatformHttp,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        cache: TokenCache | None = None,
    ) -> None:
        self._http = http
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self._cache = cache or TOKENS

    def __repr__(self) -> str:
        return f"<ClientCredentials {self.client_id} at {self.token_url}>"

    def _key(self, scopes: Sequence[str]) -> tuple[str, str, tuple[str, ...]]:
        # a digest of the secret in the key: changed credentials never reuse a token of
        # the old ones (and "test connection" really tests the secret it was given)
        credentials = f"{self.client_id}:{hashlib.sha256(self._secret.encode()).hexdigest()[:16]}"
        return (self.token_url, credentials, tuple(sorted(scopes)))

    def bearer(self, scopes: Sequence[str]) -> str:
        """A valid access token for these scopes, from the cache or the token endpoint."""
        key = self._key(scopes)
        token = self._cache.get(key)
        if token is not None:
            return token
        with self._cache.lock_for(key):
            token = self._cache.get(key)
            if token is None:
                token, expires_in = self._fetch(scopes)
                self._cache.put(key, token, expires_in)
        return token

    def drop(self, scopes: Sequence[str]) -> None:
        self._cache.drop(self._key(scopes))

    def _fetch(self, scopes: Sequence[str]) -> tuple[str, float]:
        basic = base64.b64encode(
            f"{quote(self.client_id, safe='')}:{quote(self._secret, safe='')}".encode()
        ).decode()
        response = self._http.post(
            self.token_url,
            content=encode_query(
                [("grant_type", "client_credentials"), ("scope", " ".join(scopes))]
            ).encode(),
            headers={
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            expected=(200, 400, 401, 403),
        )
        try:
            data = response.json()
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if response.status_code != 200:
            error = str(data.get("error") or "unknown_error")
            said = str(data.get("error_description") or error)
            if error == "invalid_scope":
                message = (
                    f"the SIS token endpoint does not grant the scope(s) {' '.join(scopes)}; "
                    "ask the SIS admin to grant them, or set the connection's scopes"
                )
            elif error == "invalid_client" or response.status_code == 401:
                message = (
                    "the SIS token endpoint refused the client id and secret (401); "
                    "check them, or ask the SIS admin whether the client is enabled"
                )
            else:
                message = f"the SIS token endpoint refused the token request ({error})"
            raise TokenRefused(
                message,
                error=error,
                url=self.token_url,
                status=response.status_code,
                said=said,
            )
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise TokenRefused(
                "the SIS token endpoint answered without an access_token",
                error="no_access_token",
                url=self.token_url,
                status=response.status_code,
                said=str(data)[:200],
            )
        try:
            expires_in = float(data.get("expires_in", 3600))
        except (TypeError, ValueError):
            expires_in = 3600.0
        return token, expires_in
