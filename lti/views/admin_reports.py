"""Admin pages that report: sync runs with their errors, the audit log, school analytics."""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for

from lti.pages.admin_runs import audit_table, runs_overview, sync_every_course
from lti.pages.analytics import school_analytics
from lti.pages.quality import school_quality
from lti.pages.tables import requested_export
from lti.services import services
from lti.views.admin import bp
from lti.web_session import current_session, role_required
from store.database import request_session


@bp.get("/runs")
@role_required("admin")
def runs() -> str | Response:
    overview = runs_overview(request_session())
    if (csv := requested_export(overview.tables(), file_stem="sync-runs")) is not None:
        return csv
    return render_template(
        "admin/runs.html",
        overview=overview,
        started=request.args.get("started", type=int),
        already=request.args.get("already", type=int),
        nothing=request.args.get("nothing") == "1",
        active="runs",
    )


@bp.post("/runs/every-course")
@role_required("admin")
def sync_every_course_now() -> Response:
    launch_session = current_session()
    assert launch_session is not None
    session = request_session()
    started = sync_every_course(session, actor_id=launch_session.user_id)
    session.commit()  # the run and its units, before a worker looks for them
    if started.run_id is None:
        return redirect(url_for("admin.runs", nothing="1"), code=303)
    if not started.new:
        return redirect(url_for("admin.runs", already=started.run_id), code=303)
    services().dispatcher.dispatch(started.run_id)
    return redirect(url_for("admin.runs", started=started.run_id), code=303)


@bp.get("/audit")
@role_required("admin")
def audit() -> str | Response:
    table = audit_table(request_session())
    if (csv := requested_export([table], file_stem="audit-log")) is not None:
        return csv
    return render_template("admin/audit.html", table=table, active="audit")


@bp.get("/analytics")
@role_required("admin")
def analytics() -> str | Response:
    data = school_analytics(request_session())
    if (csv := requested_export(data.tables(), file_stem="school-analytics")) is not None:
        return csv
    return render_template(
        "reports/analytics.html",
        layout="admin/layout.html",
        data=data,
        endpoint="admin.analytics",
        quality_endpoint="admin.quality",
        active="analytics",
    )


@bp.get("/analytics/quality")
@role_required("admin")
def quality() -> str | Response:
    data = school_quality(request_session())
    if (csv := requested_export(data.tables(), file_stem="indicator-quality")) is not None:
        return csv
    return render_template(
        "reports/quality.html",
        layout="admin/layout.html",
        data=data,
        endpoint="admin.quality",
        active="analytics",
    )
