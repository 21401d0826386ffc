"""LTI Dynamic Registration (Moodle, Canvas): learn the platform, register, record it pending.

Before trusting anything the platform's configuration says, its `issuer` must live on the
same origin as the configuration URL the admin's browser brought us: otherwise any page could
point us at a configuration that claims to be some other school's LMS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.orm import Session

from lti.tool_config import dynamic_registration_request
from pbridge.errors import RegistrationError
from store.platforms import Platform, Preset, RegistrationStatus, UnknownDeploymentPolicy
from store.registrations import PlatformDetails, add_platform, find_platform

PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"


@dataclass(frozen=True)
class RegistrationOutcome:
    platform: Platform
    pending: bool


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def fetch_platform_configuration(http: httpx.Client, url: str, *, allow_http: bool) -> dict[str, Any]:
    scheme, netloc = _origin(url)
    if scheme not in ({"https", "http"} if allow_http else {"https"}) or not netloc:
        raise RegistrationError(f"openid_configuration must be an https URL, got {url!r}")
    try:
        response = http.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as error:
        raise RegistrationError(
            f"the platform's configuration at {url} could not be fetched ({type(error).__name__})"
        ) from None
    if response.status_code != 200:
        raise RegistrationError(f"the platform's configuration at {url} answered HTTP {response.status_code}")
    try:
        config = response.json()
    except ValueError:
        raise RegistrationError(f"the platform's configuration at {url} is not JSON") from None
    if not isinstance(config, dict):
        raise RegistrationError(f"the platform's configuration at {url} is not a JSON object")
    for key in (
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "registration_endpoint",
    ):
        if not isinstance(config.get(key), str) or not config[key]:
            raise RegistrationError(f"the platform's configuration has no '{key}'")
    if _origin(config["issuer"]) != _origin(url):
        raise RegistrationError(
            f"the configuration claims issuer {config['issuer']} but was served from "
            f"{'://'.join(_origin(url))}; refusing to register"
        )
    return config


def register_with_platform(
    session: Session,
    http: httpx.Client,
    *,
    openid_configuration: str,
    registration_token: str | None,
    base_url: str,
    auto_approve: bool,
) -> RegistrationOutcome:
    """Run the whole registration; the platform is stored pending unless auto-approved."""
    config = fetch_platform_configuration(
        http, openid_configuration, allow_http=base_url.startswith("http://")
    )
    product = str((config.get(PLATFORM_CONFIG) or {}).get("product_family_code", ""))
    payload = dynamic_registration_request(base_url, platform_product=product)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    try:
        response = http.post(config["registration_endpoint"], json=payload, headers=headers)
    except httpx.HTTPError as error:
        raise RegistrationError(
            f"the platform's registration endpoint could not be reached ({type(error).__name__})"
        ) from None
    if response.status_code not in (200, 201):
        raise RegistrationError(
            f"the platform refused the registration (HTTP {response.status_code}): {response.text[:200]}"
        )
    try:
        answer = response.json()
        client_id = str(answer["client_id"])
    except (ValueError, KeyError, TypeError):
        raise RegistrationError("the platform's registration answer has no client_id") from None
    tool_config = answer.get(TOOL_CONFIG) or {}
    deployment_id = tool_config.get("deployment_id")
    issuer = config["issuer"]
    if find_platform(session, issuer, client_id) is not None:
        raise RegistrationError(f"{issuer} with client_id {client_id} is already registered")
    preset = {"canvas": Preset.CANVAS, "moodle": Preset.MOODLE}.get(product.lower(), Preset.GENERIC)
    status = RegistrationStatus.ACTIVE if auto_approve else RegistrationStatus.PENDING
    platform = add_platform(
        session,
        PlatformDetails(
            name=f"{product or 'LMS'} at {urlsplit(issuer).netloc}",
            issuer=issuer,
            client_id=client_id,
            auth_login_url=config["authorization_endpoint"],
            auth_token_url=config["token_endpoint"],
            key_set_url=config["jwks_uri"],
            preset=preset,
            auth_audience=config.get("authorization_server"),
            unknown_deployments=UnknownDeploymentPolicy.PENDING,
        ),
        deployment_ids=[str(deployment_id)] if deployment_id else [],
        status=status,
        source="dynamic",
    )
    scope = answer.get("scope")
    platform.granted_scopes = scope.split() if isinstance(scope, str) else None
    platform.registration_response = {k: v for k, v in answer.items() if k != "registration_access_token"}
    session.flush()
    return RegistrationOutcome(platform=platform, pending=not auto_approve)
