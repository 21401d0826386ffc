"""A validated launch, as our own frozen value, and what its roles let the user see."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"


class Audience(enum.Enum):
    """Which home a launch lands on."""

    TEACHER = "teacher"
    STUDENT = "student"
    ADMIN = "admin"
    NONE = "none"


_TEACHER_ROLES = {"Instructor", "TeachingAssistant", "ContentDeveloper", "Mentor#TeachingAssistant"}
_ADMIN_ROLES = {"Administrator", "SysAdmin"}


def _role_names(roles: list[str]) -> tuple[set[str], set[str], set[str]]:
    """Split LTI role URIs into context, institution and system role names (short forms too)."""
    context: set[str] = set()
    institution: set[str] = set()
    system: set[str] = set()
    for role in roles:
        name = role.rsplit("#", 1)[-1] if "#" in role else role.rsplit("/", 1)[-1]
        if "/membership/" in role and "#" in role.split("/membership/")[-1]:
            # sub-roles such as membership/Instructor#TeachingAssistant
            name = role.rsplit("/membership/", 1)[-1].split("#")[0]
        if "/institution/person" in role:
            institution.add(name)
        elif "/system/person" in role:
            system.add(name)
        else:
            context.add(name)
    return context, institution, system


def audience_for(roles: list[str]) -> Audience:
    """Instructor / TA -> teacher, Learner -> student, institution/system admin -> admin."""
    context, institution, system = _role_names(roles)
    if context & _TEACHER_ROLES:
        return Audience.TEACHER
    if "Learner" in context:
        return Audience.STUDENT
    if (institution | system | context) & _ADMIN_ROLES:
        return Audience.ADMIN
    return Audience.NONE


def is_admin(roles: list[str]) -> bool:
    context, institution, system = _role_names(roles)
    return bool((institution | system) & _ADMIN_ROLES) or "Administrator" in context


@dataclass(frozen=True)
class Launch:
    """Everything the tool uses from a validated id_token, named in our words."""

    issuer: str
    client_id: str
    deployment_id: str
    platform_id: int
    message_type: str
    sub: str
    roles: list[str]
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    context_id: str | None = None
    context_title: str = ""
    context_label: str = ""
    resource_link_id: str | None = None
    resource_link_title: str = ""
    target_link_uri: str = ""
    lis_person_sourcedid: str | None = None
    lis_course_section_sourcedid: str | None = None
    custom: Mapping[str, Any] = field(default_factory=dict)
    ags: Mapping[str, Any] = field(default_factory=dict)
    nrps_memberships_url: str | None = None
    deep_linking_settings: Mapping[str, Any] = field(default_factory=dict)
    return_url: str | None = None
    document_target: str | None = None

    @property
    def audience(self) -> Audience:
        return audience_for(self.roles)

    @property
    def is_admin(self) -> bool:
        return is_admin(self.roles)

    @property
    def is_deep_linking(self) -> bool:
        return self.message_type == DEEP_LINKING_REQUEST

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any], *, client_id: str, platform_id: int) -> Launch:
        context = claims.get(LTI + "context") or {}
        link = claims.get(LTI + "resource_link") or {}
        lis = claims.get(LTI + "lis") or {}
        presentation = claims.get(LTI + "launch_presentation") or {}
        nrps = claims.get(NRPS_CLAIM) or {}
        return cls(
            issuer=claims["iss"],
            client_id=client_id,
            deployment_id=claims[LTI + "deployment_id"],
            platform_id=platform_id,
            message_type=claims[LTI + "message_type"],
            sub=str(claims["sub"]),
            roles=list(claims.get(LTI + "roles") or []),
            name=claims.get("name", "") or "",
            given_name=claims.get("given_name", "") or "",
            family_name=claims.get("family_name", "") or "",
            email=claims.get("email", "") or "",
            context_id=context.get("id"),
            context_title=context.get("title", "") or "",
            context_label=context.get("label", "") or "",
            resource_link_id=link.get("id"),
            resource_link_title=link.get("title", "") or "",
            target_link_uri=claims.get(LTI + "target_link_uri", "") or "",
            lis_person_sourcedid=lis.get("person_sourcedid") or None,
            lis_course_section_sourcedid=lis.get("course_section_sourcedid") or None,
            custom=dict(claims.get(LTI + "custom") or {}),
            ags=dict(claims.get(AGS_CLAIM) or {}),
            nrps_memberships_url=nrps.get("context_memberships_url"),
            deep_linking_settings=dict(claims.get(DL_CLAIM) or {}),
            return_url=presentation.get("return_url"),
            document_target=presentation.get("document_target"),
        )
