"""Standings where the LMS keeps mastery natively: Canvas outcome results, Moodle competency ratings.

    push_native(bridge, course_id, outcome, moodle_scale_id=None)   (the course sync calls it)

Schoology's API has no call that writes a mastery result: there, grade columns (AGS) are the
only route.
"""

from __future__ import annotations

from bridge.native.moodle_competencies import MoodleScaleNeeded
from bridge.native.push import push_native

__all__ = ["MoodleScaleNeeded", "push_native"]
