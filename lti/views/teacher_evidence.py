"""Teacher pages about evidence: one standing opened, and acting on the class's gaps."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from lti.pages import evidence_actions
from lti.pages.act_on_it import act_on_it
from lti.pages.standard_detail import standard_detail
from lti.pages.standing_detail import standing_detail
from lti.pages.tables import requested_export
from lti.views.teacher import bp, teacher_session
from lti.web_session import role_required
from store.database import request_session
from store.standings import StandingKind

NOTES = {
    "excluded": "The evidence is excluded; the standing was recalculated.",
    "included": "The evidence counts again; the standing was recalculated.",
    "linked": "The reassessment is recorded; the standing was recalculated.",
    "unlinked": "The observation is no longer a reassessment; the standing was recalculated.",
    "override": "Your override is saved and shown beside the calculated standing.",
    "withdrawn": "The override is withdrawn: the calculated standing applies again.",
}


@bp.get("/standing/<int:standing_id>")
@role_required("teacher")
def standing(standing_id: int) -> str:
    launch_session, course_id = teacher_session()
    detail = standing_detail(request_session(), standing_id, course_id=course_id)
    return render_template(
        "teacher/standing.html",
        course=launch_session.course,
        d=detail,
        note=NOTES.get(request.args.get("note", ""), ""),
        active="class",
    )


def _back(standing_id: int, note: str) -> Response:
    return redirect(url_for("teacher.standing", standing_id=standing_id, note=note), code=303)


def _form_int(name: str) -> int | None:
    raw = request.form.get(name, "")
    return int(raw) if raw.isdigit() else None


@bp.post("/standing/<int:standing_id>/evidence/<int:evidence_id>/<any(exclude, include):action>")
@role_required("teacher")
def evidence_exclusion(standing_id: int, evidence_id: int, action: str) -> Response:
    launch_session, course_id = teacher_session()
    session = request_session()
    if action == "exclude":
        evidence_actions.exclude(
            session,
            course_id=course_id,
            evidence_id=evidence_id,
            actor_id=launch_session.user_id,
            reason=request.form.get("reason", ""),
        )
    else:
        evidence_actions.include(
            session, course_id=course_id, evidence_id=evidence_id, actor_id=launch_session.user_id
        )
    session.commit()
    return _back(standing_id, "excluded" if action == "exclude" else "included")


@bp.post("/standing/<int:standing_id>/evidence/<int:evidence_id>/reassesses")
@role_required("teacher")
def reassessment(standing_id: int, evidence_id: int) -> Response:
    launch_session, course_id = teacher_session()
    session = request_session()
    replaces = _form_int("replaces")
    evidence_actions.mark_reassessment(
        session,
        course_id=course_id,
        evidence_id=evidence_id,
        replaces_id=replaces,
        actor_id=launch_session.user_id,
    )
    session.commit()
    if request.form.get("back") == "act":
        return redirect(url_for("teacher.act", note="linked"), code=303)
    return _back(standing_id, "linked" if replaces else "unlinked")


def _override_or_withdraw(standing_id: int, kind: StandingKind) -> str:
    """Set or withdraw the override the form posts; the note the page shows after it."""
    launch_session, course_id = teacher_session()
    session = request_session()
    withdraw = bool(request.form.get("withdraw"))
    if withdraw:
        evidence_actions.withdraw(
            session, course_id=course_id, standing_id=standing_id, actor_id=launch_session.user_id, kind=kind
        )
    else:
        evidence_actions.override(
            session,
            course_id=course_id,
            standing_id=standing_id,
            value=request.form.get("value", ""),
            reason=request.form.get("reason", ""),
            actor_id=launch_session.user_id,
            kind=kind,
        )
    session.commit()
    return "withdrawn" if withdraw else "override"


@bp.post("/standing/<int:standing_id>/override")
@role_required("teacher")
def override(standing_id: int) -> Response:
    return _back(standing_id, _override_or_withdraw(standing_id, StandingKind.INDICATOR))


@bp.get("/standard/<int:standing_id>")
@role_required("teacher")
def standard(standing_id: int) -> str:
    launch_session, course_id = teacher_session()
    return render_template(
        "teacher/standard.html",
        course=launch_session.course,
        d=standard_detail(request_session(), standing_id, course_id=course_id),
        note=NOTES.get(request.args.get("note", ""), ""),
        active="class",
    )


@bp.post("/standard/<int:standing_id>/override")
@role_required("teacher")
def standard_override(standing_id: int) -> Response:
    note = _override_or_withdraw(standing_id, StandingKind.STANDARD)
    return redirect(url_for("teacher.standard", standing_id=standing_id, note=note), code=303)


@bp.get("/act")
@role_required("teacher")
def act() -> str | Response:
    launch_session, course_id = teacher_session()
    page = act_on_it(request_session(), course_id)
    if (csv := requested_export(page.tables(), file_stem="act-on-it")) is not None:
        return csv
    return render_template(
        "teacher/act.html",
        course=launch_session.course,
        page=page,
        note=NOTES.get(request.args.get("note", ""), ""),
        active="act",
    )
