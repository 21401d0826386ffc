"""The LMSs' own APIs: the only way to see a course's existing assignments and their scores.

AGS shows a tool only its own line items (Canvas filters on the developer key, Moodle on the
tool type), so the teacher's quizzes, essays and projects are read through Canvas's REST
API, Moodle's web services or Schoology's REST API, with the credentials in
`store.lms_credentials`.

    course_assignments(bridge, course_id, user_id=None) -> list[LmsAssignment]
    preview_scores(bridge, course_id, assignment_id, conversion, rubric_criterion_id="", user_id=None)
    pull_lms_scores(bridge, course_id, outcome, full=False)   (the sync calls it)
    check_connection(bridge, platform_id, course_id=None) -> list[Check]
    canvas_authorization_needed / canvas_authorization_url / complete_canvas_authorization
"""

from __future__ import annotations

from bridge.lms_api.authorization import (
    CanvasConnected,
    canvas_authorization_needed,
    canvas_authorization_url,
    complete_canvas_authorization,
)
from bridge.lms_api.check import Check, check_connection
from bridge.lms_api.errors import (
    LmsApiRefused,
    LmsAuthorizationFailed,
    LmsAuthorizationRequired,
    LmsNotConnected,
)
from bridge.lms_api.models import (
    CriterionScore,
    GradeState,
    LmsAssignment,
    LmsGrade,
    LmsStudent,
    RubricCriterion,
    RubricRating,
)
from bridge.lms_api.pull import pull_lms_scores
from bridge.lms_api.tagging import ScorePreview, course_assignments, preview_scores

__all__ = [
    "CanvasConnected",
    "Check",
    "CriterionScore",
    "GradeState",
    "LmsApiRefused",
    "LmsAssignment",
    "LmsAuthorizationFailed",
    "LmsAuthorizationRequired",
    "LmsGrade",
    "LmsNotConnected",
    "LmsStudent",
    "RubricCriterion",
    "RubricRating",
    "ScorePreview",
    "canvas_authorization_needed",
    "canvas_authorization_url",
    "check_connection",
    "complete_canvas_authorization",
    "course_assignments",
    "preview_scores",
    "pull_lms_scores",
]
