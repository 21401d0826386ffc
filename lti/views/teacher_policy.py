"""Teacher's policy page: preview the class under another method, and choose it where allowed."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from lti.pages.policy_preview import choose_method, policy_preview
from lti.pages.tables import requested_export
from lti.views.teacher import bp, teacher_session
from lti.web_session import role_required
from store.database import request_session


@bp.get("/policy")
@role_required("teacher")
def policy() -> str | Response:
    launch_session, course_id = teacher_session()
    preview = policy_preview(request_session(), course_id, request.args.to_dict())
    if (csv := requested_export(preview.tables(), file_stem="policy-preview")) is not None:
        return csv
    return render_template(
        "teacher/policy.html",
        course=launch_session.course,
        p=preview,
        args=request.args,
        saved=request.args.get("saved") == "1",
        active="policy",
    )


@bp.post("/policy")
@role_required("teacher")
def choose_policy() -> Response:
    launch_session, course_id = teacher_session()
    session = request_session()
    choose_method(session, course_id=course_id, args=request.form.to_dict(), actor_id=launch_session.user_id)
    session.commit()
    return redirect(url_for("teacher.policy", saved="1"), code=303)
