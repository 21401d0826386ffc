"""Teacher's sync page: last sync, sync now with live progress, failures, write-back choice."""

from __future__ import annotations

from flask import jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from lti.pages.sync_status import choose_writeback, run_progress, start_course_sync, sync_status
from lti.pages.tables import requested_export
from lti.services import services
from lti.views.teacher import bp, teacher_session
from lti.web_session import role_required
from store.database import request_session


@bp.get("/sync")
@role_required("teacher")
def sync() -> str | Response:
    launch_session, course_id = teacher_session()
    status = sync_status(request_session(), course_id)
    if (csv := requested_export(status.tables(), file_stem="sync")) is not None:
        return csv
    return render_template(
        "teacher/sync.html",
        course=launch_session.course,
        status=status,
        saved=request.args.get("saved") == "writeback",
        active="sync",
    )


@bp.post("/sync")
@role_required("teacher")
def sync_now() -> Response:
    launch_session, course_id = teacher_session()
    s = services()
    run_id, new = start_course_sync(
        s.database, request_session(), course_id=course_id, user_id=launch_session.user_id
    )
    if new:
        s.dispatcher.dispatch(run_id)
    return redirect(url_for("teacher.sync"), code=303)


@bp.get("/sync/runs/<int:run_id>.json")
@role_required("teacher")
def sync_progress(run_id: int) -> Response:
    _, course_id = teacher_session()
    return jsonify(run_progress(request_session(), run_id, course_id=course_id))


@bp.post("/sync/writeback")
@role_required("teacher")
def writeback() -> Response:
    launch_session, course_id = teacher_session()
    session = request_session()
    choose_writeback(
        session,
        course_id=course_id,
        choice=request.form.get("writeback", ""),
        actor_id=launch_session.user_id,
    )
    session.commit()
    return redirect(url_for("teacher.sync", saved="writeback"), code=303)
