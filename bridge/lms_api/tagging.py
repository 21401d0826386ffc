"""What the teacher's tagging page asks of an LMS: the course's assignments, and a preview.

    course_assignments(bridge, course_id, user_id=...)   the assignments to tag, with rubrics
    preview_scores(bridge, course_id, assignment_id, conversion, ...)
                                                        each student's current score on it and
                                                        the level a conversion would give

Both read the LMS live (nothing is stored), acting as the teacher when a Canvas teacher has
authorised, and raise `LmsNotConnected` / `LmsAuthorizationRequired` when the page should
offer the admin's set-up or the teacher's "Connect to Canvas" instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from bridge.context import Bridge
from bridge.lms_api.connection import CourseApi, course_api, open_client
from bridge.lms_api.errors import LmsNotConnected
from bridge.lms_api.models import GradeState, LmsAssignment
from bridge.lms_api.pull import level_of, match_students
from mappings.conversion import Conversion
from pbridge.errors import CalculationError, ProficiencyBridgeError
from store.people import User


@dataclass(frozen=True)
class ScorePreview:
    """One student's current result on an assignment (or criterion) and the level it would give."""

    lms_user_id: str
    student_id: int | None
    student_name: str
    state: GradeState
    score: Decimal | None
    maximum: Decimal | None
    rating: str
    level: Decimal | None
    assessed_at: datetime | None
    #: why no level could be computed ("" when it could, or when there is nothing to convert)
    problem: str = ""


def _api(bridge: Bridge, course_id: int) -> CourseApi:
    with bridge.database.begin() as session:
        api = course_api(session, bridge.secret_box, course_id)
    if api is None:
        raise LmsNotConnected(
            "this course's LMS is not connected to Proficiency Bridge's LMS API reader yet: an admin "
            "enters its credentials with `pbridge lms connect`"
        )
    return api


def course_assignments(bridge: Bridge, course_id: int, *, user_id: int | None = None) -> list[LmsAssignment]:
    """The course's assignments as its LMS lists them, with rubric criteria and ratings."""
    api = _api(bridge, course_id)
    return open_client(bridge, api, user_id=user_id).assignments(api.lms_course_id)


def preview_scores(
    bridge: Bridge,
    course_id: int,
    assignment_id: str,
    conversion: Conversion,
    *,
    rubric_criterion_id: str = "",
    user_id: int | None = None,
) -> list[ScorePreview]:
    """Every student's current result on the assignment (or one rubric criterion of it), converted.

    Nothing is stored: this is what the teacher sees before saving an alignment.
    """
    api = _api(bridge, course_id)
    client = open_client(bridge, api, user_id=user_id)
    assignment = next((a for a in client.assignments(api.lms_course_id) if a.id == assignment_id), None)
    if assignment is None:
        raise ProficiencyBridgeError(f"the LMS has no assignment {assignment_id} in this course")
    criterion = assignment.criterion(rubric_criterion_id) if rubric_criterion_id else None
    if rubric_criterion_id and criterion is None:
        raise ProficiencyBridgeError(f"'{assignment.title}' has no rubric criterion {rubric_criterion_id}")
    grades = client.grades(api.lms_course_id, [assignment], students=api.learners)
    known = match_students(bridge, api, client, {g.user_id for g in grades}).known
    with bridge.database.begin() as session:
        names = {
            user.id: user.display_name
            for user in session.scalars(select(User).where(User.id.in_(sorted(set(known.values())))))
        }
    previews = []
    for grade in grades:
        graded = grade.state is GradeState.GRADED
        if criterion is not None:
            part = grade.criterion(criterion.id) if graded else None
            score, maximum, rating = (
                (part.points if part else None),
                criterion.points,
                (part.rating if part else ""),
            )
        else:
            score, maximum, rating = (grade.score if graded else None), assignment.points_possible, ""
        level, problem = None, ""
        if score is not None or rating:
            try:
                level = level_of(conversion, score, maximum, rating)
            except CalculationError as error:
                problem = str(error)
        student_id = known.get(grade.user_id)
        previews.append(
            ScorePreview(
                lms_user_id=grade.user_id,
                student_id=student_id,
                student_name=names.get(student_id, "") if student_id else f"LMS user {grade.user_id}",
                state=grade.state,
                score=score,
                maximum=maximum,
                rating=rating,
                level=level,
                assessed_at=grade.assessed_at,
                problem=problem,
            )
        )
    return sorted(previews, key=lambda p: (p.student_name.casefold(), p.lms_user_id))
