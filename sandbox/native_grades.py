"""What the three LMS API emulations share: who may read a course's grades, and its submissions.

Canvas, Moodle and Schoology show the same gradebook (`state.grades`' native assignments and
submissions) in their own shapes. Each emulation asks here whether the calling credential's
user may read a course's grades -- an active teacher or TA of the course, or an administrator
-- and for the submissions of every active learner, including those who never opened the
assignment (real LMSs keep an "unsubmitted" row for them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sandbox.gradebook import Assignment, Submission
from sandbox.roster import User

if TYPE_CHECKING:
    from sandbox.state import SandboxState

GRADER_ROLES = frozenset({"Instructor", "TeachingAssistant"})


def can_read_grades(state: SandboxState, user_id: str, course_id: str) -> bool:
    user = state.users.get(user_id)
    if user is None:
        return False
    if user.is_admin:
        return True
    enrollment = state.enrollment(course_id, user_id)
    return enrollment is not None and enrollment.is_active and bool(GRADER_ROLES & set(enrollment.roles))


def teaches(state: SandboxState, user_id: str, course_id: str) -> bool:
    """An active teacher or TA of the course (what "grades this course" means everywhere)."""
    enrollment = state.enrollment(course_id, user_id)
    return enrollment is not None and enrollment.is_active and bool(GRADER_ROLES & set(enrollment.roles))


def learners(state: SandboxState, course_id: str) -> list[User]:
    """Active learners of a course, by user id."""
    return [
        state.users[e.user_id] for e in state.course_enrollments(course_id) if e.is_learner and e.is_active
    ]


def submissions_of(state: SandboxState, assignment: Assignment, people: list[User]) -> list[Submission]:
    """Each learner's submission, a blank unsubmitted one for those without any."""
    found = []
    for person in people:
        submission = state.grades.submission(assignment.id, person.id)
        if submission is None:
            submission = Submission(
                id=f"0{assignment.id}{person.id}", assignment_id=assignment.id, user_id=person.id
            )
        found.append(submission)
    return found


def iso(moment: datetime | None) -> str | None:
    """`2025-09-12T15:00:00Z`, as Canvas writes times."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(moment: datetime | None) -> int:
    """Unix seconds, 0 for none, as Moodle writes times."""
    return int(moment.timestamp()) if moment is not None else 0


def parse_iso(raw: str) -> datetime | None:
    """An ISO 8601 time from a query string; None when it is not one."""
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
