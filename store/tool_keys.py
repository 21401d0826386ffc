"""The tool's RSA signing keys: made on first use, rotated on demand, published as a JWKS.

Rotation keeps the old current key published as `previous`, so a platform that cached our
JWKS a moment ago, or a token we signed a second before the rotation, still verifies.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import select
from sqlalchemy.orm import Session

from store.platforms import KeyStatus, ToolKey
from store.secret_box import SecretBox
from store.types import utcnow


@dataclass(frozen=True)
class SigningKey:
    """The current private key with its kid, ready for PyJWT."""

    kid: str
    private_pem: bytes


def _new_key(box: SecretBox) -> ToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    kid = secrets.token_urlsafe(12)
    jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return ToolKey(kid=kid, private_key_sealed=box.seal(pem.decode()), public_jwk=jwk)


def ensure_current_key(session: Session, box: SecretBox) -> ToolKey:
    """The current key, made now if the tool has none yet (first start)."""
    current = session.scalars(
        select(ToolKey).where(ToolKey.status == KeyStatus.CURRENT).order_by(ToolKey.id.desc())
    ).first()
    if current is None:
        current = _new_key(box)
        session.add(current)
        session.flush()
    return current


def current_signing_key(session: Session, box: SecretBox) -> SigningKey:
    key = ensure_current_key(session, box)
    return SigningKey(kid=key.kid, private_pem=box.open(key.private_key_sealed).encode())


def rotate(session: Session, box: SecretBox) -> ToolKey:
    """Make a new current key; the old current becomes previous, the old previous retires."""
    now = utcnow()
    for key in session.scalars(select(ToolKey).where(ToolKey.status == KeyStatus.PREVIOUS)):
        key.status = KeyStatus.RETIRED
        key.rotated_at = now
    for key in session.scalars(select(ToolKey).where(ToolKey.status == KeyStatus.CURRENT)):
        key.status = KeyStatus.PREVIOUS
        key.rotated_at = now
    session.flush()
    fresh = _new_key(box)
    session.add(fresh)
    session.flush()
    return fresh


def published_jwks(session: Session) -> dict[str, Any]:
    """The JWKS platforms fetch: the current key and the previous one."""
    keys = session.scalars(
        select(ToolKey)
        .where(ToolKey.status.in_([KeyStatus.CURRENT, KeyStatus.PREVIOUS]))
        .order_by(ToolKey.id.desc())
    ).all()
    return {"keys": [dict(key.public_jwk) for key in keys]}


def list_keys(session: Session) -> list[ToolKey]:
    return list(session.scalars(select(ToolKey).order_by(ToolKey.id)))
