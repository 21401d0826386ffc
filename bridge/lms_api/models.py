"""What the three LMS clients return, in one shape: assignments, rubric criteria, grades.

Canvas, Moodle and Schoology each name these things their own way; the clients translate
at the boundary so the pull, the teacher's tagging page and the preview see one model.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal


@dataclass(frozen=True)
class RubricRating:
    """One rating (level) of a rubric criterion: "Meets", 3 points."""

    id: str
    description: str
    points: Decimal


@dataclass(frozen=True)
class RubricCriterion:
    """One row of a rubric (Canvas) or of a Moodle rubric; `points` is its top score."""

    id: str
    description: str
    points: Decimal | None
    ratings: tuple[RubricRating, ...] = ()

    def rating(self, rating_id: str) -> RubricRating | None:
        return next((r for r in self.ratings if r.id == rating_id), None)


@dataclass(frozen=True)
class LmsAssignment:
    """An assignment as its LMS keeps it (a quiz, an essay, a project -- or a tool's column)."""

    id: str
    title: str
    points_possible: Decimal | None
    due_at: datetime | None
    #: assignment group (Canvas), grade category (Moodle), grading category (Schoology)
    group: str = ""
    criteria: tuple[RubricCriterion, ...] = ()
    #: the rubric's (Moodle: the grading definition's) id in the LMS, "" without one
    rubric_id: str = ""
    published: bool = True
    #: an LTI tool's own column (in Canvas an AGS line item is an external-tool assignment)
    external_tool: bool = False
    position: int = 0
    url: str = ""

    def criterion(self, criterion_id: str) -> RubricCriterion | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)


class GradeState(enum.Enum):
    """Where a student's work on an assignment stands; only GRADED carries a level."""

    GRADED = "graded"
    EXCUSED = "excused"
    MISSING = "missing"
    #: handed in, not graded yet (or Schoology's "incomplete")
    PENDING = "pending"
    UNSUBMITTED = "unsubmitted"


@dataclass(frozen=True)
class CriterionScore:
    """How one rubric criterion was assessed on one submission."""

    criterion_id: str
    points: Decimal | None
    rating_id: str = ""
    rating: str = ""


@dataclass(frozen=True)
class LmsGrade:
    """One student's result on one assignment, with the dates that say when it was assessed."""

    assignment_id: str
    user_id: str
    state: GradeState
    score: Decimal | None
    submitted_at: datetime | None
    due_at: datetime | None
    graded_at: datetime | None
    late: bool = False
    criteria: tuple[CriterionScore, ...] = ()
    attempt: int | None = None

    @property
    def assessed_at(self) -> datetime | None:
        """When the student was assessed: submitted, else due -- never when it was graded."""
        return self.submitted_at or self.due_at

    def criterion(self, criterion_id: str) -> CriterionScore | None:
        return next((c for c in self.criteria if c.criterion_id == criterion_id), None)


@dataclass(frozen=True)
class LmsStudent:
    """A learner as the LMS's API names them: its own id, and the SIS id when it shows one."""

    id: str
    sis_id: str = ""
    name: str = ""


def decimal_or_none(value: object) -> Decimal | None:
    """A number from an API answer (numbers, numeric strings); None for null, "" or junk."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def grade_state(
    *, excused: bool, score: Decimal | None, missing: bool, submitted: bool, pending: bool = False
) -> GradeState:
    """The state of a result from the flags every LMS has in some form.

    Missing work that was never handed in is MISSING even when a late policy gave it an
    automatic score: a 0 the LMS typed in for the student is not evidence of proficiency.
    """
    if excused:
        return GradeState.EXCUSED
    if missing and not submitted:
        return GradeState.MISSING
    if score is not None and not pending:
        return GradeState.GRADED
    if submitted or pending:
        return GradeState.PENDING
    return GradeState.UNSUBMITTED


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time from an API answer, made aware (UTC when it names no zone)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
