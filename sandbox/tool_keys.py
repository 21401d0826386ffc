"""The tools' public keys, fetched from their JWKS URLs, cached, refetched on an unknown kid.

The platform checks client assertions and deep linking responses with these keys. A key
rotation on the tool's side shows up as an unknown `kid`, which triggers one refetch.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import jwt

from sandbox.registry import ToolRegistration

#: how long a fetched JWKS is trusted before it is fetched again, seconds
JWKS_TTL = 300


class ToolKeyError(Exception):
    """The tool's key could not be found or fetched; the message says which and why."""


class ToolKeyCache:
    """JWKS per tool URL, fetched with the platform's httpx client (which has a timeout)."""

    def __init__(self, http: httpx.Client | None = None) -> None:
        self._http = http
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}
        self.fetch_count = 0

    @property
    def http(self) -> httpx.Client:
        """The client JWKS are fetched with (made on first use: most states never fetch)."""
        if self._http is None:
            self._http = httpx.Client(timeout=5.0)
        return self._http

    def key_for(self, tool: ToolRegistration, kid: str | None) -> Any:
        """The public key (for pyjwt) of `tool` named `kid`.

        `kid` may be None only when the tool publishes exactly one key.
        """
        jwks = self._jwks(tool, refresh=False)
        found = _select(jwks, kid)
        if found is None and tool.jwks_url is not None:
            found = _select(self._jwks(tool, refresh=True), kid)
        if found is None:
            raise ToolKeyError(
                f"the tool {tool.client_id!r} publishes no key with kid {kid!r}"
                if kid
                else f"the JWT has no kid and the tool {tool.client_id!r} has several keys"
            )
        return jwt.PyJWK(found, algorithm="RS256").key

    def _jwks(self, tool: ToolRegistration, *, refresh: bool) -> dict[str, Any]:
        if tool.jwks_url is None:
            return tool.public_jwks or {"keys": []}
        with self._lock:
            cached = self._cache.get(tool.jwks_url)
        if cached and not refresh and time.time() - cached[0] < JWKS_TTL:
            return cached[1]
        try:
            response = self.http.get(tool.jwks_url, timeout=5.0)
            response.raise_for_status()
            jwks = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise ToolKeyError(
                f"could not fetch the JWKS of tool {tool.client_id!r} from {tool.jwks_url}: {error}"
            ) from error
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
            raise ToolKeyError(f"{tool.jwks_url} did not answer a JWKS (no 'keys' list)")
        with self._lock:
            self._cache[tool.jwks_url] = (time.time(), jwks)
            self.fetch_count += 1
        return jwks


def _select(jwks: dict[str, Any], kid: str | None) -> dict[str, Any] | None:
    keys = [key for key in jwks.get("keys", []) if isinstance(key, dict)]
    if kid is None:
        return keys[0] if len(keys) == 1 else None
    return next((key for key in keys if key.get("kid") == kid), None)
