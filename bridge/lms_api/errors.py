"""What goes wrong talking to an LMS's own API, in words an admin or a teacher can act on.

ProficiencyBridgeError
├── LmsNotConnected            no credentials for the platform's API were entered
├── LmsAuthorizationRequired   Canvas: no token to act with -- a teacher must authorise once
├── LmsAuthorizationFailed     the OAuth callback cannot complete: expired, altered, declined
└── PlatformRejected
    └── LmsApiRefused          the LMS said no; `missing` names the scope, function or permission
        └── GrantRefused       Canvas refused a code or refresh token (revoked, used, expired)
"""

from __future__ import annotations

from pbridge.errors import PlatformRejected, ProficiencyBridgeError


class LmsNotConnected(ProficiencyBridgeError):
    """The platform has no LMS API credentials: existing assignments cannot be read."""

    status_code = 409


class LmsAuthorizationRequired(ProficiencyBridgeError):
    """Canvas needs a teacher's authorisation (or an admin token) before its API can be read."""

    status_code = 403


class LmsApiRefused(PlatformRejected):
    """The LMS refused a call; `missing` says what to add: a scope, a function, a permission."""

    def __init__(
        self,
        message: str,
        *,
        missing: str = "",
        url: str = "",
        status: int | None = None,
        platform_message: str = "",
    ) -> None:
        super().__init__(message, url=url, status=status, platform_message=platform_message)
        self.missing = missing


class LmsAuthorizationFailed(ProficiencyBridgeError):
    """The OAuth callback cannot be completed (expired, altered, replayed or declined)."""

    status_code = 400


class GrantRefused(LmsApiRefused):
    """Canvas's token endpoint refused a code or refresh token (`invalid_grant`): authorise again."""
