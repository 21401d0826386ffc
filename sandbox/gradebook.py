"""The gradebook: AGS line items and the scores tools post, and the LMS's own assignments.

Two worlds live here on purpose. AGS line items belong to the tool that made them (or that a
deep link made them for) and AGS shows a tool nothing else. Native assignments -- the
teacher's quizzes, essays and projects, with rubrics and submissions -- are invisible to AGS:
a real tool reaches them only through the LMS's own API, which the sandbox can emulate from
this model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")
SUBMISSION_STATES = ("unsubmitted", "submitted", "graded", "pending_review")


@dataclass(frozen=True)
class LineItem:
    """An AGS line item; `owner_client_id` is the tool that may see it through AGS."""

    id: str
    course_id: str
    label: str
    score_maximum: float
    owner_client_id: str
    #: the deployment (Moodle: tool type id) it was made under
    deployment_id: str
    resource_id: str | None = None
    tag: str | None = None
    resource_link_id: str | None = None
    start_date_time: str | None = None
    end_date_time: str | None = None
    grades_released: bool | None = None
    #: extra members the tool sent (kept and echoed, as the spec allows)
    extensions: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Score:
    """One score a tool posted, exactly as posted plus when the platform received it."""

    line_item_id: str
    user_sub: str
    timestamp: datetime
    activity_progress: str
    grading_progress: str
    score_given: float | None
    score_maximum: float | None
    comment: str | None
    received_at: datetime
    submission: dict[str, Any] | None = None
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    """The current result of a user on a line item, derived from the latest accepted score."""

    id: str
    line_item_id: str
    user_sub: str
    result_score: float | None
    result_maximum: float | None
    comment: str | None
    timestamp: datetime


@dataclass(frozen=True)
class RubricRating:
    description: str
    points: float


@dataclass(frozen=True)
class RubricCriterion:
    id: str
    description: str
    points: float
    ratings: tuple[RubricRating, ...]
    #: an outcome (learning standard) the criterion is aligned to, if any
    outcome_id: str | None = None


@dataclass(frozen=True)
class Rubric:
    id: str
    title: str
    criteria: tuple[RubricCriterion, ...]

    @property
    def points_possible(self) -> float:
        return sum(criterion.points for criterion in self.criteria)


@dataclass(frozen=True)
class Assignment:
    """A native LMS assignment (not an AGS line item of any tool)."""

    id: str
    course_id: str
    name: str
    points_possible: float
    due_at: datetime | None
    group: str
    position: int = 0
    rubric: Rubric | None = None
    published: bool = True
    grading_type: str = "points"
    description: str = ""


@dataclass(frozen=True)
class CriterionAssessment:
    criterion_id: str
    points: float
    rating: str
    comments: str = ""


@dataclass(frozen=True)
class Submission:
    """A student's submission to a native assignment, graded or not."""

    id: str
    assignment_id: str
    user_id: str
    score: float | None = None
    submitted_at: datetime | None = None
    graded_at: datetime | None = None
    excused: bool = False
    missing: bool = False
    late: bool = False
    workflow_state: str = "unsubmitted"
    rubric_assessment: tuple[CriterionAssessment, ...] = ()
    grader_id: str | None = None
    attempt: int | None = None
