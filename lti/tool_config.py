"""How the tool describes itself to platforms: Canvas's developer-key JSON and the LTI
Dynamic Registration client metadata. Both ask for the custom variables the LMS API bridge
needs (Canvas course and user ids, the API host)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

TITLE = "Proficiency Bridge"
DESCRIPTION = (
    "Standards and proficiency for proficiency-based schools: tag assignments with performance "
    "indicators, see standings by indicator, and write them back to the gradebook."
)

AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
ALL_SCOPES = [*AGS_SCOPES, NRPS_SCOPE]

CANVAS_CUSTOM_FIELDS = {
    "canvas_course_id": "$Canvas.course.id",
    "canvas_user_id": "$Canvas.user.id",
    "canvas_api_domain": "$Canvas.api.domain",
}


def canvas_configuration(base_url: str) -> dict[str, Any]:
    """The JSON an admin pastes (or links) when making a Canvas LTI developer key."""
    host = urlsplit(base_url).hostname or ""
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "oidc_initiation_url": f"{base_url}/lti/login",
        "target_link_uri": f"{base_url}/lti/launch",
        "public_jwk_url": f"{base_url}/.well-known/jwks.json",
        "scopes": ALL_SCOPES,
        "custom_fields": dict(CANVAS_CUSTOM_FIELDS),
        "extensions": [
            {
                "platform": "canvas.instructure.com",
                "domain": host,
                "tool_id": "proficiency-bridge",
                "privacy_level": "public",
                "settings": {
                    "text": TITLE,
                    "placements": [
                        {
                            "placement": "course_navigation",
                            "message_type": "LtiResourceLinkRequest",
                            "target_link_uri": f"{base_url}/lti/launch",
                            "text": TITLE,
                            "default": "enabled",
                            "visibility": "members",
                        },
                        {
                            "placement": "link_selection",
                            "message_type": "LtiDeepLinkingRequest",
                            "target_link_uri": f"{base_url}/lti/launch",
                            "text": TITLE,
                        },
                        {
                            "placement": "assignment_selection",
                            "message_type": "LtiDeepLinkingRequest",
                            "target_link_uri": f"{base_url}/lti/launch",
                            "text": TITLE,
                        },
                        {
                            "placement": "account_navigation",
                            "message_type": "LtiResourceLinkRequest",
                            "target_link_uri": f"{base_url}/lti/launch",
                            "text": f"{TITLE} (admin)",
                        },
                    ],
                },
            }
        ],
    }


def dynamic_registration_request(base_url: str, *, platform_product: str = "") -> dict[str, Any]:
    """The client metadata we POST to the platform's registration endpoint."""
    host = urlsplit(base_url).hostname or ""
    custom = dict(CANVAS_CUSTOM_FIELDS) if "canvas" in platform_product.lower() else {}
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": f"{base_url}/lti/login",
        "redirect_uris": [f"{base_url}/lti/launch"],
        "client_name": TITLE,
        "jwks_uri": f"{base_url}/.well-known/jwks.json",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(ALL_SCOPES),
        "https://purl.imsglobal.org/spec/lti-tool-configuration": {
            "domain": host,
            "description": DESCRIPTION,
            "target_link_uri": f"{base_url}/lti/launch",
            "custom_parameters": custom,
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": [
                {"type": "LtiResourceLinkRequest", "target_link_uri": f"{base_url}/lti/launch"},
                {
                    "type": "LtiDeepLinkingRequest",
                    "target_link_uri": f"{base_url}/lti/launch",
                    "placements": ["link_selection", "assignment_selection"],
                    "supported_types": ["ltiResourceLink"],
                },
            ],
        },
    }
