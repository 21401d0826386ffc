"""Teacher pages (launched as Instructor or TA in a course)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from lti.deep_linking import ContentLink, deep_linking_response
from lti.services import services
from lti.web_session import Forbidden, current_session, role_required
from store.database import request_session
from store.people import course_students
from store.registrations import get_platform
from store.tool_keys import current_signing_key

bp = Blueprint("teacher", __name__, url_prefix="/teacher")


def _course_id() -> int:
    launch_session = current_session()
    if launch_session is None or launch_session.course_id is None:
        raise Forbidden("Open Proficiency Bridge from inside a course to see this page.")
    return launch_session.course_id


@bp.get("/")
@role_required("teacher")
def home() -> str:
    launch_session = current_session()
    assert launch_session is not None
    students = course_students(request_session(), _course_id())
    return render_template("teacher/home.html", course=launch_session.course, students=students)


@bp.route("/deep-link", methods=["GET", "POST"])
@role_required("teacher", "admin")
def deep_link() -> str:
    """Add the tool to the course as a link; the platform gets a signed response."""
    launch_session = current_session()
    assert launch_session is not None
    settings = launch_session.claims.get("deep_linking_settings") or {}
    if not settings.get("deep_link_return_url"):
        raise Forbidden("This page answers a deep-linking request from your LMS; start it from there.")
    if request.method == "GET":
        return render_template("teacher/deep_link.html", settings=settings)
    title = (request.form.get("title") or "Proficiency Bridge").strip()[:200]
    s = services()
    session = request_session()
    platform = get_platform(session, launch_session.platform_id or 0)
    key = current_signing_key(session, s.secret_box)
    session.commit()
    token = deep_linking_response(
        key=key,
        client_id=platform.client_id,
        issuer=platform.issuer,
        deployment_id=launch_session.claims.get("deployment_id", ""),
        settings=settings,
        links=[ContentLink(title=title, url=f"{s.settings.base_url}/lti/launch")],
    )
    return render_template(
        "launch/autosubmit.html", action=settings["deep_link_return_url"], fields={"JWT": token}
    )
