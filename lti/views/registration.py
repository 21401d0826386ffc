"""`/lti/register`: the platform opens it in a window during Dynamic Registration."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from lti.dynamic_registration import register_with_platform
from lti.services import services
from pbridge.errors import RegistrationError

bp = Blueprint("registration", __name__)


@bp.get("/lti/register")
def register() -> str:
    openid_configuration = request.args.get("openid_configuration", "")
    if not openid_configuration:
        raise RegistrationError(
            "this address is opened by your LMS during LTI Dynamic Registration; it needs the "
            "'openid_configuration' parameter the LMS adds"
        )
    s = services()
    with s.database.begin() as session:
        outcome = register_with_platform(
            session,
            s.http,
            openid_configuration=openid_configuration,
            registration_token=request.args.get("registration_token"),
            base_url=s.settings.base_url,
            auto_approve=s.settings.auto_approve_registrations,
        )
        issuer = outcome.platform.issuer
        client_id = outcome.platform.client_id
    services().registrations.forget()
    return render_template(
        "launch/registered.html", issuer=issuer, client_id=client_id, pending=outcome.pending
    )
