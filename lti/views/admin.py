"""Admin pages: registrations, deployments awaiting approval, the tool's keys.

The other admin pages live beside this module (`admin_*.py`) and add their routes to this
blueprint. Every change an admin makes is written to the audit log.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from config.presets import preset_endpoints
from lti.pages.admin_registry import edit_platform
from lti.pages.lms_api_status import ApiTest, check_lms_api, platform_courses
from lti.services import services
from lti.web_session import current_session, role_required
from pbridge.errors import RegistrationError
from store.audit import record_change
from store.database import request_session
from store.lms_credentials import credential_lines
from store.platforms import Platform, Preset, RegistrationStatus, UnknownDeploymentPolicy
from store.registrations import (
    PlatformDetails,
    add_platform,
    approve_platform,
    list_platforms,
    pending_deployments,
    set_deployment_status,
)
from store.tool_keys import ensure_current_key, list_keys, rotate

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@role_required("admin")
def home() -> str:
    session = request_session()
    s = services()
    ensure_current_key(session, s.secret_box)
    session.commit()
    return render_template(
        "admin/home.html",
        platforms=list_platforms(session),
        lms_api=credential_lines(session),
        pending=pending_deployments(session),
        keys=list_keys(session),
        base_url=s.settings.base_url,
        policies=[p.value for p in UnknownDeploymentPolicy],
        saved=request.args.get("saved", ""),
        active="home",
    )


def _actor() -> int | None:
    launch_session = current_session()
    return launch_session.user_id if launch_session else None


@bp.post("/platforms")
@role_required("admin")
def add() -> Response:
    form = request.form
    preset = form.get("preset", "generic")
    details = _details_from_form(form, preset)
    deployments = [
        d.strip() for d in form.get("deployment_ids", "").replace(",", "\n").splitlines() if d.strip()
    ]
    session = request_session()
    added = add_platform(session, details, deployment_ids=deployments)
    record_change(
        session,
        actor_id=_actor(),
        action="registration added",
        subject=f"platform {added.name} ({added.issuer}, client {added.client_id})",
        detail=f"deployments: {', '.join(deployments) or 'none'}",
    )
    session.commit()
    services().registrations.forget()
    return redirect(url_for("admin.home"), code=303)


def _details_from_form(form: dict[str, str] | object, preset: str) -> PlatformDetails:
    get = form.get  # type: ignore[attr-defined]
    values = {
        k: (get(k) or "").strip()
        for k in (
            "name",
            "issuer",
            "client_id",
            "auth_login_url",
            "auth_token_url",
            "key_set_url",
            "site_url",
        )
    }
    if preset in {"canvas", "moodle", "schoology"}:
        try:
            known = preset_endpoints(preset, values["site_url"] or values["issuer"] or None)
        except ValueError as error:
            raise RegistrationError(str(error)) from None
        for name in ("issuer", "auth_login_url", "auth_token_url", "key_set_url"):
            values[name] = values[name] or getattr(known, name)
        policy = UnknownDeploymentPolicy(known.unknown_deployments)
    else:
        policy = UnknownDeploymentPolicy.REFUSE
    if get("unknown_deployments"):
        try:
            policy = UnknownDeploymentPolicy(get("unknown_deployments"))
        except ValueError:
            raise RegistrationError("unknown deployments must be refuse, pending or accept") from None
    missing = [
        n for n in ("issuer", "client_id", "auth_login_url", "auth_token_url", "key_set_url") if not values[n]
    ]
    if missing:
        raise RegistrationError(f"please fill in: {', '.join(missing)}")
    return PlatformDetails(
        name=values["name"] or values["issuer"],
        issuer=values["issuer"],
        client_id=values["client_id"],
        auth_login_url=values["auth_login_url"],
        auth_token_url=values["auth_token_url"],
        key_set_url=values["key_set_url"],
        preset=Preset(preset) if preset in {p.value for p in Preset} else Preset.GENERIC,
        unknown_deployments=policy,
    )


@bp.post("/platforms/<int:platform_id>/approve")
@role_required("admin")
def approve(platform_id: int) -> Response:
    session = request_session()
    approved = approve_platform(session, platform_id)
    record_change(
        session,
        actor_id=_actor(),
        action="registration approved",
        subject=f"platform {approved.name} ({approved.issuer}, client {approved.client_id})",
    )
    session.commit()
    services().registrations.forget()
    return redirect(url_for("admin.home"), code=303)


@bp.post("/deployments/<int:deployment_pk>/<any(approve, disable):action>")
@role_required("admin")
def deployment(deployment_pk: int, action: str) -> Response:
    session = request_session()
    status = RegistrationStatus.ACTIVE if action == "approve" else RegistrationStatus.DISABLED
    changed = set_deployment_status(session, deployment_pk, status)
    record_change(
        session,
        actor_id=_actor(),
        action=f"deployment {'approved' if action == 'approve' else 'refused'}",
        subject=f"deployment {changed.deployment_id} of platform {changed.platform_id}",
    )
    session.commit()
    services().registrations.forget()
    return redirect(url_for("admin.home"), code=303)


@bp.post("/keys/rotate")
@role_required("admin")
def rotate_keys() -> Response:
    session = request_session()
    key = rotate(session, services().secret_box)
    record_change(session, actor_id=_actor(), action="keys rotated", subject=f"new signing key {key.kid}")
    session.commit()
    return redirect(url_for("admin.home"), code=303)


@bp.post("/platforms/<int:platform_id>/edit")
@role_required("admin")
def edit(platform_id: int) -> Response:
    session = request_session()
    edit_platform(session, platform_id, request.form, actor_id=_actor() or 0)
    session.commit()
    services().registrations.forget()
    return redirect(url_for("admin.home", saved="platform"), code=303)


@bp.get("/platforms/<int:platform_id>/lms-api")
@role_required("admin")
def lms_api(platform_id: int) -> str:
    """The platform's LMS API credentials and the form that tests them."""
    return _lms_api_page(platform_id)


@bp.post("/platforms/<int:platform_id>/lms-api/test")
@role_required("admin")
def lms_api_test(platform_id: int) -> str:
    """Call the LMS now, as a sync would, and show each check (the same as `pbridge lms test`)."""
    chosen = request.form.get("course", "")
    test = check_lms_api(services().dispatcher.bridge, request_session(), platform_id, chosen)
    return _lms_api_page(platform_id, test=test, chosen=chosen)


def _lms_api_page(platform_id: int, *, test: ApiTest | None = None, chosen: str = "") -> str:
    session = request_session()
    platform = session.get(Platform, platform_id)
    if platform is None:
        abort(404, description=f"There is no platform {platform_id}.")
    return render_template(
        "admin/lms_api.html",
        platform=platform,
        line=credential_lines(session).get(platform_id),
        courses=platform_courses(session, platform_id),
        chosen=chosen,
        test=test,
        active="home",
    )
