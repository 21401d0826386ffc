"""The SIS's side of authentication: an OAuth 2 token endpoint and an OAuth 1.0a checker.

Written from RFC 6749 §4.4 and RFC 5849 §3.4, without the client's libraries, so a bug in
the bridge cannot pass on both sides. The OAuth 1 checker is strict the way many SIS are:
the query string is percent-decoded per RFC 3986 only, so a `+` stays a `+`. A client that
sends a space as `+` but signs it as a space (`%20`) computes another base string and is
refused with 401 -- the 401 says which base string we expected, as a helpful SIS would log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

OR12 = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
OR11 = "https://purl.imsglobal.org/spec/or/v1p1/scope/"

SCOPES_1_2 = frozenset(
    OR12 + s
    for s in (
        "roster-core.readonly",
        "roster.readonly",
        "roster-demographics.readonly",
        "gradebook.readonly",
        "gradebook-core.readonly",
        "gradebook.createput",
        "gradebook.createpost",
        "gradebook.delete",
    )
)
SCOPES_1_1 = frozenset(
    OR11 + s
    for s in (
        "roster-core.readonly",
        "roster.readonly",
        "roster-demographics.readonly",
        "gradebook.readonly",
        "gradebook.createput",
        "gradebook.delete",
    )
)


class AuthRefused(Exception):
    """Why a request is not authorised: `status` (401/403), `error`, a description."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


@dataclass
class Client:
    client_id: str
    secret: str = field(repr=False)
    scopes: frozenset[str]


@dataclass
class Grant:
    client_id: str
    scopes: frozenset[str]
    expires_at: float


