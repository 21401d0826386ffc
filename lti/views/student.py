"""Student pages (launched as Learner): only ever the launching student's own data.

No route takes a student id: every page reads the student from the launch session, and a
standing id in a URL is checked to be the student's own ("not found" otherwise).
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for

from lti.pages.progress_pdf import progress_pdf
from lti.pages.self_assessment import rate_myself
from lti.pages.standard_detail import standard_detail
from lti.pages.standing_detail import standing_detail
from lti.pages.student_report import report_card as build_report_card
from lti.pages.student_report import student_report
from lti.pages.tables import requested_export
from lti.web_session import current_session, role_required
from store.database import request_session
from store.launch_sessions import LaunchSession

bp = Blueprint("student", __name__, url_prefix="/student")


def _me() -> LaunchSession:
    launch_session = current_session()
    assert launch_session is not None
    return launch_session


@bp.get("/")
@role_required("student")
def home() -> str | Response:
    me = _me()
    report = student_report(request_session(), me.user, me.course)
    if (csv := requested_export(report.tables(), file_stem="my-standings")) is not None:
        return csv
    return render_template(
        "student/home.html", course=me.course, user=me.user, report=report, active="standings"
    )


@bp.get("/standing/<int:standing_id>")
@role_required("student")
def standing(standing_id: int) -> str:
    me = _me()
    detail = standing_detail(request_session(), standing_id, student_id=me.user_id)
    return render_template(
        "student/standing.html",
        course=me.course,
        d=detail,
        saved=request.args.get("saved") == "1",
        active="standings",
    )


@bp.get("/standard/<int:standing_id>")
@role_required("student")
def standard(standing_id: int) -> str:
    me = _me()
    detail = standard_detail(request_session(), standing_id, student_id=me.user_id)
    return render_template("student/standard.html", course=me.course, d=detail, active="standings")


@bp.post("/standing/<int:standing_id>/self-assessment")
@role_required("student")
def self_assessment(standing_id: int) -> Response:
    me = _me()
    session = request_session()
    rate_myself(
        session,
        student_id=me.user_id,
        standing_id=standing_id,
        level=request.form.get("level", ""),
        reflection=request.form.get("reflection", ""),
    )
    session.commit()
    return redirect(url_for("student.standing", standing_id=standing_id, saved="1"), code=303)


@bp.get("/report")
@role_required("student")
def report() -> str:
    me = _me()
    data = student_report(request_session(), me.user, me.course)
    return render_template(
        "reports/progress.html",
        course=me.course,
        report=data,
        pdf_endpoint="student.report_pdf",
        active="report",
    )


@bp.get("/report.pdf")
@role_required("student")
def report_pdf() -> Response:
    me = _me()
    data = student_report(request_session(), me.user, me.course)
    return progress_pdf(data)


@bp.get("/report-card")
@role_required("student")
def report_card() -> str | Response:
    me = _me()
    card = build_report_card(request_session(), me.user)
    if (csv := requested_export(card.tables(), file_stem="report-card")) is not None:
        return csv
    return render_template("reports/report_card.html", course=me.course, card=card, active="card")
