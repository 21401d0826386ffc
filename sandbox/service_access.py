"""What every AGS and NRPS request goes through before it is served.

The course must exist; Moodle's `type_id` must be one of the calling tool's deployments; a
line item is found only among the calling tool's own (PLATFORMS.md's first fact); the
request's media types must be ones the platform accepts -- Moodle refuses `Accept: */*` on a
GET and any other Content-Type on a write with a 400, the spec-minded flavours answer 406
and 415.
"""

from __future__ import annotations

import json
import math
from typing import Any

from flask import request

from sandbox.access import Grant
from sandbox.current import current_state
from sandbox.gradebook import LineItem
from sandbox.refusals import Refusal
from sandbox.roster import Course

LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
RESULT_CONTAINER = "application/vnd.ims.lis.v2.resultcontainer+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


def course_or_404(course_id: str) -> Course:
    course = current_state().courses.get(course_id)
    if course is None:
        raise Refusal(404, f"Not Found: course {course_id} does not exist", error="not_found")
    return course


def deployment_for(grant: Grant, type_id: str | None = None) -> str:
    """The deployment a request acts under: Moodle's `type_id`, or the tool's first."""
    tool = current_state().tools[grant.client_id]
    chosen = type_id if type_id is not None else request.args.get("type_id")
    if chosen is None or chosen == "":
        return tool.deployment_ids[0]
    if not tool.has_deployment(chosen):
        raise Refusal(403, f"type_id {chosen} is not a deployment of this tool", error="forbidden")
    return chosen


def owned_item_or_404(grant: Grant, course: Course, item_id: str) -> LineItem:
    item = current_state().grades.line_item(item_id)
    if item is None or item.course_id != course.id or item.owner_client_id != grant.client_id:
        raise Refusal(404, f"Not Found: line item {item_id} in course {course.id}", error="not_found")
    return item


def check_accept(*media_types: str) -> None:
    """Refuse an Accept header the platform would not serve."""
    flavour = current_state().flavour.name
    accept = request.headers.get("Accept", "").strip()
    if flavour == "canvas" or not accept:
        return
    if flavour == "moodle":
        if accept.split(";")[0].strip() not in media_types:
            raise Refusal(
                400,
                f"Invalid request made: Accept {accept!r} is not one of {', '.join(media_types)}",
            )
        return
    acceptable = {*media_types, "application/json", "*/*", "application/*"}
    offered = {part.split(";")[0].strip() for part in accept.split(",")}
    if not offered & acceptable:
        raise Refusal(406, f"cannot answer Accept {accept!r}: use {media_types[0]}")


def json_body(*media_types: str) -> dict[str, Any]:
    """The request's JSON object, after checking its Content-Type."""
    flavour = current_state().flavour.name
    content_type = (request.content_type or "").split(";")[0].strip()
    allowed = set(media_types) if flavour == "moodle" else {*media_types, "application/json"}
    if content_type not in allowed:
        status = 400 if flavour == "moodle" else 415
        raise Refusal(
            status,
            f"Content-Type {content_type or '(none)'!r} is not accepted: send {media_types[0]}",
        )
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except ValueError as error:
        raise Refusal(400, f"the body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise Refusal(400, "the body must be a JSON object")
    return body


def is_number(value: Any) -> bool:
    """A JSON number that is finite (Python's json accepts NaN and Infinity; a platform not)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
