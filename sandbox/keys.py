"""The platform's signing keys: RSA, identified by `kid`, rotatable.

The JWKS publishes every key still retained (the current one and the ones rotated out but
not yet retired), so a tool that caches the JWKS and refetches on an unknown `kid` keeps
validating across a rotation, and one that never refetches fails.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


@dataclass(frozen=True)
class SigningKey:
    """One RSA key pair and the `kid` that names it in JWT headers and the JWKS."""

    kid: str
    private_key: rsa.RSAPrivateKey

    @property
    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        jwk.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return jwk

    @property
    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @classmethod
    def generate(cls, kid: str | None = None) -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(kid=kid or uuid.uuid4().hex[:16], private_key=key)


class KeyRing:
    """The platform's keys, newest last; signs with the newest."""

    def __init__(self, keys: list[SigningKey] | None = None) -> None:
        self._lock = threading.Lock()
        self._keys: list[SigningKey] = list(keys) if keys else [SigningKey.generate()]

    @property
    def current(self) -> SigningKey:
        with self._lock:
            return self._keys[-1]

    @property
    def kids(self) -> list[str]:
        with self._lock:
            return [key.kid for key in self._keys]

    def rotate(self, *, keep_previous: bool = True, kid: str | None = None) -> SigningKey:
        """Make a new current key; the old ones stay published unless `keep_previous=False`."""
        new = SigningKey.generate(kid)
        with self._lock:
            self._keys = [*self._keys, new] if keep_previous else [new]
        return new

    def retire(self, kid: str) -> None:
        """Stop publishing `kid` (a token signed with it no longer validates)."""
        with self._lock:
            remaining = [key for key in self._keys if key.kid != kid]
            if not remaining:
                raise ValueError(f"cannot retire {kid!r}: it is the only signing key")
            self._keys = remaining

    def jwks(self) -> dict[str, Any]:
        with self._lock:
            keys = list(self._keys)
        return {"keys": [key.public_jwk for key in keys]}

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        """An RS256 JWT of `claims` signed with the current key, `kid` in its header."""
        key = self.current
        return jwt.encode(
            claims, key.private_key, algorithm="RS256", headers={"kid": key.kid, **(headers or {})}
        )
