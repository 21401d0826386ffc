"""Connecting the tool to a sandbox platform: each side registers the other.

Used by `pbridge demo` and by the tests that launch the tool from the sandbox over HTTP; it
is the one module of ours that knows both the sandbox and the tool's registrations.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from lti.tool_config import CANVAS_CUSTOM_FIELDS
from sandbox import SandboxState
from store.platforms import Platform, Preset, UnknownDeploymentPolicy
from store.registrations import PlatformDetails, add_platform, find_platform

DEFAULT_CLIENT_ID = "proficiency-bridge"
DEFAULT_DEPLOYMENT_ID = "1"


@dataclass(frozen=True)
class Connection:
    platform_id: int
    client_id: str
    deployment_id: str


def connect(
    session: Session,
    state: SandboxState,
    *,
    tool_url: str,
    client_id: str = DEFAULT_CLIENT_ID,
    deployment_id: str = DEFAULT_DEPLOYMENT_ID,
    scopes: list[str] | None = None,
) -> Connection:
    """Register the tool in the sandbox and the sandbox in the tool (idempotent on the tool side)."""
    flavour = state.flavour.name
    options = {"scopes": scopes} if scopes is not None else {}
    state.register_tool(
        client_id=client_id,
        deployment_ids=[deployment_id],
        login_url=f"{tool_url}/lti/login",
        redirect_uris=[f"{tool_url}/lti/launch"],
        jwks_url=f"{tool_url}/.well-known/jwks.json",
        deep_link_url=f"{tool_url}/lti/launch",
        custom=dict(CANVAS_CUSTOM_FIELDS) if flavour == "canvas" else {},
        name="Proficiency Bridge",
        **options,
    )
    platform = find_platform(session, state.issuer, client_id) or _add(
        session, state, client_id=client_id, deployment_id=deployment_id
    )
    return Connection(platform_id=platform.id, client_id=client_id, deployment_id=deployment_id)


def _add(session: Session, state: SandboxState, *, client_id: str, deployment_id: str) -> Platform:
    flavour = state.flavour.name
    preset = Preset(flavour) if flavour in {p.value for p in Preset} else Preset.GENERIC
    return add_platform(
        session,
        PlatformDetails(
            name=f"Sandbox LMS ({flavour})",
            issuer=state.issuer,
            client_id=client_id,
            auth_login_url=state.auth_url,
            auth_token_url=state.token_url,
            key_set_url=state.jwks_url,
            preset=preset,
            unknown_deployments=(
                UnknownDeploymentPolicy.PENDING if flavour == "schoology" else UnknownDeploymentPolicy.REFUSE
            ),
        ),
        deployment_ids=[deployment_id],
    )


def launch_once(state: SandboxState, *, user: str, course: str | None, timeout: float = 10.0) -> str:
    """Perform one real launch over HTTP (as a browser would) and return the landing URL.

    The demo uses it so the seeded course exists on the tool's side, with its service
    endpoints, before anyone clicks: exactly as if its teacher had opened the tool once.
    """
    import re

    import httpx

    initiation = state.begin_launch(user=user, course=course, document_target="window")
    with httpx.Client(timeout=timeout, follow_redirects=False) as browser:
        login = browser.get(initiation.url, params=initiation.params)
        if login.status_code == 302:
            auth_url = login.headers["Location"]
        else:
            found = re.search(r'data-auth-url="([^"]+)"', login.text)
            if found is None:
                raise RuntimeError(f"the tool's login answered {login.status_code} without an auth URL")
            import html

            auth_url = html.unescape(found.group(1))
        answer = browser.get(auth_url, headers={"Accept": "application/json"}).json()
        landed = browser.post(answer["action"], data=answer["params"])
        if landed.status_code != 303:
            raise RuntimeError(f"the demo launch was refused ({landed.status_code})")
        return str(landed.url.join(landed.headers["Location"]))
