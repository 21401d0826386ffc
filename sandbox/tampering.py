"""Test hooks: id_tokens that a correct tool must refuse (and a few it must accept).

The tool's security tests queue a tampering on the state, then run an ordinary launch: the
platform answers the authentication request with the tampered token, through the real
form_post, so the tool meets it exactly where an attacker would send it.

    state.tampering.push(Tampering("iat_future", seconds=300))
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox.keys import KeyRing

LTI_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
STANDARD_CLAIMS = {"iss", "sub", "aud", "exp", "iat", "nonce", "azp", "name", "email"}

#: kinds a correct tool refuses
REFUSED_KINDS = (
    "bad_signature",
    "alg_none",
    "hs256_public_key",
    "unknown_kid",
    "expired",
    "iat_future",
    "wrong_aud",
    "wrong_iss",
    "wrong_deployment",
    "missing_claim",
    "replay_nonce",
    "aud_array_without_azp",
    "wrong_azp",
)
#: kinds a correct tool accepts (to prove it is not refusing everything)
ACCEPTED_KINDS = ("aud_array", "claims")
KINDS = REFUSED_KINDS + ACCEPTED_KINDS


@dataclass(frozen=True)
class Tampering:
    """One way to spoil the next id_token.

    `seconds` is used by `expired` (how long ago it expired) and `iat_future` (how far
    ahead `iat` is); `claim` names what `missing_claim` removes (a top-level name, an LTI
    claim's short name such as `deployment_id`, or a full claim URI); `overrides` are
    claims set as given (kind `claims`, or on top of any kind).
    """

    kind: str
    seconds: int = 0
    claim: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown tampering {self.kind!r}: use one of {KINDS}")
        if self.kind == "missing_claim" and not self.claim:
            raise ValueError("tampering 'missing_claim' needs claim=...")


class TamperQueue:
    """Tamperings waiting for the next launches, first in first out; remembers nonces seen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Tampering] = []
        self.last_nonce: str | None = None

    def push(self, tampering: Tampering) -> None:
        with self._lock:
            self._queue.append(tampering)

    def pop(self) -> Tampering | None:
        with self._lock:
            return self._queue.pop(0) if self._queue else None

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    def remember_nonce(self, nonce: str) -> str | None:
        """Keep `nonce` as the last one seen; answer the one before it."""
        with self._lock:
            previous, self.last_nonce = self.last_nonce, nonce
            return previous


def claim_key(name: str) -> str:
    if name in STANDARD_CLAIMS or "://" in name:
        return name
    return LTI_CLAIM + name


def tampered_token(
    claims: dict[str, Any], tampering: Tampering, keys: KeyRing, *, previous_nonce: str | None
) -> str:
    """The id_token for `claims` spoiled as `tampering` says."""
    claims = dict(claims)
    now = int(time.time())
    kind = tampering.kind
    if kind == "expired":
        ago = tampering.seconds or 600
        claims |= {"iat": now - ago - 300, "exp": now - ago}
    elif kind == "iat_future":
        claims |= {"iat": now + tampering.seconds, "exp": now + tampering.seconds + 300}
    elif kind == "wrong_aud":
        claims["aud"] = "some-other-client"
    elif kind == "wrong_iss":
        claims["iss"] = "https://impostor.example.com"
    elif kind == "wrong_deployment":
        claims[LTI_CLAIM + "deployment_id"] = "deployment-nobody-registered"
    elif kind == "missing_claim":
        claims.pop(claim_key(tampering.claim or ""), None)
    elif kind == "replay_nonce" and previous_nonce is not None:
        claims["nonce"] = previous_nonce
    elif kind == "aud_array":
        claims |= {"aud": [claims["aud"], "another-audience"], "azp": claims["aud"]}
    elif kind == "aud_array_without_azp":
        claims["aud"] = [claims["aud"], "another-audience"]
        claims.pop("azp", None)
    elif kind == "wrong_azp":
        claims |= {"aud": [claims["aud"], "another-audience"], "azp": "another-audience"}
    claims |= tampering.overrides
    if kind == "alg_none":
        return _compact({"alg": "none", "typ": "JWT", "kid": keys.current.kid}, claims, b"")
    if kind == "hs256_public_key":
        header = {"alg": "HS256", "typ": "JWT", "kid": keys.current.kid}
        signing_input = _signing_input(header, claims)
        mac = hmac.new(keys.current.public_pem, signing_input, hashlib.sha256).digest()
        return signing_input.decode() + "." + _b64(mac)
    if kind == "unknown_kid":
        return keys.sign(claims, headers={"kid": "kid-nobody-published"})
    token = keys.sign(claims)
    if kind == "bad_signature":
        head, body, signature = token.split(".")
        raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
        raw[len(raw) // 2] ^= 0xFF
        token = f"{head}.{body}.{_b64(bytes(raw))}"
    return token


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signing_input(header: dict[str, Any], claims: dict[str, Any]) -> bytes:
    encoded = [_b64(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)]
    return ".".join(encoded).encode()


def _compact(header: dict[str, Any], claims: dict[str, Any], signature: bytes) -> str:
    return _signing_input(header, claims).decode() + "." + _b64(signature)
