"""Admin pages for the district's settings: SIS connections, frameworks, calculation policy."""

from __future__ import annotations

from flask import Response, jsonify, redirect, render_template, request, url_for

from lti.pages.admin_frameworks import export, framework_overview, import_upload, publish
from lti.pages.admin_registry import add_sis_connection, sis_overview
from lti.pages.district_policy import policy_form, recalculate_now, recalculation, save_policy
from lti.pages.tables import requested_export
from lti.services import services
from lti.views.admin import bp
from lti.web_session import current_session, role_required
from store.database import request_session


def _actor() -> int:
    launch_session = current_session()
    assert launch_session is not None
    return launch_session.user_id


@bp.get("/sis")
@role_required("admin")
def sis() -> str | Response:
    overview = sis_overview(request_session())
    if (csv := requested_export(overview.tables(), file_stem="sis")) is not None:
        return csv
    return render_template(
        "admin/sis.html", overview=overview, saved=request.args.get("saved") == "1", active="sis"
    )


@bp.post("/sis")
@role_required("admin")
def add_sis() -> Response:
    session = request_session()
    add_sis_connection(session, services().secret_box, request.form, actor_id=_actor())
    session.commit()
    return redirect(url_for("admin.sis", saved="1"), code=303)


@bp.get("/frameworks")
@role_required("admin")
def frameworks() -> str | Response:
    overview = framework_overview(request_session())
    if (csv := requested_export(overview.tables(), file_stem="frameworks")) is not None:
        return csv
    return render_template(
        "admin/frameworks.html", overview=overview, note=request.args.get("note", ""), active="frameworks"
    )


@bp.post("/frameworks")
@role_required("admin")
def import_framework_file() -> Response:
    upload = request.files.get("file")
    session = request_session()
    stored = import_upload(
        session,
        upload.read() if upload else b"",
        upload.filename or "" if upload else "",
        publish=bool(request.form.get("publish")),
        file_format=request.form.get("format") or None,
        actor_id=_actor(),
    )
    session.commit()
    note = f"{stored.code} version {stored.version} is stored ({stored.status.value})."
    return redirect(url_for("admin.frameworks", note=note), code=303)


@bp.post("/frameworks/<code>/<int:version>/publish")
@role_required("admin")
def publish_framework_version(code: str, version: int) -> Response:
    session = request_session()
    publish(session, code, version, actor_id=_actor())
    session.commit()
    return redirect(url_for("admin.frameworks", note=f"{code} version {version} is published."), code=303)


@bp.get("/frameworks/<code>/<int:version>/export")
@role_required("admin")
def export_framework_version(code: str, version: int) -> Response:
    text, name, media = export(request_session(), code, version, request.args.get("format", "yaml"))
    return Response(text, mimetype=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/policy")
@role_required("admin")
def policy() -> str:
    return render_template(
        "admin/policy.html",
        form=policy_form(request_session()),
        saved=request.args.get("saved") == "1",
        active="policy",
    )


@bp.post("/policy")
@role_required("admin")
def save_district_policy() -> Response:
    session = request_session()
    run_id = save_policy(session, request.form, actor_id=_actor())
    session.commit()  # the policy and its queued recompute together, before a worker looks
    services().dispatcher.recompute(run_id)
    return redirect(url_for("admin.policy", saved="1"), code=303)


@bp.post("/policy/recalculate")
@role_required("admin")
def recalculate() -> Response:
    session = request_session()
    run_id = recalculate_now(session, actor_id=_actor())
    session.commit()
    services().dispatcher.recompute(run_id)
    return redirect(url_for("admin.policy"), code=303)


@bp.get("/policy/recalculations/<int:run_id>.json")
@role_required("admin")
def recalculation_progress(run_id: int) -> Response:
    return jsonify(recalculation(request_session(), run_id).progress())
