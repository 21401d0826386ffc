"""Teacher pages (launched as Instructor or TA in a course): the class view and deep linking.

The other teacher pages live beside this module (`teacher_*.py`) and add their routes to
this blueprint, so every teacher URL carries the launch session the same way.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from werkzeug.wrappers import Response

from lti.pages.class_view import ClassQuery, class_view
from lti.pages.deep_link import deep_link_form, deep_link_items
from lti.pages.tables import requested_export
from lti.services import services
from lti.web_session import Forbidden, current_session, role_required
from store.database import request_session
from store.launch_sessions import LaunchSession

bp = Blueprint("teacher", __name__, url_prefix="/teacher")

#: a stand-in id replaced per cell, so 1,400 cells cost one `url_for`, not 1,400
_ID_SLOT = 987654321


def teacher_session() -> tuple[LaunchSession, int]:
    """The launch session and its course; refused outside a course."""
    launch_session = current_session()
    if launch_session is None or launch_session.course_id is None:
        raise Forbidden("Open Proficiency Bridge from inside a course to see this page.")
    return launch_session, launch_session.course_id


def href_maker(endpoint: str, **values: object) -> object:
    """A function id → URL of `endpoint`, built from one `url_for`."""
    template = url_for(endpoint, **values)
    slot = str(_ID_SLOT)
    return lambda ident: template.replace(slot, str(ident))


@bp.get("/")
@role_required("teacher")
def home() -> str | Response:
    launch_session, course_id = teacher_session()
    view = class_view(request_session(), course_id, ClassQuery.parse(request.args.to_dict()))
    if (csv := requested_export(view.tables(), file_stem="class")) is not None:
        return csv
    return render_template(
        "teacher/home.html",
        course=launch_session.course,
        view=view,
        standing_href=href_maker("teacher.standing", standing_id=_ID_SLOT),
        standard_href=href_maker("teacher.standard", standing_id=_ID_SLOT),
        student_href=href_maker("teacher.student_progress", student_id=_ID_SLOT),
        active="class",
    )


@bp.route("/deep-link", methods=["GET", "POST"])
@role_required("teacher", "admin")
def deep_link() -> str:
    """Add the tool to the course as a link, or a new assessment already aligned to indicators."""
    launch_session = current_session()
    assert launch_session is not None
    settings = launch_session.claims.get("deep_linking_settings") or {}
    if not settings.get("deep_link_return_url"):
        raise Forbidden("This page answers a deep-linking request from your LMS; start it from there.")
    session = request_session()
    if request.method == "GET":
        return render_template(
            "teacher/deep_link.html", settings=settings, form=deep_link_form(session, request.args)
        )
    s = services()
    answer = deep_link_items(
        session, s.secret_box, launch_session, request.form, base_url=s.settings.base_url
    )
    session.commit()
    return render_template("launch/autosubmit.html", action=answer.return_url, fields={"JWT": answer.token})
