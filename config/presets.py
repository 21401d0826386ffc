"""What we know of each LMS's LTI endpoints, so an admin types as little as possible.

Canvas's hosted endpoints are the same for every Instructure-hosted school; Moodle's live
under the site URL (which is also its issuer); Schoology's are one shared service.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PresetEndpoints:
    issuer: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    #: what an unknown deployment id does by default for this LMS
    unknown_deployments: str = "refuse"
    supports_dynamic_registration: bool = False


CANVAS_HOSTED_ISSUER = "https://canvas.instructure.com"
SCHOOLOGY_ISSUER = "https://schoology.schoology.com"
SCHOOLOGY_SERVICE = "https://lti-service.svc.schoology.com/lti-service"


def preset_endpoints(preset: str, site_url: str | None = None) -> PresetEndpoints:
    """The endpoints of a preset. Moodle needs the site URL; self-hosted Canvas may pass one."""
    if preset == "canvas":
        if site_url and site_url.rstrip("/") not in {
            CANVAS_HOSTED_ISSUER,
            "https://sso.canvaslms.com",
        }:
            base = site_url.rstrip("/")
            return PresetEndpoints(
                issuer=base,
                auth_login_url=f"{base}/api/lti/authorize_redirect",
                auth_token_url=f"{base}/login/oauth2/token",
                key_set_url=f"{base}/api/lti/security/jwks",
                supports_dynamic_registration=True,
            )
        return PresetEndpoints(
            issuer=CANVAS_HOSTED_ISSUER,
            auth_login_url="https://sso.canvaslms.com/api/lti/authorize_redirect",
            auth_token_url="https://sso.canvaslms.com/login/oauth2/token",
            key_set_url="https://sso.canvaslms.com/api/lti/security/jwks",
            supports_dynamic_registration=True,
        )
    if preset == "moodle":
        if not site_url:
            raise ValueError(
                "the Moodle preset needs the site URL (e.g. https://moodle.school.org)"
            )
        base = site_url.rstrip("/")
        return PresetEndpoints(
            issuer=base,
            auth_login_url=f"{base}/mod/lti/auth.php",
            auth_token_url=f"{base}/mod/lti/token.php",
            key_set_url=f"{base}/mod/lti/certs.php",
            supports_dynamic_registration=True,
        )
    if preset == "schoology":
        return PresetEndpoints(
            issuer=SCHOOLOGY_ISSUER,
            auth_login_url=f"{SCHOOLOGY_SERVICE}/authorize-redirect",
            auth_token_url=f"{SCHOOLOGY_SERVICE}/access-token",
            key_set_url=f"{SCHOOLOGY_SERVICE}/.well-known/jwks",
            unknown_deployments="pending",
        )
    raise ValueError(f"unknown preset {preset!r}; choose canvas, moodle or schoology")
