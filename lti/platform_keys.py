"""Platforms' public keys (JWKS), fetched with a timeout, cached, refetched on a new `kid`.

A platform rotates its keys without telling us: an id_token with a `kid` we have not seen
means "fetch again", but at most once per `refetch_interval` per URL, so a flood of forged
kids cannot turn us into a JWKS-fetching machine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from pbridge.errors import LaunchError


@dataclass
class _Cached:
    keys: dict[str, dict[str, Any]]
    fetched_at: float


class PlatformKeySets:
    def __init__(
        self,
        http: httpx.Client,
        *,
        ttl_seconds: float = 300,
        refetch_interval: float = 10,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._ttl = ttl_seconds
        self._refetch_interval = refetch_interval
        self._clock = clock
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()
        self.fetches = 0

    def key_for(self, url: str, kid: str) -> jwt.PyJWK:
        """The RS256 public key with this `kid` from the platform's JWKS at `url`."""
        cached = self._cache.get(url)
        now = self._clock()
        stale = cached is None or now - cached.fetched_at > self._ttl
        unknown_kid = cached is not None and kid not in cached.keys
        if stale or (unknown_kid and now - cached.fetched_at >= self._refetch_interval):
            cached = self._fetch(url)
        jwk = cached.keys.get(kid)
        if jwk is None:
            raise LaunchError(
                f"the platform's key set at {url} has no key with kid {kid!r}; "
                "if the platform just rotated its keys, try the launch again in a few seconds",
                claim="kid",
            )
        try:
            return jwt.PyJWK(jwk, algorithm="RS256")
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            raise LaunchError(f"the platform's key {kid!r} is not a usable RSA key", claim="kid") from None

    def _fetch(self, url: str) -> _Cached:
        with self._lock:
            try:
                response = self._http.get(url, headers={"Accept": "application/json"})
                self.fetches += 1
            except httpx.HTTPError as error:
                raise LaunchError(
                    f"the platform's key set at {url} could not be fetched ({type(error).__name__})",
                    claim="signature",
                    status_code=424,
                ) from None
            if response.status_code != 200:
                raise LaunchError(
                    f"the platform's key set at {url} answered HTTP {response.status_code}",
                    claim="signature",
                    status_code=424,
                )
            try:
                body = response.json()
                keys = {k["kid"]: k for k in body["keys"] if isinstance(k, dict) and k.get("kid")}
            except (ValueError, KeyError, TypeError):
                raise LaunchError(
                    f"the platform's key set at {url} is not a JWKS",
                    claim="signature",
                    status_code=424,
                ) from None
            cached = _Cached(keys=keys, fetched_at=self._clock())
            self._cache[url] = cached
            return cached
