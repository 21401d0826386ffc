"""Student pages (launched as Learner): only ever the launching student's own data."""

from __future__ import annotations

from flask import Blueprint, render_template

from lti.web_session import current_session, role_required

bp = Blueprint("student", __name__, url_prefix="/student")


@bp.get("/")
@role_required("student")
def home() -> str:
    launch_session = current_session()
    assert launch_session is not None
    return render_template("student/home.html", course=launch_session.course, user=launch_session.user)
