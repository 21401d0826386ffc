"""AGS 2.0 score publishing, with each platform's rules for what it refuses and how it stores.

- Canvas: older `timestamp` 400; user not a student of the course 422; `scoreMaximum`
  without `scoreGiven` 422; keeps the score as posted; answers 200 `{"resultUrl": ...}`.
- Moodle: `timestamp` older than or equal to the last one (whole seconds) 409 with body
  `[]`; unknown user or non-learner 400; `scoreGiven` rescaled to the line item's maximum and
  clamped there; anything but `FullyGraded` clears the grade; answers 200 with no body.
- Generic and Schoology: `timestamp` not newer than the last 409; non-learner 400; rescaled,
  not clamped; 204.

Every score the platform accepts is kept in the line item's history; a score without
`scoreGiven` clears the result's score.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Response

from sandbox.addresses import result_url
from sandbox.current import current_state
from sandbox.gradebook import ACTIVITY_PROGRESS, GRADING_PROGRESS, LineItem, Score
from sandbox.refusals import Refusal
from sandbox.registry import AGS_SCORE
from sandbox.roster import Course, User
from sandbox.service_access import (
    SCORE,
    course_or_404,
    deployment_for,
    is_number,
    json_body,
    owned_item_or_404,
)
from sandbox.tokens import require_grant

CANVAS_SUBMISSION = "https://canvas.instructure.com/lti/submission"


def post_score(course_id: str, item_id: str) -> Response:
    course = course_or_404(course_id)
    grant = require_grant(AGS_SCORE)
    deployment_for(grant)
    item = owned_item_or_404(grant, course, item_id)
    body = json_body(SCORE)
    state = current_state()
    flavour = state.flavour.name
    score = _parse(body, item)
    user = _learner(course, score.user_sub, flavour)
    last = state.grades.last_score(item.id, user.sub)
    if last is not None:
        _check_newer(score.timestamp, last.timestamp, flavour)
    result_score, result_maximum = _result_values(score, item, flavour)
    result = state.grades.accept_score(score, result_score=result_score, result_maximum=result_maximum)
    if flavour == "canvas":
        payload = {"resultUrl": result_url(state, item, result, user.id)}
        return Response(json.dumps(payload), status=200, content_type="application/json")
    if flavour == "moodle":
        return Response("", status=200, content_type="text/html")
    return Response(status=204)


def _parse(body: dict[str, Any], item: LineItem) -> Score:
    user_id = body.get("userId")
    if not isinstance(user_id, str) or not user_id:
        raise Refusal(400, "userId is required and must be the user's LTI id (the launch's sub)")
    activity = body.get("activityProgress")
    if activity not in ACTIVITY_PROGRESS:
        raise Refusal(400, f"activityProgress must be one of {', '.join(ACTIVITY_PROGRESS)}")
    grading = body.get("gradingProgress")
    if grading not in GRADING_PROGRESS:
        raise Refusal(400, f"gradingProgress must be one of {', '.join(GRADING_PROGRESS)}")
    timestamp = _timestamp(body.get("timestamp"))
    given, maximum = body.get("scoreGiven"), body.get("scoreMaximum")
    if given is not None and (not is_number(given) or given < 0):
        raise Refusal(400, f"scoreGiven must be a number of at least 0, not {given!r}")
    if maximum is not None and (not is_number(maximum) or maximum <= 0):
        raise Refusal(400, f"scoreMaximum must be a number above 0, not {maximum!r}")
    if given is not None and maximum is None:
        raise Refusal(400, "scoreMaximum is required when scoreGiven is sent")
    if given is None and maximum is not None and current_state().flavour.name == "canvas":
        raise Refusal(422, "ScoreMaximum not supplied when ScoreGiven present", error="unprocessable")
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise Refusal(400, "comment must be a string")
    submission = body.get(CANVAS_SUBMISSION)
    if submission is not None and not isinstance(submission, dict):
        raise Refusal(400, f"{CANVAS_SUBMISSION} must be an object")
    return Score(
        line_item_id=item.id,
        user_sub=user_id,
        timestamp=timestamp,
        activity_progress=activity,
        grading_progress=grading,
        score_given=float(given) if given is not None else None,
        score_maximum=float(maximum) if maximum is not None else None,
        comment=comment,
        received_at=datetime.now(UTC),
        submission=submission,
        body=body,
    )


def _timestamp(value: Any) -> datetime:
    if not isinstance(value, str):
        raise Refusal(400, "timestamp is required: an ISO 8601 date-time with a time zone")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise Refusal(400, f"timestamp {value!r} is not an ISO 8601 date-time with a time zone")
    return parsed


def _learner(course: Course, user_sub: str, flavour: str) -> User:
    state = current_state()
    user = state.user_by_sub(user_sub)
    enrollment = state.enrollment(course.id, user.id) if user else None
    if user is None or enrollment is None or not enrollment.is_learner or (enrollment.status == "Deleted"):
        message = f"user {user_sub} is not a student of course {course.id}"
        if flavour == "canvas":
            raise Refusal(
                422, "User not found in course or is not a student: " + user_sub, error="unprocessable"
            )
        raise Refusal(400, message)
    return user


def _check_newer(new: datetime, last: datetime, flavour: str) -> None:
    if flavour == "canvas":
        if new < last:
            raise Refusal(
                400,
                f"Provided timestamp of {new.isoformat()} before last updated timestamp "
                f"of {last.isoformat()}",
            )
    elif flavour == "moodle":
        if int(new.timestamp()) <= int(last.timestamp()):
            raise Refusal(409, "Conflict", body="[]", content_type="application/json")
    elif new <= last:
        raise Refusal(
            409,
            f"timestamp {new.isoformat()} is not after the last score's {last.isoformat()}",
            error="conflict",
        )


def _result_values(score: Score, item: LineItem, flavour: str) -> tuple[float | None, float | None]:
    """What the result shows for `score`: as posted on Canvas, rescaled to the item elsewhere."""
    if score.score_given is None or score.score_maximum is None:
        return None, item.score_maximum if flavour != "canvas" else score.score_maximum
    if flavour == "canvas":
        return score.score_given, score.score_maximum
    if flavour == "moodle" and score.grading_progress != "FullyGraded":
        return None, item.score_maximum
    value = score.score_given * item.score_maximum / score.score_maximum
    if flavour == "moodle":
        value = min(value, item.score_maximum)
    return round(value, 5), item.score_maximum