class Authority:
    """Registered clients, issued tokens and seen OAuth 1 nonces."""

    def __init__(self, clock: Callable[[], float] = time.time, *, token_lifetime: int = 3600) -> None:
        self.clients: dict[str, Client] = {}
        self.grants: dict[str, Grant] = {}
        self.nonces: set[tuple[str, str, str]] = set()
        self.clock = clock
        self.token_lifetime = token_lifetime
        self.tokens_issued = 0
        self._lock = threading.Lock()

    def add_client(self, client_id: str, secret: str, scopes: frozenset[str]) -> None:
        self.clients[client_id] = Client(client_id, secret, frozenset(scopes))

    # --- OAuth 2 client credentials ---------------------------------------------------------

    def issue_token(self, *, authorization: str | None, form: dict[str, str]) -> dict[str, object]:
        """Answer a token request, or raise `AuthRefused` with the RFC 6749 §5.2 error."""
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if authorization and authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:].strip()).decode()
                raw_id, _, raw_secret = decoded.partition(":")
                client_id, secret = unquote(raw_id), unquote(raw_secret)
            except (ValueError, UnicodeDecodeError):
                raise AuthRefused(401, "invalid_client", "malformed Basic credentials") from None
        if form.get("grant_type") != "client_credentials":
            raise AuthRefused(400, "unsupported_grant_type", "only client_credentials is offered")
        client = self.clients.get(client_id)
        if client is None or not hmac.compare_digest(client.secret, secret):
            raise AuthRefused(401, "invalid_client", "unknown client or wrong secret")
        asked = frozenset(form.get("scope", "").split())
        if not asked:
            asked = client.scopes
        if not asked <= client.scopes:
            missing = " ".join(sorted(asked - client.scopes))
            raise AuthRefused(400, "invalid_scope", f"scope not granted to this client: {missing}")
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.grants[token] = Grant(client_id, asked, self.clock() + self.token_lifetime)
            self.tokens_issued += 1
        return {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self.token_lifetime,
            "scope": " ".join(sorted(asked)),
        }

    def check_bearer(self, authorization: str | None, needs: frozenset[str]) -> str:
        """The client id behind a valid token holding one of `needs`; else `AuthRefused`."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise AuthRefused(401, "unauthorisedrequest", "no bearer token")
        grant = self.grants.get(authorization[7:].strip())
        if grant is None or grant.expires_at <= self.clock():
            raise AuthRefused(401, "unauthorisedrequest", "unknown or expired token")
        if not grant.scopes & needs:
            raise AuthRefused(
                403, "forbidden", f"the token lacks the scope: one of {' '.join(sorted(needs))}"
            )
        return grant.client_id

    # --- OAuth 1.0a -------------------------------------------------------------------------

    def check_oauth1(
        self,
        *,
        method: str,
        scheme: str,
        host: str,
        path: str,
        raw_query: str,
        authorization: str | None,
        allowed_methods: frozenset[str] = frozenset({"HMAC-SHA256"}),
    ) -> str:
        """Verify an RFC 5849 signed request; returns the consumer key or raises."""
        if not authorization or not authorization.lower().startswith("oauth "):
            raise AuthRefused(401, "unauthorisedrequest", "no OAuth Authorization header")
        header_params = parse_oauth_header(authorization)
        oauth = dict(header_params)
        for required in (
            "oauth_consumer_key",
            "oauth_signature_method",
            "oauth_timestamp",
            "oauth_nonce",
            "oauth_signature",
        ):
            if required not in oauth:
                raise AuthRefused(401, "unauthorisedrequest", f"{required} is missing")
        if oauth["oauth_signature_method"] not in allowed_methods:
            raise AuthRefused(
                401,
                "unauthorisedrequest",
                f"signature method {oauth['oauth_signature_method']} refused; "
                f"use {' or '.join(sorted(allowed_methods))}",
            )
        client = self.clients.get(oauth["oauth_consumer_key"])
        if client is None:
            raise AuthRefused(401, "unauthorisedrequest", "unknown consumer key")
        try:
            stamp = int(oauth["oauth_timestamp"])
        except ValueError:
            raise AuthRefused(401, "unauthorisedrequest", "oauth_timestamp is not a number") from None
        if abs(self.clock() - stamp) > 600:
            raise AuthRefused(401, "unauthorisedrequest", "oauth_timestamp is too far from now")
        params = [(k, v) for k, v in header_params if k not in {"oauth_signature", "realm"}]
        params += query_params(raw_query)
        expected_base = base_string(method, f"{scheme}://{host}{path}", params)
        digest = hashlib.sha256 if oauth["oauth_signature_method"] == "HMAC-SHA256" else hashlib.sha1
        key = f"{percent_encode(client.secret)}&"
        expected = base64.b64encode(hmac.new(key.encode(), expected_base.encode(), digest).digest()).decode()
        if not hmac.compare_digest(expected, oauth["oauth_signature"]):
            raise AuthRefused(
                401,
                "unauthorisedrequest",
                f"signature mismatch; the base string here is: {expected_base}",
            )
        replay = (client.client_id, oauth["oauth_timestamp"], oauth["oauth_nonce"])
        with self._lock:
            if replay in self.nonces:
                raise AuthRefused(401, "unauthorisedrequest", "nonce used before (replay)")
            self.nonces.add(replay)
        return client.client_id


def percent_encode(text: str) -> str:
    """RFC 5849 §3.6: everything but unreserved characters, upper-case hex."""
    return quote(text, safe="-._~")


def query_params(raw_query: str) -> list[tuple[str, str]]:
    """Decode a query string the RFC 3986 way: `%XX` only, `+` stays a plus sign."""
    params = []
    for part in raw_query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        params.append((unquote(name), unquote(value)))
    return params


def parse_oauth_header(header: str) -> list[tuple[str, str]]:
    params = []
    for item in header[6:].split(","):
        name, _, value = item.strip().partition("=")
        params.append((unquote(name.strip()), unquote(value.strip().strip('"'))))
    return params


def base_string(method: str, base_uri: str, params: list[tuple[str, str]]) -> str:
    """RFC 5849 §3.4.1: METHOD & encoded base URI & encoded sorted, encoded parameters."""
    scheme, _, rest = base_uri.partition("://")
    authority, _, path = rest.partition("/")
    host = authority.lower()
    if (scheme, host.rpartition(":")[2]) in {("http", "80"), ("https", "443")}:
        host = host.rpartition(":")[0]
    uri = f"{scheme.lower()}://{host}/{path}"
    encoded = sorted((percent_encode(k), percent_encode(v)) for k, v in params)
    normalized = "&".join(f"{k}={v}" for k, v in encoded)
    return "&".join([method.upper(), percent_encode(uri), percent_encode(normalized)])
