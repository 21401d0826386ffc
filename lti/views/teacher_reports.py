"""Teacher's reports: class analytics, indicator quality, a student's progress report and card."""

from __future__ import annotations

from flask import Response, render_template

from lti.pages.analytics import class_analytics
from lti.pages.progress_pdf import progress_pdf
from lti.pages.quality import course_quality
from lti.pages.standing_detail import StandingNotFound
from lti.pages.student_report import report_card, student_report
from lti.pages.tables import requested_export
from lti.views.teacher import bp, teacher_session
from lti.web_session import role_required
from store.database import request_session
from store.page_queries import is_student_of
from store.people import User


def _student(student_id: int) -> User:
    _, course_id = teacher_session()
    session = request_session()
    student = session.get(User, student_id)
    if student is None or not is_student_of(session, course_id, student_id):
        raise StandingNotFound("There is no such student in this course.")
    return student


@bp.get("/reports")
@role_required("teacher")
def analytics() -> str | Response:
    launch_session, course_id = teacher_session()
    data = class_analytics(request_session(), course_id)
    if (csv := requested_export(data.tables(), file_stem="class-analytics")) is not None:
        return csv
    return render_template(
        "reports/analytics.html",
        layout="teacher/layout.html",
        course=launch_session.course,
        data=data,
        endpoint="teacher.analytics",
        quality_endpoint="teacher.quality",
        active="reports",
    )


@bp.get("/reports/quality")
@role_required("teacher")
def quality() -> str | Response:
    launch_session, course_id = teacher_session()
    data = course_quality(request_session(), course_id)
    if (csv := requested_export(data.tables(), file_stem="indicator-quality")) is not None:
        return csv
    return render_template(
        "reports/quality.html",
        layout="teacher/layout.html",
        course=launch_session.course,
        data=data,
        endpoint="teacher.quality",
        active="reports",
    )


@bp.get("/students/<int:student_id>/report")
@role_required("teacher")
def student_progress(student_id: int) -> str:
    launch_session, _ = teacher_session()
    data = student_report(request_session(), _student(student_id), launch_session.course)
    return render_template(
        "reports/progress.html",
        layout="teacher/layout.html",
        course=launch_session.course,
        report=data,
        pdf_endpoint="teacher.student_progress_pdf",
        pdf_args={"student_id": student_id},
        card_endpoint="teacher.student_card",
        active="class",
    )


@bp.get("/students/<int:student_id>/report.pdf")
@role_required("teacher")
def student_progress_pdf(student_id: int) -> Response:
    launch_session, _ = teacher_session()
    return progress_pdf(student_report(request_session(), _student(student_id), launch_session.course))


@bp.get("/students/<int:student_id>/report-card")
@role_required("teacher")
def student_card(student_id: int) -> str | Response:
    launch_session, _ = teacher_session()
    card = report_card(request_session(), _student(student_id))
    if (csv := requested_export(card.tables(), file_stem="report-card")) is not None:
        return csv
    return render_template(
        "reports/report_card.html",
        layout="teacher/layout.html",
        course=launch_session.course,
        card=card,
        export_endpoint="teacher.student_card",
        export_args={"student_id": student_id},
        active="class",
    )
