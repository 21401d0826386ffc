"""The deep-linking response: a JWT we sign, listing the links the teacher chose.

The platform checks it against our JWKS, so it is signed with the tool's current key, and it
echoes the request's `data` untouched, as the spec requires.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt

from lti.launch import LTI
from store.tool_keys import SigningKey

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"


@dataclass(frozen=True)
class ContentLink:
    """An LTI resource link to place in the course, optionally with a gradebook column."""

    title: str
    url: str
    text: str = ""
    custom: Mapping[str, str] = field(default_factory=dict)
    #: make a line item for it (an assessment aligned to indicators)
    score_maximum: float | None = None
    resource_id: str | None = None
    tag: str | None = None

    def as_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {"type": "ltiResourceLink", "title": self.title, "url": self.url}
        if self.text:
            item["text"] = self.text
        if self.custom:
            item["custom"] = dict(self.custom)
        if self.score_maximum is not None:
            line_item: dict[str, Any] = {"scoreMaximum": self.score_maximum, "label": self.title}
            if self.resource_id:
                line_item["resourceId"] = self.resource_id
            if self.tag:
                line_item["tag"] = self.tag
            item["lineItem"] = line_item
        return item


def deep_linking_response(
    *,
    key: SigningKey,
    client_id: str,
    issuer: str,
    deployment_id: str,
    settings: Mapping[str, Any],
    links: Sequence[ContentLink],
    message: str = "",
) -> str:
    """The signed JWT to POST (as `JWT`) to the platform's `deep_link_return_url`."""
    now = int(time.time())
    accept_multiple = settings.get("accept_multiple", True)
    items = [link.as_item() for link in links]
    if not accept_multiple:
        items = items[:1]
    claims: dict[str, Any] = {
        "iss": client_id,
        "aud": issuer,
        "iat": now,
        "exp": now + 300,
        "nonce": secrets.token_urlsafe(16),
        LTI + "deployment_id": deployment_id,
        LTI + "message_type": "LtiDeepLinkingResponse",
        LTI + "version": "1.3.0",
        DL + "content_items": items,
    }
    if settings.get("data") is not None:
        claims[DL + "data"] = settings["data"]
    if message:
        claims[DL + "msg"] = message
    return jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid})
