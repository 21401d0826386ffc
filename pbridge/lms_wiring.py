"""Giving the tool credentials for a sandbox LMS's own API, as an LMS admin would.

Used by `pbridge demo` and the tests: on the sandbox side it makes what the LMS's admin
makes (a Canvas developer key and an admin token, a Moodle web-service token, a Schoology
API key, all acting as the sandbox's administrator); on the tool side it enters them with
`store.lms_credentials`, exactly as `pbridge lms connect` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from sandbox import SandboxState
from store.lms_credentials import save_credentials
from store.platforms import Preset
from store.secret_box import SecretBox

if TYPE_CHECKING:
    from pbridge.demo import DemoSetup

CALLBACK_PATH = "/lms/canvas/callback"


@dataclass(frozen=True)
class LmsApiWiring:
    """What was made in the sandbox (ids only; the secrets went into the tool's store)."""

    flavour: str
    api_base_url: str
    developer_key_id: str = ""


def connect_lms_api(
    session: Session,
    box: SecretBox,
    state: SandboxState,
    *,
    platform_id: int,
    tool_url: str,
    acting_user_id: str,
    admin_token: bool = True,
    developer_key: bool = True,
) -> LmsApiWiring:
    """Make LMS API credentials in the sandbox for `acting_user_id` and enter them in the tool.

    Canvas gets a developer key (for teachers' OAuth; redirect to the tool's callback) and,
    unless `admin_token` is False, an admin token for scheduled syncs. Returns what it made.
    """
    flavour = state.flavour.name
    access = state.lms_api
    if flavour == "canvas":
        key = (
            access.add_developer_key(redirect_uris=[tool_url + CALLBACK_PATH], name="Proficiency Bridge")
            if developer_key
            else None
        )
        save_credentials(
            session,
            box,
            platform_id=platform_id,
            kind=Preset.CANVAS,
            client_id=key.client_id if key else "",
            client_secret=key.secret if key else "",
            token=access.add_personal_token(acting_user_id) if admin_token else "",
            api_base_url=state.base_url,
        )
        return LmsApiWiring(flavour, state.base_url, key.client_id if key else "")
    if flavour == "moodle":
        save_credentials(
            session,
            box,
            platform_id=platform_id,
            kind=Preset.MOODLE,
            token=access.add_moodle_token(acting_user_id),
            api_base_url=state.base_url,
        )
        return LmsApiWiring(flavour, state.base_url)
    if flavour == "schoology":
        school_key = access.add_schoology_key(acting_user_id)
        save_credentials(
            session,
            box,
            platform_id=platform_id,
            kind=Preset.SCHOOLOGY,
            client_id=school_key.consumer_key,
            client_secret=school_key.secret,
            api_base_url=state.base_url + "/v1",
        )
        return LmsApiWiring(flavour, state.base_url + "/v1")
    raise ValueError(f"the {flavour} sandbox has no LMS API of its own")


def demo_lms_api(setup: DemoSetup) -> None:
    """Demo step: the sandbox's own API credentials entered, so the seeded native assignments
    (some rubric-scored) can be tagged on the teacher's first launch."""
    from store.registrations import find_platform

    if setup.state.flavour.name not in ("canvas", "moodle", "schoology"):
        return  # the generic sandbox has no API of its own
    setup.say(f"Entering the sandbox's {setup.state.flavour.name} API credentials…")
    box = SecretBox.from_settings(setup.settings.encryption_key, setup.settings.secret_key)
    with setup.database.begin() as session:
        platform = find_platform(session, setup.state.issuer, setup.client_id)
        if platform is None:
            raise LookupError(f"the demo platform {setup.state.issuer} is not registered in the tool")
        connect_lms_api(
            session,
            box,
            setup.state,
            platform_id=platform.id,
            tool_url=setup.tool_url,
            acting_user_id=setup.seed.admin_id,
        )
