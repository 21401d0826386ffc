"""Standings where the LMS keeps mastery natively: Canvas outcome results, Moodle competency ratings.

    push_native(bridge, course_id, outcome, moodle_scale_id=None)   (the course sync calls it)
    read_outcome_tree(client, "courses/ID") -> outcomes_framework(tree, code=, title=)
        a course's or account's Canvas outcomes as a framework (`pbridge native
        import-canvas-outcomes`); platform_client(bridge, platform_id) reads with the admin token
    objective_result(session, row, assessed_at=, class_sourced_id=) -> StandingResult
        the SIS's learning-objective result of a standing, with the number (`native_score`)
        and the day (`assessed_on`) the LMS's outcome result carries

Schoology's API has no call that writes a mastery result: there, grade columns (AGS) are the
only route.
"""

from __future__ import annotations

from bridge.native.canvas_import import outcomes_framework, platform_client, read_outcome_tree
from bridge.native.moodle_competencies import MoodleScaleNeeded
from bridge.native.push import push_native
from bridge.native.sis_results import assessed_on, native_score, objective_result

__all__ = [
    "MoodleScaleNeeded",
    "assessed_on",
    "native_score",
    "objective_result",
    "outcomes_framework",
    "platform_client",
    "push_native",
    "read_outcome_tree",
]
