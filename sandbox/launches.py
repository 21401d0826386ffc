"""Launches in flight: what the platform issued at login initiation and must see again.

A launch starts when a person clicks a link: the platform sends the browser to the tool's
login initiation URL with an opaque `login_hint` and `lti_message_hint`. The tool answers
with an authentication request carrying both back; the platform accepts each pair once, so
a replayed or forged authentication request is refused.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
MESSAGE_TYPES = (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST)

#: how long a login initiation stays redeemable, seconds
HINT_LIFETIME = 600


@dataclass(frozen=True)
class PendingLaunch:
    """A login initiation the platform sent, waiting for the tool's authentication request."""

    message_hint: str
    login_hint: str
    client_id: str
    deployment_id: str
    user_id: str
    course_id: str | None
    resource_link_id: str | None
    message_type: str
    target_link_uri: str
    document_target: str
    issued_at: float


@dataclass(frozen=True)
class LoginInitiation:
    """Where the browser goes to start a launch, and with what (third-party initiated login)."""

    url: str
    params: dict[str, str]
    method: str = "POST"

    @property
    def redirect_url(self) -> str:
        """The login initiation as one GET URL."""
        separator = "&" if "?" in self.url else "?"
        return self.url + separator + urlencode(self.params)

    def as_json(self) -> dict[str, Any]:
        return {"action": self.url, "method": self.method, "params": dict(self.params)}


@dataclass(frozen=True)
class DeepLinkRequest:
    """A deep linking request the platform sent, waiting for the tool's signed response."""

    id: str
    client_id: str
    deployment_id: str
    course_id: str | None
    user_id: str
    data: str
    accept_types: tuple[str, ...]
    accept_presentation_document_targets: tuple[str, ...]
    accept_multiple: bool
    auto_create: bool
    issued_at: float = field(default_factory=time.time)


class LaunchBook:
    """Issued login hints (single use) and open deep linking requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, PendingLaunch] = {}
        self._deep_links: dict[str, DeepLinkRequest] = {}

    def issue(self, **fields: Any) -> PendingLaunch:
        pending = PendingLaunch(message_hint=secrets.token_urlsafe(24), issued_at=time.time(), **fields)
        with self._lock:
            self._pending[pending.message_hint] = pending
        return pending

    def redeem(self, message_hint: str) -> PendingLaunch | None:
        """The pending launch for `message_hint`, removed so it can be used only once."""
        with self._lock:
            pending = self._pending.pop(message_hint, None)
        if pending is None or time.time() - pending.issued_at > HINT_LIFETIME:
            return None
        return pending

    def peek(self, message_hint: str) -> PendingLaunch | None:
        with self._lock:
            return self._pending.get(message_hint)

    def open_deep_link(self, **fields: Any) -> DeepLinkRequest:
        request = DeepLinkRequest(id=secrets.token_urlsafe(16), **fields)
        with self._lock:
            self._deep_links[request.id] = request
        return request

    def close_deep_link(self, request_id: str) -> DeepLinkRequest | None:
        """The open deep linking request `request_id`, removed (a response is accepted once)."""
        with self._lock:
            return self._deep_links.pop(request_id, None)

    def deep_link(self, request_id: str) -> DeepLinkRequest | None:
        with self._lock:
            return self._deep_links.get(request_id)
