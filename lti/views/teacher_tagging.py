"""Teacher's assignments page: tag assignments (or rubric criteria) with indicators, in bulk too."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from lti.pages.tag_form import bulk_tag, remove_tagging, save_tagging, tag_form
from lti.pages.tagging import assignment_list
from lti.services import services
from lti.views.teacher import bp, teacher_session
from lti.web_session import role_required
from store.database import request_session

NOTES = {
    "saved": "The alignment is saved. Scores of this assignment count from the next sync.",
    "bulk": "The assignments are tagged. Their scores count from the next sync.",
    "removed": "The tag is removed: that assignment's scores no longer count (they stay in the body of "
    "evidence, marked). The gradebook columns follow at the next sync.",
}


@bp.get("/assignments")
@role_required("teacher")
def assignments() -> str:
    launch_session, _ = teacher_session()
    session = request_session()
    course = launch_session.course
    assert course is not None
    listing = assignment_list(session, services().dispatcher.bridge, course, user_id=launch_session.user_id)
    if listing.adopted:
        session.commit()
    return render_template(
        "teacher/assignments.html",
        course=course,
        listing=listing,
        note=NOTES.get(request.args.get("note", ""), ""),
        active="assignments",
    )


@bp.get("/assignments/tag")
@role_required("teacher")
def tag() -> str:
    launch_session, _ = teacher_session()
    course = launch_session.course
    assert course is not None
    form = tag_form(
        request_session(), services().dispatcher.bridge, course, request.args, user_id=launch_session.user_id
    )
    return render_template("teacher/tag.html", course=course, form=form, active="assignments")


@bp.post("/assignments/tag")
@role_required("teacher")
def save_tag() -> Response:
    launch_session, _ = teacher_session()
    session = request_session()
    assert launch_session.course is not None
    save_tagging(session, launch_session.course, request.form, user_id=launch_session.user_id)
    session.commit()
    return redirect(url_for("teacher.assignments", note="saved"), code=303)


@bp.post("/assignments/bulk")
@role_required("teacher")
def bulk() -> Response:
    launch_session, _ = teacher_session()
    session = request_session()
    assert launch_session.course is not None
    bulk_tag(session, launch_session.course, request.form, user_id=launch_session.user_id)
    session.commit()
    return redirect(url_for("teacher.assignments", note="bulk"), code=303)


@bp.post("/assignments/untag")
@role_required("teacher")
def untag() -> Response:
    launch_session, _ = teacher_session()
    session = request_session()
    assert launch_session.course is not None
    remove_tagging(session, launch_session.course, request.form, user_id=launch_session.user_id)
    session.commit()
    return redirect(url_for("teacher.assignments", note="removed"), code=303)
