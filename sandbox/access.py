"""Bearer tokens the token endpoint issued, and client-assertion `jti`s already seen."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

#: how long an issued bearer token lives, seconds
TOKEN_LIFETIME = 3600


@dataclass(frozen=True)
class Grant:
    """What one bearer token allows: a tool (client_id) and the scopes it was granted."""

    token: str
    client_id: str
    scopes: frozenset[str]
    expires_at: float

    @property
    def expired(self) -> bool:
        return time.time() >= self.expires_at


class AccessTokenStore:
    """Issued tokens and used assertion ids, both forgotten once they expire."""

    def __init__(self, lifetime: int = TOKEN_LIFETIME) -> None:
        self.lifetime = lifetime
        self._lock = threading.Lock()
        self._grants: dict[str, Grant] = {}
        self._jtis: dict[tuple[str, str], float] = {}
        self.issued_count = 0

    def issue(self, client_id: str, scopes: frozenset[str]) -> Grant:
        grant = Grant(
            token=secrets.token_urlsafe(32),
            client_id=client_id,
            scopes=scopes,
            expires_at=time.time() + self.lifetime,
        )
        with self._lock:
            self._grants[grant.token] = grant
            self.issued_count += 1
        return grant

    def grant(self, token: str) -> Grant | None:
        """The live grant for `token`, or None when unknown or expired."""
        with self._lock:
            grant = self._grants.get(token)
            if grant is not None and grant.expired:
                del self._grants[token]
                return None
            return grant

    def expire_all(self) -> None:
        """Test hook: every issued token stops working (as after the platform's TTL)."""
        with self._lock:
            self._grants.clear()

    def use_jti(self, client_id: str, jti: str, until: float) -> bool:
        """Record a client assertion's `jti`; False when it was already used."""
        now = time.time()
        with self._lock:
            for key in [key for key, expiry in self._jtis.items() if expiry < now]:
                del self._jtis[key]
            if (client_id, jti) in self._jtis:
                return False
            self._jtis[(client_id, jti)] = max(until, now + 60)
            return True
