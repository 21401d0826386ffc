"""AGS 2.0 line items and results (scores are in `scores.py`).

A tool sees, changes and deletes only its own line items. Per flavour: Canvas and Moodle
require `label` and `scoreMaximum` (so does the spec); Moodle answers `resourceId`/`tag` as
`""` when unset, mirrors `resourceLinkId` in `ltiLinkId`, refuses a `resourceLinkId` it does
not know with 403, and answers `GET results?limit=` with a 404 page.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, request

from sandbox.access import Grant
from sandbox.addresses import line_item_url, line_items_url, result_url
from sandbox.current import current_state
from sandbox.flavours import Flavour
from sandbox.gradebook import LineItem, Result
from sandbox.paging import Page, canvas_page, moodle_line_item_page, standard_page
from sandbox.refusals import Refusal
from sandbox.registry import AGS_LINEITEM, AGS_LINEITEM_READONLY, AGS_RESULT_READONLY
from sandbox.roster import Course
from sandbox.scores import post_score
from sandbox.service_access import (
    LINEITEM,
    LINEITEM_CONTAINER,
    RESULT_CONTAINER,
    check_accept,
    course_or_404,
    deployment_for,
    is_number,
    json_body,
    owned_item_or_404,
)
from sandbox.tokens import require_grant

READ_SCOPES = (AGS_LINEITEM, AGS_LINEITEM_READONLY)


def blueprint(flavour: Flavour) -> Blueprint:
    bp = Blueprint("ags", __name__)
    bp.add_url_rule(flavour.line_items_path, "line_items", line_items, methods=["GET", "POST"])
    bp.add_url_rule(flavour.line_item_path, "line_item", line_item, methods=["GET", "PUT", "DELETE"])
    bp.add_url_rule(flavour.results_path, "results", results, methods=["GET"])
    bp.add_url_rule(flavour.scores_path, "scores", post_score, methods=["POST"])
    return bp


def line_items(course_id: str) -> Response:
    course = course_or_404(course_id)
    if request.method == "POST":
        grant = require_grant(AGS_LINEITEM)
        body = json_body(LINEITEM, LINEITEM_CONTAINER)
        item = current_state().grades.add_line_item(
            course_id=course.id,
            owner_client_id=grant.client_id,
            deployment_id=deployment_for(grant),
            **_line_item_fields(body, course, grant),
        )
        return _json(201, line_item_json(item), LINEITEM)
    grant = require_grant(*READ_SCOPES)
    deployment_for(grant)
    check_accept(LINEITEM_CONTAINER, LINEITEM)
    state = current_state()
    items = _filtered(state.grades.line_items(course.id, grant.client_id))
    page = _page(items, line_items_url(state, course.id, ""), state.flavour.line_item_pages)
    return _json(200, [line_item_json(item) for item in page.items], LINEITEM_CONTAINER, page.link)


def line_item(course_id: str, item_id: str) -> Response:
    course = course_or_404(course_id)
    if request.method == "GET":
        grant = require_grant(*READ_SCOPES)
        check_accept(LINEITEM)
        return _json(200, line_item_json(owned_item_or_404(grant, course, item_id)), LINEITEM)
    grant = require_grant(AGS_LINEITEM)
    item = owned_item_or_404(grant, course, item_id)
    grades = current_state().grades
    if request.method == "DELETE":
        grades.delete_line_item(item.id)
        return Response(status=204)
    fields = _line_item_fields(json_body(LINEITEM), course, grant)
    if fields["resource_link_id"] != item.resource_link_id and fields["resource_link_id"]:
        raise Refusal(400, "resourceLinkId of a line item cannot change")
    fields["resource_link_id"] = fields["resource_link_id"] or item.resource_link_id
    return _json(200, line_item_json(grades.update_line_item(item.id, **fields)), LINEITEM)


def results(course_id: str, item_id: str) -> Response:
    course = course_or_404(course_id)
    grant = require_grant(AGS_RESULT_READONLY)
    state = current_state()
    if state.flavour.name == "moodle" and "limit" in request.args:
        raise Refusal(404, "Not Found", body="<h1>Not Found</h1>", content_type="text/html")
    check_accept(RESULT_CONTAINER)
    item = owned_item_or_404(grant, course, item_id)
    found = state.grades.results(item.id)
    wanted = request.args.get("user_id")
    if wanted:
        found = [result for result in found if result.user_sub == wanted]
    found.sort(key=lambda result: result.user_sub)
    page = _page(found, line_item_url(state, item, "/results"), state.flavour.result_pages)
    answer = [result_json(item, result) for result in page.items]
    return _json(200, answer, RESULT_CONTAINER, page.link)


def line_item_json(item: LineItem) -> dict[str, Any]:
    state = current_state()
    moodle = state.flavour.name == "moodle"
    data: dict[str, Any] = {
        "id": line_item_url(state, item),
        "label": item.label,
        "scoreMaximum": item.score_maximum,
    }
    optional = {
        "resourceId": item.resource_id,
        "tag": item.tag,
        "resourceLinkId": item.resource_link_id,
        "startDateTime": item.start_date_time,
        "endDateTime": item.end_date_time,
        "gradesReleased": item.grades_released,
    }
    if moodle:
        optional["resourceId"] = item.resource_id or ""
        optional["tag"] = item.tag or ""
        optional["ltiLinkId"] = item.resource_link_id
    data.update({key: value for key, value in optional.items() if value is not None})
    data.update(item.extensions)
    return data


def result_json(item: LineItem, result: Result) -> dict[str, Any]:
    state = current_state()
    user = state.find_user(result.user_sub)
    moodle = state.flavour.name == "moodle"
    data: dict[str, Any] = {
        "id": result_url(state, item, result, user.id),
        "scoreOf": line_item_url(state, item),
        "userId": result.user_sub,
    }
    if moodle and result.result_score is None:
        return {"id": data["id"], "userId": result.user_sub}
    if result.result_score is not None:
        data["resultScore"] = result.result_score
    if result.result_maximum is not None:
        data["resultMaximum"] = result.result_maximum
    if result.comment:
        data["comment"] = result.comment
    stamp = result.timestamp.replace(microsecond=0) if moodle else result.timestamp
    data["timestamp"] = stamp.isoformat()
    return data


def _line_item_fields(body: dict[str, Any], course: Course, grant: Grant) -> dict[str, Any]:
    """Validated line item fields from a POST/PUT body; Refusal naming the bad member."""
    state = current_state()
    label = body.get("label")
    if not isinstance(label, str) or not label.strip():
        raise Refusal(400, "label is required and must be a non-empty string")
    maximum = body.get("scoreMaximum")
    if not is_number(maximum) or maximum <= 0:
        raise Refusal(400, f"scoreMaximum is required and must be a number above 0, not {maximum!r}")
    for name in ("resourceId", "tag"):
        if name in body and not isinstance(body[name], str):
            raise Refusal(400, f"{name} must be a string")
    for name in ("startDateTime", "endDateTime"):
        if body.get(name) is not None:
            _iso(body[name], name)
    link_id = body.get("resourceLinkId") or (
        body.get("ltiLinkId") if state.flavour.name == "moodle" else None
    )
    if link_id is not None:
        link = state.resource_links.get(str(link_id))
        if link is None or link.course_id != course.id or link.client_id != grant.client_id:
            status = 403 if state.flavour.name == "moodle" else 400
            raise Refusal(status, f"resourceLinkId {link_id} is not a link of this tool here")
    known = {
        "id",
        "label",
        "scoreMaximum",
        "resourceId",
        "tag",
        "resourceLinkId",
        "ltiLinkId",
        "startDateTime",
        "endDateTime",
        "gradesReleased",
    }
    return {
        "label": label,
        "score_maximum": float(maximum),
        "resource_id": body.get("resourceId") or None,
        "tag": body.get("tag") or None,
        "resource_link_id": str(link_id) if link_id is not None else None,
        "start_date_time": body.get("startDateTime"),
        "end_date_time": body.get("endDateTime"),
        "grades_released": body.get("gradesReleased"),
        "extensions": {key: value for key, value in body.items() if key not in known},
    }


def _iso(value: Any, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise Refusal(400, f"{name} must be an ISO 8601 date-time with a time zone, not {value!r}")
    return parsed


def _filtered(items: list[LineItem]) -> list[LineItem]:
    args = request.args
    link_id = args.get("resource_link_id") or args.get("lti_link_id")
    if link_id:
        items = [item for item in items if item.resource_link_id == link_id]
    if args.get("resource_id"):
        items = [item for item in items if item.resource_id == args["resource_id"]]
    if args.get("tag"):
        items = [item for item in items if item.tag == args["tag"]]
    return items


def _page(items: list[Any], url: str, rule: Any) -> Page[Any]:
    """One page of `items` as the flavour pages them; `url` is the collection's address."""
    flavour = current_state().flavour.name
    base, _, _ = url.partition("?")
    keep = ("type_id", "resource_link_id", "lti_link_id", "resource_id", "tag", "user_id")
    query = {key: request.args[key] for key in keep if request.args.get(key)}
    if flavour == "moodle":
        type_id = query.pop("type_id", None)
        if type_id is not None:
            query["type_id"] = type_id  # Moodle puts it after the filters
        return moodle_line_item_page(items, request.args, base, query)
    if flavour == "canvas":
        return canvas_page(items, request.args, rule, base, query)
    return standard_page(items, request.args, rule, base, query)


def _json(status: int, payload: Any, media_type: str, link: str | None = None) -> Response:
    response = Response(json.dumps(payload), status=status, content_type=media_type)
    if link:
        response.headers["Link"] = link
    return response
