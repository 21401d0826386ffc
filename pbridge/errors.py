"""The errors Proficiency Bridge raises on purpose, and nothing else.

This module imports nothing of ours so that every package, `mappings/` included, may raise
from it without pulling anything else in.

    ProficiencyBridgeError          anything the product refuses, with a message a person can act on
    ├── SettingsError               an environment variable or config file is wrong
    ├── LaunchError                 an LTI message failed validation (which claim, and why)
    ├── RegistrationError           a platform registration is missing, incomplete or not approved
    ├── FrameworkImportError        a framework file is malformed (file, line or identifier, field)
    ├── CsvImportError              a CSV row is malformed (file, line, column)
    ├── CalculationError            a calculation method got parameters or evidence it cannot use
    └── PlatformError               a platform, LMS API or SIS did not do what we asked
        ├── PlatformUnavailable     timeouts, connection errors, 5xx after the retries ran out
        └── PlatformRejected        a 4xx that retrying will not fix (status, URL, platform's words)

Web handlers turn these into a 4xx page, the CLI into one line and a non-zero exit.
"""

from __future__ import annotations


class ProficiencyBridgeError(Exception):
    """Base of every error we raise on purpose; `str()` is the message shown to a person."""

    #: the HTTP status a web handler answers with
    status_code: int = 400


class SettingsError(ProficiencyBridgeError):
    """A setting is missing or malformed; names the variable."""

    status_code = 500


class LaunchError(ProficiencyBridgeError):
    """An LTI launch or deep-linking message failed one of the checks.

    `claim` names what failed (e.g. ``"nonce"``, ``"aud"``, ``"signature"``) so logs can count
    refusals by cause without logging anything personal.
    """

    def __init__(self, message: str, *, claim: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.claim = claim
        self.status_code = status_code


class RegistrationError(ProficiencyBridgeError):
    """No usable registration for this issuer / client_id / deployment."""

    status_code = 403


class FrameworkImportError(ProficiencyBridgeError):
    """A framework file is malformed; the message says where (line, field or identifier)."""

    def __init__(self, message: str, *, where: str = "") -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where


class CsvImportError(ProficiencyBridgeError):
    """A CSV row is malformed: which file, which line, which column, and what is wrong."""

    def __init__(self, message: str, *, file: str, line: int, column: str = "") -> None:
        where = f"{file}, line {line}" + (f", column '{column}'" if column else "")
        super().__init__(f"{where}: {message}")
        self.file = file
        self.line = line
        self.column = column


class CalculationError(ProficiencyBridgeError):
    """A calculation method cannot run with these parameters or this evidence."""


class PlatformError(ProficiencyBridgeError):
    """Talking to an LMS, a SIS or a platform's service failed."""

    status_code = 502

    def __init__(
        self,
        message: str,
        *,
        url: str = "",
        status: int | None = None,
        platform_message: str = "",
    ) -> None:
        parts = [message]
        if status is not None:
            parts.append(f"HTTP {status}")
        if url:
            parts.append(f"at {url}")
        if platform_message:
            parts.append(f"the platform said: {platform_message[:300]}")
        super().__init__("; ".join(parts))
        self.url = url
        self.status = status
        self.platform_message = platform_message


class PlatformUnavailable(PlatformError):
    """The other side did not answer usefully (timeout, connection refused, 5xx) after retries."""

    status_code = 503


class PlatformRejected(PlatformError):
    """The other side refused the request; retrying the same request will not help."""

    status_code = 502
