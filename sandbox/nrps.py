"""NRPS 2.0: the course roster as the tool may read it.

Per flavour: Canvas pages at most 50 members, Schoology 100; Moodle pages only when asked
(`limit`/`from`), answers short roles (`["Learner"]`), a numeric `user_id` and an empty
`lis_person_sourcedid`, and drops the `role` filter from its next-page URL. Members who
left a course (enrollment Deleted) are not listed; suspended ones are, as Inactive.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from sandbox.addresses import memberships_url
from sandbox.current import current_state
from sandbox.flavours import Flavour
from sandbox.paging import canvas_page, moodle_member_page, standard_page
from sandbox.refusals import Refusal
from sandbox.registry import NRPS_MEMBERSHIP
from sandbox.roster import Enrollment, context_role_uris, short_role
from sandbox.service_access import (
    MEMBERSHIP_CONTAINER,
    check_accept,
    course_or_404,
    deployment_for,
)
from sandbox.tokens import require_grant


def blueprint(flavour: Flavour) -> Blueprint:
    bp = Blueprint("nrps", __name__)
    bp.add_url_rule(flavour.memberships_path, "memberships", memberships, methods=["GET"])
    return bp


def memberships(course_id: str, type_id: str | None = None) -> Response:
    course = course_or_404(course_id)
    grant = require_grant(NRPS_MEMBERSHIP)
    deployment_for(grant, type_id)
    check_accept(MEMBERSHIP_CONTAINER)
    state = current_state()
    flavour = state.flavour.name
    link_id = request.args.get("rlid")
    if link_id:
        link = state.resource_links.get(link_id)
        if link is None or link.course_id != course.id:
            raise Refusal(400, f"rlid {link_id} is not a resource link of course {course.id}")
    enrollments = [e for e in state.course_enrollments(course.id) if e.status != "Deleted"]
    role = request.args.get("role")
    if role:
        enrollments = [e for e in enrollments if _has_role(e, role)]
    base = memberships_url(state, course.id, type_id or "")
    query = {key: request.args[key] for key in ("role", "rlid") if request.args.get(key)}
    if flavour == "moodle":
        page = moodle_member_page(enrollments, request.args, base, query)
    elif flavour == "canvas":
        page = canvas_page(enrollments, request.args, state.flavour.member_pages, base, query)
    else:
        page = standard_page(enrollments, request.args, state.flavour.member_pages, base, query)
    payload = {
        "id": request.url,
        "context": {"id": course.context_id, "label": course.label, "title": course.title},
        "members": [_member(enrollment, flavour) for enrollment in page.items],
    }
    response = Response(json.dumps(payload), status=200, content_type=MEMBERSHIP_CONTAINER)
    if page.link:
        response.headers["Link"] = page.link
    return response


def _has_role(enrollment: Enrollment, role: str) -> bool:
    uris = context_role_uris(enrollment.roles)
    return role in uris or role in {short_role(uri) for uri in uris}


def _member(enrollment: Enrollment, flavour: str) -> dict[str, Any]:
    user = current_state().users[enrollment.user_id]
    uris = context_role_uris(enrollment.roles)
    member: dict[str, Any] = {
        "status": enrollment.status,
        "name": user.name,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "email": user.email,
        "user_id": user.sub,
        "lis_person_sourcedid": user.person_sourcedid or "",
        "roles": uris,
    }
    if flavour == "moodle":
        member["roles"] = [short_role(uri) for uri in uris]
        member["user_id"] = user.id
        member["lis_person_sourcedid"] = ""
    elif not user.person_sourcedid:
        del member["lis_person_sourcedid"]
    return member
