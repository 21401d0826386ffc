"""The id_token of a launch: every claim LTI 1.3 Core, AGS, NRPS and Deep Linking define.

Built from the pending launch the tool's authentication request redeemed, so the token
says exactly who launched from where, and what services the tool may call back.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sandbox.addresses import line_item_url, line_items_url, memberships_url
from sandbox.launches import DEEP_LINKING_REQUEST, DeepLinkRequest, PendingLaunch
from sandbox.registry import AGS_SCOPES, NRPS_MEMBERSHIP
from sandbox.roster import Course, User, context_role_uris

if TYPE_CHECKING:
    from sandbox.state import SandboxState

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"

#: lifetime of an id_token, seconds
ID_TOKEN_LIFETIME = 300

PRODUCT = {
    "canvas": ("canvas", "Canvas LMS (sandbox)"),
    "moodle": ("moodle", "Moodle (sandbox)"),
    "schoology": ("schoology", "Schoology (sandbox)"),
    "generic": ("sandbox", "Sandbox LMS"),
}


def launch_claims(
    state: SandboxState,
    pending: PendingLaunch,
    nonce: str,
    deep_link: DeepLinkRequest | None = None,
) -> dict[str, Any]:
    """All claims of the id_token answering `pending`'s authentication request."""
    tool = state.tools[pending.client_id]
    user = state.users[pending.user_id]
    course = state.courses[pending.course_id] if pending.course_id else None
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": state.issuer,
        "aud": tool.client_id,
        "azp": tool.client_id,
        "sub": user.sub,
        "iat": now,
        "exp": now + ID_TOKEN_LIFETIME,
        "nonce": nonce,
        "name": user.name,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "email": user.email,
        "locale": "en",
        LTI + "message_type": pending.message_type,
        LTI + "version": "1.3.0",
        LTI + "deployment_id": pending.deployment_id,
        LTI + "target_link_uri": pending.target_link_uri,
        LTI + "roles": _roles(state, user, course),
        LTI + "tool_platform": _platform(state),
        LTI + "launch_presentation": {
            "document_target": pending.document_target,
            "return_url": state.url("/sandbox/return", course=pending.course_id or ""),
            "locale": "en",
        },
        LTI + "lis": _lis(user, course),
    }
    link = state.resource_links.get(pending.resource_link_id or "")
    if link is not None and pending.message_type != DEEP_LINKING_REQUEST:
        claims[LTI + "resource_link"] = {
            "id": link.id,
            "title": link.title,
            "description": link.description,
        }
    custom = substitute_custom(
        state,
        {**tool.custom, **link.custom} if link else tool.custom,
        user=user,
        course=course,
        link_id=link.id if link else None,
    )
    if custom:
        claims[LTI + "custom"] = custom
    if course is not None:
        claims[LTI + "context"] = {
            "id": course.context_id,
            "label": course.label,
            "title": course.title,
            "type": [COURSE_OFFERING],
        }
        claims.update(_service_claims(state, pending, course))
    if deep_link is not None:
        claims[DL_SETTINGS] = {
            "deep_link_return_url": state.url(f"/sandbox/deep_linking/{deep_link.id}"),
            "accept_types": list(deep_link.accept_types),
            "accept_presentation_document_targets": list(deep_link.accept_presentation_document_targets),
            "accept_multiple": deep_link.accept_multiple,
            "auto_create": deep_link.auto_create,
            "title": "Add content",
            "data": deep_link.data,
        }
    if state.flavour.name == "canvas":
        claims["https://www.instructure.com/placement"] = (
            "link_selection" if deep_link else "course_navigation"
        )
    return claims


def _roles(state: SandboxState, user: User, course: Course | None) -> list[str]:
    enrollment = state.enrollment(course.id, user.id) if course else None
    context = context_role_uris(enrollment.roles) if enrollment and enrollment.is_active else []
    return context + user.role_uris()


def _platform(state: SandboxState) -> dict[str, Any]:
    code, name = PRODUCT[state.flavour.name]
    return {
        "guid": state.opaque_id("platform"),
        "name": name,
        "product_family_code": code,
        "version": "sandbox",
        "url": state.base_url,
    }


def _lis(user: User, course: Course | None) -> dict[str, Any]:
    lis: dict[str, Any] = {}
    if user.person_sourcedid:
        lis["person_sourcedid"] = user.person_sourcedid
    if course and course.course_section_sourcedid:
        lis["course_section_sourcedid"] = course.course_section_sourcedid
    if course and course.course_offering_sourcedid:
        lis["course_offering_sourcedid"] = course.course_offering_sourcedid
    return lis


def _service_claims(state: SandboxState, pending: PendingLaunch, course: Course) -> dict[str, Any]:
    tool = state.tools[pending.client_id]
    claims: dict[str, Any] = {}
    ags_scopes = [scope for scope in AGS_SCOPES if scope in tool.scopes]
    if ags_scopes:
        endpoint: dict[str, Any] = {
            "scope": ags_scopes,
            "lineitems": line_items_url(state, course.id, pending.deployment_id),
        }
        if pending.resource_link_id:
            linked = [
                item
                for item in state.grades.line_items(course.id, tool.client_id)
                if item.resource_link_id == pending.resource_link_id
            ]
            # Moodle's rule, which Canvas's assignment links also follow: exactly one
            if len(linked) == 1:
                endpoint["lineitem"] = line_item_url(state, linked[0])
        claims[AGS_CLAIM] = endpoint
    if NRPS_MEMBERSHIP in tool.scopes:
        claims[NRPS_CLAIM] = {
            "context_memberships_url": memberships_url(state, course.id, pending.deployment_id),
            "service_versions": ["2.0"],
        }
    return claims


def substitute_custom(
    state: SandboxState,
    custom: dict[str, Any],
    *,
    user: User,
    course: Course | None,
    link_id: str | None,
) -> dict[str, Any]:
    """Custom parameters with the platform's substitution variables filled in.

    Unknown variables stay as written (Canvas does the same), so a tool can tell a
    variable the platform does not support from an empty value.
    """
    values = {
        "$User.id": user.sub,
        "$User.username": user.login_id,
        "$Person.sourcedId": user.person_sourcedid or "",
        "$Person.name.full": user.name,
        "$Person.email.primary": user.email,
        "$ResourceLink.id": link_id or "",
    }
    if course is not None:
        values |= {
            "$Context.id": course.context_id,
            "$Context.title": course.title,
            "$Context.label": course.label,
            "$CourseSection.sourcedId": course.course_section_sourcedid or "",
        }
    if state.flavour.name == "canvas":
        values |= {
            "$Canvas.user.id": user.id,
            "$Canvas.user.loginId": user.login_id,
            "$Canvas.api.domain": urlsplit(state.base_url).netloc,
            "$Canvas.api.baseUrl": state.base_url,
        }
        if course is not None:
            values["$Canvas.course.id"] = course.id
    return {
        key: values.get(value, value) if isinstance(value, str) else value for key, value in custom.items()
    }
