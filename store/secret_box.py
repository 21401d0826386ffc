"""Encryption of stored secrets (private keys, LMS and SIS credentials, refresh tokens).

Secrets are encrypted with Fernet (AES-128-CBC + HMAC) before they reach a table, so a
database dump or a backup does not hand out a district's SIS credentials.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from pbridge.errors import SettingsError


class SecretBox:
    """Seals and opens secrets with one key."""

    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except (ValueError, TypeError):
            raise SettingsError(
                "PBRIDGE_ENCRYPTION_KEY is not a Fernet key (32 url-safe base64 bytes); "
                "make one with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`"
            ) from None

    @classmethod
    def from_settings(cls, encryption_key: str | None, secret_key: str) -> SecretBox:
        """Use the encryption key, or derive one from the secret key when none is set."""
        if encryption_key:
            return cls(encryption_key)
        digest = hashlib.sha256(b"pbridge-secret-box:" + secret_key.encode()).digest()
        return cls(base64.urlsafe_b64encode(digest).decode())

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SettingsError(
                "a stored secret cannot be decrypted: the encryption key changed since it "
                "was saved; restore PBRIDGE_ENCRYPTION_KEY or enter the secret again"
            ) from None
