"""What every sync shares: the database, one HTTP client, per-platform limits, tokens, keys.

Built once per process (the CLI, a Celery worker, the web app) and handed to the sync
functions; tests pass an `httpx.Client` whose transport reaches the sandbox, a sleep that
records instead of sleeping, and small retry limits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from bridge.http import PlatformHttp, RetryPolicy, make_client
from bridge.service_tokens import MemoryTokenCache, ServiceTokens, SigningKey, TokenCache, ToolIdentity
from store.database import Database
from store.platforms import Platform
from store.secret_box import SecretBox
from store.tool_keys import current_signing_key

KEY_CACHE_SECONDS = 30.0


@dataclass
class Bridge:
    database: Database
    secret_box: SecretBox
    http: httpx.Client = field(default_factory=make_client)
    token_cache: TokenCache = field(default_factory=MemoryTokenCache)
    #: requests in flight at once, per platform
    max_concurrency: int = 8
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    _platform_http: dict[int, PlatformHttp] = field(default_factory=dict, repr=False)
    _tokens: dict[int, ServiceTokens] = field(default_factory=dict, repr=False)
    _key: tuple[float, SigningKey] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def platform_http(self, platform: Platform) -> PlatformHttp:
        with self._lock:
            found = self._platform_http.get(platform.id)
            if found is None:
                found = PlatformHttp(
                    self.http,
                    name=platform.name or platform.issuer,
                    retry=self.retry,
                    max_concurrency=self.max_concurrency,
                    sleep=self.sleep,
                )
                self._platform_http[platform.id] = found
            return found

    def service_tokens(self, platform: Platform) -> ServiceTokens:
        with self._lock:
            found = self._tokens.get(platform.id)
        if found is None:
            found = ServiceTokens(
                self.platform_http(platform),
                ToolIdentity(
                    issuer=platform.issuer,
                    client_id=platform.client_id,
                    token_url=platform.auth_token_url,
                    audience=platform.auth_audience,
                ),
                key=self.signing_key,
                cache=self.token_cache,
            )
            with self._lock:
                found = self._tokens.setdefault(platform.id, found)
        return found

    def signing_key(self) -> SigningKey:
        """The tool's current key, re-read every 30 s so a rotation reaches running workers."""
        cached = self._key
        if cached is not None and time.monotonic() - cached[0] < KEY_CACHE_SECONDS:
            return cached[1]
        with self.database.begin() as session:
            key = current_signing_key(session, self.secret_box)
        signing = SigningKey(kid=key.kid, private_pem=key.private_pem)
        self._key = (time.monotonic(), signing)
        return signing

    def requests_made(self) -> int:
        return sum(h.stats.requests for h in self._platform_http.values())
