"""Admin pages that report: sync runs with their errors, the audit log, school analytics."""

from __future__ import annotations

from flask import Response, render_template

from lti.pages.admin_runs import audit_table, runs_overview
from lti.pages.analytics import school_analytics
from lti.pages.quality import school_quality
from lti.pages.tables import requested_export
from lti.views.admin import bp
from lti.web_session import role_required
from store.database import request_session


@bp.get("/runs")
@role_required("admin")
def runs() -> str | Response:
    overview = runs_overview(request_session())
    if (csv := requested_export(overview.tables(), file_stem="sync-runs")) is not None:
        return csv
    return render_template("admin/runs.html", overview=overview, active="runs")


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
