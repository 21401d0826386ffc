"""What the platform knows about tools: registrations, and the resource links placed in courses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

AGS_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
AGS_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
AGS_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
AGS_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
NRPS_MEMBERSHIP = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

AGS_SCOPES = (AGS_LINEITEM, AGS_LINEITEM_READONLY, AGS_RESULT_READONLY, AGS_SCORE)
ALL_SCOPES = (*AGS_SCOPES, NRPS_MEMBERSHIP)
#: Moodle's "grade sync only" mode: read line items, read results, post scores; no lineitem
GRADE_SYNC_ONLY_SCOPES = (AGS_LINEITEM_READONLY, AGS_RESULT_READONLY, AGS_SCORE, NRPS_MEMBERSHIP)


@dataclass(frozen=True)
class ToolRegistration:
    """A tool as an administrator registered it (a Canvas developer key, a Moodle tool type)."""

    client_id: str
    deployment_ids: tuple[str, ...]
    login_url: str
    redirect_uris: tuple[str, ...]
    #: where the platform fetches the tool's public keys (client assertions, deep link responses)
    jwks_url: str | None
    #: a static public JWKS instead of a URL (Canvas allows either)
    public_jwks: dict[str, Any] | None
    target_link_uri: str
    deep_link_url: str | None
    scopes: tuple[str, ...]
    #: custom parameters, values may be substitution variables such as `$Canvas.course.id`
    custom: dict[str, str] = field(default_factory=dict)
    name: str = "Tool"

    def has_deployment(self, deployment_id: str) -> bool:
        return deployment_id in self.deployment_ids


@dataclass(frozen=True)
class ResourceLink:
    """A placement of a tool in a course: what a learner clicks to launch it."""

    id: str
    course_id: str
    client_id: str
    deployment_id: str
    title: str
    url: str | None = None
    description: str = ""
    custom: dict[str, Any] = field(default_factory=dict)
    #: created by a deep linking response rather than by an administrator
    from_deep_link: bool = False
