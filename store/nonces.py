"""Single-use launch nonces across every worker: in the database, or in Redis when configured.

pylti1p3 checks a nonce against the browser session and never consumes it, so the same
id_token can be replayed. Here a nonce is consumed once for the whole deployment.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from store.platforms import UsedNonce
from store.types import utcnow

if TYPE_CHECKING:
    from redis import Redis

    from store.database import Database


class NonceStore(Protocol):
    def consume(self, issuer: str, nonce: str, *, ttl_seconds: int) -> bool:
        """Record the nonce; True the first time, False for a replay."""


class DatabaseNonceStore:
    """A unique row per (issuer, nonce); the database refuses the second insert."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._inserts = 0

    def consume(self, issuer: str, nonce: str, *, ttl_seconds: int) -> bool:
        try:
            with self._database.begin() as session:
                session.add(
                    UsedNonce(
                        issuer=issuer,
                        nonce=nonce,
                        expires_at=utcnow() + timedelta(seconds=ttl_seconds),
                    )
                )
                self._inserts += 1
                if self._inserts % 500 == 0:
                    session.execute(delete(UsedNonce).where(UsedNonce.expires_at < utcnow()))
        except IntegrityError:
            return False
        return True


class RedisNonceStore:
    """`SET key 1 NX EX ttl`: atomic, and the key expires with the id_token's lifetime."""

    def __init__(self, redis: Redis, *, prefix: str = "pbridge:nonce:") -> None:
        self._redis = redis
        self._prefix = prefix

    def consume(self, issuer: str, nonce: str, *, ttl_seconds: int) -> bool:
        key = f"{self._prefix}{issuer}|{nonce}"
        return bool(self._redis.set(key, "1", nx=True, ex=max(1, ttl_seconds)))
