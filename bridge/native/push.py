"""The native push of one course: what the course sync calls after the AGS write-back."""

from __future__ import annotations

from bridge.context import Bridge
from bridge.lms_api.canvas import CanvasClient
from bridge.lms_api.connection import course_api, open_client
from bridge.lms_api.moodle import MoodleClient
from bridge.native.canvas_outcomes import push_canvas
from bridge.native.moodle_competencies import push_moodle
from bridge.native.wanted import lms_user_ids, sis_ids, wanted
from bridge.outcome import CourseOutcome, Problem
from pbridge.errors import ProficiencyBridgeError
from store.native_scales import choose_moodle_scale, chosen_moodle_scale
from store.people import User
from store.platforms import Preset

SCHOOLOGY_NOTICE = (
    "Schoology's API has no call that writes a mastery or learning-objective result: standings "
    "reach Schoology as grade columns only."
)


def push_native(
    bridge: Bridge, course_id: int, outcome: CourseOutcome, *, moodle_scale_id: str | None = None
) -> None:
    """Write the course's standings where its LMS keeps mastery, when LMS API credentials exist.

    Problems (refusals, a missing scale) become the outcome's problems; the AGS write-back
    already done is not undone. A `moodle_scale_id` the push could use is remembered for the
    platform, so later syncs mirror new frameworks on it without being told again.
    """
    with bridge.database.begin() as session:
        try:
            api = course_api(session, bridge.secret_box, course_id)
        except ProficiencyBridgeError as error:
            outcome.problems.append(Problem("native outcome results", str(error)))
            return
        if api is None:
            return
        items, standings = wanted(session, course_id)
        scale_id = moodle_scale_id or chosen_moodle_scale(session, api.platform.id)
        users = lms_user_ids(session, api, [s.student_id for s in standings])
        by_sis = sis_ids(session, [s.student_id for s in standings if s.student_id not in users])
    if api.kind is Preset.SCHOOLOGY:
        if items:
            outcome.notices.append(SCHOOLOGY_NOTICE)
        return
    if not items:
        return
    try:
        client = open_client(bridge, api)
        if by_sis:  # Canvas users who never launched: matched through the course roster's SIS ids
            learnt = {
                by_sis[s.sis_id]: s.id for s in client.students(api.lms_course_id) if s.sis_id in by_sis
            }
            users |= learnt
            with bridge.database.begin() as session:  # remembered, as the score pull does
                for user_id, lms_id in learnt.items():
                    user = session.get(User, user_id)
                    if user is not None and not user.lms_user_id:
                        user.lms_user_id = lms_id
        if isinstance(client, CanvasClient):
            push_canvas(bridge, api, client, items, standings, users, outcome)
        elif isinstance(client, MoodleClient):
            push_moodle(bridge, api, client, items, standings, users, outcome, scale_id=scale_id)
            if moodle_scale_id is not None:
                with bridge.database.begin() as session:
                    choose_moodle_scale(session, api.platform.id, moodle_scale_id)
    except ProficiencyBridgeError as error:
        outcome.failed += 1
        outcome.problems.append(
            Problem(f"native {api.kind.value} results", str(error), getattr(error, "status", None))
        )
